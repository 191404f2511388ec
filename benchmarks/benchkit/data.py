"""Deterministic test data, generated once under benchmarks/work/data and copied per repo."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHUNK = 16 << 20


@dataclass(frozen=True, slots=True)
class TreeSpec:
    """``files`` files of ``min_size``..``max_size`` bytes spread over ``folders`` folders."""

    name: str
    files: int
    folders: int
    min_size: int = 1024
    max_size: int = 4096
    seed: int = 20_000

    def rel(self, i: int) -> str:
        """The relative path of file ``i``: ``d042/f0012345.bin``."""
        return f"d{i % self.folders:04d}/f{i:07d}.bin"


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One file of ``size`` pseudo-random (incompressible) bytes."""

    name: str
    size: int
    seed: int = 1


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".complete")


def ensure(spec: TreeSpec | FileSpec, data_dir: Path) -> Path:
    """The generated data for ``spec`` (made now unless an identical set exists)."""
    path = data_dir / spec.name
    marker = _marker(path)
    if marker.exists() and marker.read_text() == repr(spec):
        return path
    marker.unlink(missing_ok=True)
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"generating {spec} ...", flush=True)
    if isinstance(spec, TreeSpec):
        _make_tree(spec, path)
    else:
        _make_file(spec, path)
    os.sync()
    marker.write_text(repr(spec))
    return path


def _make_tree(spec: TreeSpec, path: Path) -> None:
    rng = random.Random(spec.seed)
    for d in range(spec.folders):
        (path / f"d{d:04d}").mkdir(parents=True)
    for i in range(spec.files):
        size = rng.randint(spec.min_size, spec.max_size)
        (path / spec.rel(i)).write_bytes(rng.randbytes(size))


def _make_file(spec: FileSpec, path: Path) -> None:
    rng = random.Random(spec.seed)
    with path.open("wb") as f:
        left = spec.size
        while left:
            n = min(CHUNK, left)
            f.write(rng.randbytes(n))
            left -= n


def copy_into(src: Path, dst: Path) -> None:
    """A plain copy (new inodes, new mtimes) of a generated file or tree."""
    subprocess.run(["cp", "-R", "--reflink=never", str(src), str(dst)], check=True)


def settle(root: Path) -> None:
    """Flush dirty pages to disk, then read every file below ``root`` (warm page cache)."""
    os.sync()
    buf = bytearray(CHUNK)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            try:
                with open(path, "rb", buffering=0) as f:
                    while f.readinto(buf):
                        pass
            except PermissionError:
                continue
