"""Two ``gitml repro`` at once in one repository never corrupt stages.lock."""

from __future__ import annotations

import os

import pytest

from .helpers import Pipe, wait_until

# Records its pid, then waits while the file ``hold`` exists.
HOLD = """\
import os, time

with open("held.pid", "w") as f:
    f.write(str(os.getpgid(0)))
while os.path.exists("hold"):
    time.sleep(0.05)
with open("held.txt", "w") as f:
    f.write("held")
"""

STAGES = """
stages:
  held:
    cmd: python hold.py && echo held >> runs.log
    outs: [held.txt]
  other:
    cmd: echo other > other.txt && echo other >> runs.log
    outs: [other.txt]
"""


@pytest.fixture
def holding(pipe: Pipe) -> Pipe:
    pipe.gen({"hold.py": HOLD, ".gitignore": "/hold\n/held.pid\n"})
    pipe.stages(STAGES)
    pipe.commit()
    return pipe


def test_second_repro_refuses_with_the_holder_pid(holding: Pipe) -> None:
    holding.gen({".gitml/config.local.yaml": "core: {lock_wait: 0.5}\n", "hold": ""})
    first = holding.popen("repro")
    holding.reap_group(int(holding.wait_for("held.pid")))
    second = holding.run("repro")
    assert second.code == 1, second
    holder = f"pid {first.pid} (gitml repro)"
    assert second.err.strip().splitlines() == [
        f"gitml: waiting for the repository lock held by {holder}",
        f"error: the repository is locked by {holder} — wait for it to finish, or stop it;"
        " readers like `gitml status` still work meanwhile",
    ]
    assert holding.read("held.pid")  # the first one is still running its stage
    # readers still work meanwhile
    assert holding.ok("repro", "--dry").out.startswith("held: would run")
    os.unlink(holding.root / "hold")
    _, err = holding.output(first)
    assert first.returncode == 0, err
    lock = holding.lock()
    assert set(lock) == {"held", "other"}
    assert holding.lines("runs.log") == ["held", "other"]


def test_second_repro_waits_then_finds_everything_done(holding: Pipe) -> None:
    holding.gen({"hold": ""})
    first = holding.popen("repro")
    holding.reap_group(int(holding.wait_for("held.pid")))
    second = holding.popen("repro")
    # while the first holds the lock, the second waits (default: 5 s) ...
    assert not wait_until(lambda: second.poll() is not None, timeout=1.0)
    os.unlink(holding.root / "hold")
    _, err1 = holding.output(first)
    _, err2 = holding.output(second)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert f"gitml: waiting for the repository lock held by pid {first.pid}" in err2
    # ... and then finds nothing left to do: every stage ran exactly once
    assert holding.lines("runs.log") == ["held", "other"]
    assert set(holding.lock()) == {"held", "other"}


def test_many_repros_at_once_keep_the_lock_valid(pipe: Pipe) -> None:
    stages = "stages:\n" + "".join(
        f"  s{i}:\n    cmd: echo {i} > o{i}.txt && echo s{i} >> runs.log\n    outs: [o{i}.txt]\n"
        for i in range(6)
    )
    pipe.gen({"stages.yaml": stages, ".gitml/config.local.yaml": "core: {lock_wait: 30}\n"})
    pipe.commit()
    procs = [pipe.popen("repro", "-j", "2") for _ in range(3)]
    for proc in procs:
        _, err = pipe.output(proc, timeout=60)
        assert proc.returncode == 0, err
    assert sorted(pipe.lines("runs.log")) == [f"s{i}" for i in range(6)]
    lock = pipe.lock()
    assert sorted(lock) == [f"s{i}" for i in range(6)]
    assert pipe.ok("repro", "--dry").out.count("(up to date)") == 6


def test_waiting_is_announced_while_waiting(holding: Pipe) -> None:
    holding.gen({"hold": ""})
    first = holding.popen("repro")
    holding.reap_group(int(holding.wait_for("held.pid")))
    second = holding.popen("repro")
    notice = f"gitml: waiting for the repository lock held by pid {first.pid} (gitml repro)"
    second_err = holding.root.parent / "popen1.err"
    try:
        assert wait_until(lambda: notice in second_err.read_text(), timeout=4)
    finally:
        os.unlink(holding.root / "hold")
        holding.output(first)
        holding.output(second)
