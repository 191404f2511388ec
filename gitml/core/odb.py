"""The content-addressed object store.

Objects live at ``<root>/<2 hex>/<30 hex>``; directory manifests are objects
like any other. Objects are written to a temp file and renamed into place, so
a killed writer leaves either no object or a complete one, and are read-only.
``ObjectStore`` is the interface remotes implement too; ``LocalCache`` is the
first backend.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from gitml.core.atomic import is_temp, temp_str
from gitml.core.hashing import hash_file, is_oid
from gitml.core.linking import copy_file

OBJECT_MODE = 0o444


class ObjectStore(Protocol):
    def exists(self, oid: str) -> bool: ...
    def put_file(self, src: Path | str, oid: str) -> None: ...
    def put_bytes(self, data: bytes, oid: str) -> None: ...
    def read_bytes(self, oid: str) -> bytes: ...
    def iter_oids(self) -> Iterator[str]: ...
    def remove(self, oid: str) -> None: ...


class LocalCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self._base = str(root)
        self._made: set[str] = set()

    def path(self, oid: str) -> Path:
        return Path(self.path_str(oid))

    def path_str(self, oid: str) -> str:
        return f"{self._base}/{oid[:2]}/{oid[2:]}"

    def exists(self, oid: str) -> bool:
        return os.path.exists(self.path_str(oid))

    def _prepare(self, oid: str) -> str:
        prefix = oid[:2]
        if prefix not in self._made:
            os.makedirs(f"{self._base}/{prefix}", exist_ok=True)
            self._made.add(prefix)
        return self.path_str(oid)

    def put_bytes(self, data: bytes, oid: str) -> None:
        target = self._prepare(oid)
        tmp = temp_str(target)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OBJECT_MODE)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise

    def incoming(self) -> str:
        """A temp path in the cache for data whose object id is not known yet."""
        os.makedirs(self.tmp, exist_ok=True)
        return temp_str(f"{self.tmp}/incoming")

    def adopt(self, tmp: str, oid: str) -> bool:
        """Make the complete file ``tmp`` object ``oid``; False (and drop it) if present."""
        if self.exists(oid):
            _unlink(tmp)
            return False
        try:
            os.replace(tmp, self._prepare(oid))
        except BaseException:
            _unlink(tmp)
            raise
        return True

    def put_file(self, src: Path | str, oid: str) -> None:
        target = self._prepare(oid)
        tmp = temp_str(target)
        try:
            copy_file(src, tmp, OBJECT_MODE)
            os.replace(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise

    def read_bytes(self, oid: str) -> bytes:
        with open(self.path(oid), "rb") as f:
            return f.read()

    def iter_oids(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for prefix in sorted(os.listdir(self.root)):
            if len(prefix) != 2:
                continue
            folder = self.root / prefix
            try:
                names = os.listdir(folder)
            except NotADirectoryError:
                continue
            for name in sorted(names):
                if not is_temp(name) and is_oid(prefix + name):
                    yield prefix + name

    def iter_temp(self) -> Iterator[Path]:
        """Leftovers of writers that were killed mid-write."""
        if not self.root.is_dir():
            return
        for prefix in os.listdir(self.root):
            folder = self.root / prefix
            if folder.is_dir():
                for name in os.listdir(folder):
                    if is_temp(name):
                        yield folder / name

    def size(self, oid: str) -> int:
        return self.path(oid).stat().st_size

    def remove(self, oid: str) -> None:
        self.path(oid).unlink(missing_ok=True)

    def verify(self, oid: str) -> bool:
        """Re-hash the object: True when its content matches its name."""
        try:
            return hash_file(self.path(oid)) == oid
        except FileNotFoundError:
            return False

    def clear_temp(self) -> int:
        count = 0
        for path in self.iter_temp():
            path.unlink(missing_ok=True)
            count += 1
        if self.tmp.is_dir():
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)
        return count


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
