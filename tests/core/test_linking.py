"""Placing cache objects in the work tree: copy, hardlink, symlink, reflink with fallback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitml.core.linking import Linker, copy_file
from gitml.errors import GitmlError


@pytest.fixture
def obj(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "ab" / "cdef"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"object content\n" * 100)
    path.chmod(0o444)
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".gitml-tmp")]


@pytest.mark.parametrize("size", [0, 1, 70_000])
def test_copy_file(tmp_path: Path, size: int) -> None:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(size))
    copy_file(src, tmp_path / "dst", 0o600)
    assert (tmp_path / "dst").read_bytes() == src.read_bytes()
    assert _mode(tmp_path / "dst") == 0o600


def test_copy_file_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"new")
    (tmp_path / "dst").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        copy_file(tmp_path / "src", tmp_path / "dst", 0o644)
    assert (tmp_path / "dst").read_bytes() == b"old"


@pytest.mark.parametrize("kinds", [[], ["teleport"], ["copy", "teleport"]])
def test_unknown_strategies_are_refused(kinds: list[str]) -> None:
    with pytest.raises(GitmlError, match=r"unknown cache\.type") as info:
        Linker(kinds)
    assert "reflink, hardlink, symlink, copy" in str(info.value.hint)


@pytest.mark.parametrize("executable", [False, True])
def test_copy(tmp_path: Path, obj: Path, executable: bool) -> None:
    dst = tmp_path / "work" / "f"
    dst.parent.mkdir()
    assert Linker(["copy"]).place(obj, dst, executable) == "copy"
    assert dst.read_bytes() == obj.read_bytes()
    assert os.stat(dst).st_ino != os.stat(obj).st_ino
    assert _mode(dst) == (0o755 if executable else 0o644)
    assert _mode(obj) == 0o444  # the object stays read-only
    assert _no_temp_files(dst.parent)


def test_hardlink(tmp_path: Path, obj: Path) -> None:
    dst = tmp_path / "f"
    assert Linker(["hardlink", "copy"]).place(obj, dst) == "hardlink"
    assert os.stat(dst).st_ino == os.stat(obj).st_ino
    # A link shares the object's inode, so it must stay read-only.
    assert _mode(dst) == 0o444
    assert _no_temp_files(tmp_path)


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_executable_files_are_copied_not_linked(tmp_path: Path, obj: Path, kind: str) -> None:
    # The object's mode is shared by every file with that content, and is not executable.
    dst = tmp_path / "run.sh"
    linker = Linker([kind])
    assert linker.place(obj, dst, executable=True) == "copy"
    assert not dst.is_symlink()
    assert os.stat(dst).st_ino != os.stat(obj).st_ino
    assert _mode(dst) == 0o755
    assert _mode(obj) == 0o444
    assert linker.kinds == [kind]  # the other files are still linked
    assert linker.place(obj, tmp_path / "data") == kind
    assert linker.place(obj, tmp_path / "again", executable=True, allow_copy=False) is None
    assert not (tmp_path / "again").exists()


def test_symlink(tmp_path: Path, obj: Path) -> None:
    dst = tmp_path / "f"
    assert Linker(["symlink"]).place(obj, dst) == "symlink"
    assert dst.is_symlink()
    assert dst.resolve() == obj.resolve()
    assert dst.read_bytes() == obj.read_bytes()


def test_reflink_falls_back_and_remembers(tmp_path: Path, obj: Path) -> None:
    linker = Linker(["reflink", "copy"])
    kind = linker.place(obj, tmp_path / "f1")
    assert kind in ("reflink", "copy")
    assert (tmp_path / "f1").read_bytes() == obj.read_bytes()
    if kind == "copy":  # this file system cannot clone: do not try again for every file
        assert linker.kinds == ["copy"]
    assert linker.place(obj, tmp_path / "f2") == kind
    assert _no_temp_files(tmp_path)


@pytest.mark.parametrize("kinds", [["copy"], ["hardlink"], ["symlink"]])
def test_place_replaces_an_existing_file(tmp_path: Path, obj: Path, kinds: list[str]) -> None:
    dst = tmp_path / "f"
    dst.write_bytes(b"old")
    Linker(kinds).place(obj, dst)
    assert dst.read_bytes() == obj.read_bytes()
    assert _no_temp_files(tmp_path)


def test_no_copy_when_copy_is_not_allowed(tmp_path: Path, obj: Path) -> None:
    dst = tmp_path / "f"
    dst.write_bytes(b"work tree data")
    assert Linker(["copy"]).place(obj, dst, allow_copy=False) is None
    assert dst.read_bytes() == b"work tree data"
    assert _no_temp_files(tmp_path)


def test_a_real_error_is_raised_not_hidden(tmp_path: Path, obj: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Linker(["hardlink", "copy"]).place(obj, tmp_path / "no" / "such" / "folder")
    with pytest.raises(FileNotFoundError):
        Linker(["copy"]).place(tmp_path / "missing", tmp_path / "f")
    assert _no_temp_files(tmp_path)


def _place_together(linker: Linker, obj: Path, folder: Path, n: int) -> list[BaseException]:
    import threading

    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            linker.place(obj, folder / f"f{i}")
        except BaseException as exc:  # collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_threads_falling_back_together_all_succeed(tmp_path: Path, obj: Path) -> None:
    # checkout places files from several threads; when reflink is unsupported they all
    # discover it at once, and each must fall back to copying rather than fail.
    for attempt in range(20):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        assert _place_together(Linker(["reflink", "copy"]), obj, folder, 8) == []
        assert all((folder / f"f{i}").read_bytes() == obj.read_bytes() for i in range(8))
