"""Crash safety: `gitml add` killed with SIGKILL at arbitrary moments, and stale locks.

After the kill every command still works and tells the truth: fsck finds no
corrupt object, status reports what the pointer says, and a second add
completes and leaves everything clean.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

GITML = [sys.executable, "-m", "gitml"]
N_FILES = 3000


def _big_tree(tmp_repo, version: int = 1, step: int = 1, n: int = N_FILES) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    files = {}
    for i in range(0, n, step):
        rel = f"data/big/{i % 40}/{i // 40}/f{i}.bin"
        files[rel] = hashlib.sha256(f"{version}:{i}".encode()).digest() * (8 + i % 24)
    tmp_repo.gen(files)
    return files


def _killed_add(tmp_repo, delay: float) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen(
        [*GITML, "add", "data/big"],
        cwd=tmp_repo.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc


def _pointer_hash(tmp_repo) -> str | None:  # type: ignore[no-untyped-def]
    path = tmp_repo.root / "data/big.gitml"
    if not path.exists():
        return None
    import yaml

    hash_: str = yaml.safe_load(path.read_text())["hash"]
    return hash_


def _recovers(tmp_repo, proc: subprocess.Popen[bytes]) -> None:  # type: ignore[no-untyped-def]
    """A second add completes; then the cache verifies and status is clean."""
    lock = tmp_repo.root / ".git/gitml/tmp/lock"
    held = lock.exists() and lock.read_text().startswith(f"{proc.pid}\n")
    added = tmp_repo.ok("add", "data/big")
    if held:
        assert f"took over a stale repository lock of dead process {proc.pid}" in added.err
    assert json.loads(tmp_repo.ok("status", "--json", "--check").out)["clean"] is True
    fsck = json.loads(tmp_repo.ok("fsck", "--json").out)
    assert (fsck["corrupt"], fsck["missing"], fsck["ok"]) == ([], [], True)


@pytest.mark.slow
@pytest.mark.parametrize(("delay", "restore"), [(0.2, False), (0.7, True), (1.5, False)])
def test_first_add_killed(tmp_repo, delay: float, restore: bool) -> None:  # type: ignore[no-untyped-def]
    files = _big_tree(tmp_repo)
    proc = _killed_add(tmp_repo, delay)
    # Whatever the moment, the cache holds no corrupt object.
    fsck = json.loads(tmp_repo.ok("fsck", "--json").out)
    assert fsck["corrupt"] == [] and fsck["missing"] == []
    status = json.loads(tmp_repo.ok("status", "--json").out)
    if _pointer_hash(tmp_repo) is None:
        assert status["artifacts"] == []
    else:  # the kill came after the pointer was written: it is complete and true
        assert [a["state"] for a in status["artifacts"]] == ["unchanged"]
    _recovers(tmp_repo, proc)
    if not restore:  # fsck and a clean status already vouch for the cache; once, prove it
        return
    # The cache really holds every byte: restore the folder from it.
    shutil.rmtree(tmp_repo.root / "data/big")
    tmp_repo.ok("checkout")
    for rel, content in files.items():
        assert (tmp_repo.root / rel).read_bytes() == content


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 0.9])
def test_add_killed_while_a_forked_helper_stores(tmp_repo, delay: float) -> None:  # type: ignore[no-untyped-def]
    from gitml.core.forked import MIN_FILES

    # enough files for a forked helper to store half of them (see gitml.core.forked)
    files = _big_tree(tmp_repo, n=MIN_FILES + 1000)
    proc = _killed_add(tmp_repo, delay)
    # The helper may outlive the kill by a moment: it holds the lock until it is done.
    fsck = json.loads(tmp_repo.ok("fsck", "--json").out)
    assert fsck["corrupt"] == [] and fsck["missing"] == []
    _recovers(tmp_repo, proc)
    shutil.rmtree(tmp_repo.root / "data/big")
    tmp_repo.ok("checkout")
    for rel, content in files.items():
        assert (tmp_repo.root / rel).read_bytes() == content


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.6])
def test_re_add_killed(tmp_repo, delay: float) -> None:  # type: ignore[no-untyped-def]
    _big_tree(tmp_repo)
    tmp_repo.ok("add", "data/big")
    tmp_repo.commit("v1")
    old = _pointer_hash(tmp_repo)
    _big_tree(tmp_repo, version=2, step=3)  # a third of the files change
    proc = _killed_add(tmp_repo, delay)
    fsck = json.loads(tmp_repo.ok("fsck", "--json").out)
    assert fsck["corrupt"] == [] and fsck["missing"] == []
    [artifact] = json.loads(tmp_repo.ok("status", "--json").out)["artifacts"]
    if _pointer_hash(tmp_repo) == old:
        assert artifact["state"] == "modified"
        assert len(artifact["changes"]["modified"]) == N_FILES // 3
    else:
        assert artifact["state"] == "unchanged"
    _recovers(tmp_repo, proc)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("delay", "helper"), [(0.3, False), (0.6, False), (0.9, False), (0.5, True), (0.8, True)]
)
def test_checkout_killed(tmp_repo, delay: float, helper: bool) -> None:  # type: ignore[no-untyped-def]
    from gitml.core.forked import MIN_FILES

    # with `helper`, enough files for a forked child to place half of them
    files = _big_tree(tmp_repo, n=MIN_FILES + 1000 if helper else N_FILES)
    tmp_repo.ok("add", "data/big")
    shutil.rmtree(tmp_repo.root / "data/big")
    proc = subprocess.Popen([*GITML, "checkout"], cwd=tmp_repo.root)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p.name for p in (tmp_repo.root / "data").iterdir() if p.name.endswith(".gitml-tmp")]
    print(f"killed after {delay} s; temp folders left: {left}")
    # The folder is there whole or not at all: never a half folder to take for an edit.
    [artifact] = json.loads(tmp_repo.ok("status", "--json").out)["artifacts"]
    assert artifact["state"] in ("unchanged", "missing"), artifact
    tmp_repo.ok("checkout")  # no --force needed
    # and the temp folder a kill left beside it is gone
    assert sorted(p.name for p in (tmp_repo.root / "data").iterdir()) == [
        ".gitignore",
        "big",
        "big.gitml",
    ]
    for rel, content in files.items():
        assert (tmp_repo.root / rel).read_bytes() == content
    assert json.loads(tmp_repo.ok("status", "--json", "--check").out)["clean"] is True


def test_stale_lock_is_taken_over_and_reported(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_repo.root / ".git/gitml/tmp/lock"
    lock.write_text(f"{dead.pid}\ngitml add data/raw\n")
    tmp_repo.gen({"x.csv": "x"})
    result = tmp_repo.ok("add", "x.csv")
    assert (
        f"gitml: took over a stale repository lock of dead process {dead.pid} (gitml add data/raw)"
        in result.err.splitlines()
    )
    assert lock.read_text() == ""  # released
    assert tmp_repo.ok("add", "x.csv").err == ""  # reported once, not forever
    # -q silences the notice; the stale lock is still taken over (and released)
    lock.write_text(f"{dead.pid}\ngitml gc\n")
    assert tmp_repo.ok("gc", "-q").err == ""
    assert lock.read_text() == ""


def test_concurrent_writers_take_turns(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    # Wait as long as it takes: this is about taking turns, not about the timeout.
    tmp_repo.gen({".gitml/config.yaml": "version: 1\ncore:\n  lock_wait: 300\n"})
    for name in ("one", "two", "three"):
        tmp_repo.gen({f"data/{name}/{i}.bin": f"{name} {i}\n" * 50 for i in range(300)})
    procs = [
        subprocess.Popen(
            [*GITML, "add", f"data/{name}"],
            cwd=tmp_repo.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two", "three")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (out, err)
    doc = json.loads(tmp_repo.ok("status", "--json", "--check").out)
    assert [a["path"] for a in doc["artifacts"]] == ["data/one", "data/three", "data/two"]
    # No lost update of the shared .gitignore: each writer held the lock in turn.
    lines = (tmp_repo.root / "data/.gitignore").read_text().splitlines()
    assert sorted(lines) == ["/one", "/three", "/two"]
    assert json.loads(tmp_repo.ok("fsck", "--json").out)["ok"] is True
