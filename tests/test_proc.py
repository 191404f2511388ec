"""gitml.proc: running commands, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitml.errors import GitmlError
from gitml.proc import capture, run

PY = sys.executable


def test_capture_returns_both_streams_and_the_exit_code() -> None:
    code = "import sys; sys.stdout.write('out'); sys.stderr.write('err'); sys.exit(3)"
    got = capture([PY, "-c", code], check=False)
    assert got == (3, b"out", b"err")


def test_capture_reads_both_pipes_as_they_fill() -> None:
    # 1 MiB on stderr before anything on stdout: reading stdout first would deadlock
    code = "import sys; sys.stderr.write('e' * (1 << 20)); sys.stderr.flush(); print('done')"
    got = capture([PY, "-c", code])
    assert (got.returncode, got.stdout, len(got.stderr)) == (0, b"done\n", 1 << 20)


def test_capture_and_run_fail_alike() -> None:
    args = [PY, "-c", "import sys; sys.stderr.write('no such thing'); sys.exit(2)"]
    for call in (capture, run):
        with pytest.raises(GitmlError, match=r"failed with exit code 2: no such thing"):
            call(args)
    for call in (capture, run):
        with pytest.raises(GitmlError, match=r"cannot run 'gitml-no-such-tool': not found"):
            call(["gitml-no-such-tool"])


def test_capture_drops_inherited_git_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GITML_PROC_TEST", "kept")
    code = "import os; print(os.environ.get('GIT_DIR'), os.environ['GITML_PROC_TEST'])"
    assert capture([PY, "-c", code]).stdout == b"None kept\n"


def test_capture_leaves_no_descriptor_open() -> None:
    before = set(os.listdir("/proc/self/fd"))
    for _ in range(20):
        capture([PY, "-c", "pass"])
    assert set(os.listdir("/proc/self/fd")) == before


def test_capture_with_standard_streams_closed(tmp_path: Path) -> None:
    # its pipes then take the numbers 1 and 2: it goes through subprocess instead
    code = (
        "import os, sys\n"
        "from gitml.proc import capture\n"
        "os.close(1); os.close(2)\n"
        "got = capture([sys.executable, '-c', 'import sys; print(1); sys.stderr.write(\"2\")'])\n"
        "with open(sys.argv[1], 'w') as f:\n"
        "    f.write(repr((got.returncode, got.stdout, got.stderr)))\n"
    )
    out = tmp_path / "out"
    subprocess.run([PY, "-c", code, str(out)], check=True)
    assert out.read_text() == repr((0, b"1\n", b"2"))
