"""An interrupted repro ends its stages' process groups and leaves a usable repository."""

from __future__ import annotations

import os
import signal

import pytest

from .helpers import Pipe, alive, group_alive, kill_group, wait_until

# Writes a partial output, records its pid, its group and a grandchild's pid,
# then hangs while the file ``hang`` exists; finally writes the real output.
SLOW = """\
import os, subprocess, sys, time

with open("out.txt", "w") as f:
    f.write("partial")
child = subprocess.Popen(["sleep", "60"]) if os.path.exists("hang") else None
pids = f"{os.getpid()} {os.getpgid(0)} {child.pid if child else 0}"
with open("slow.pid", "w") as f:
    f.write(pids)
while os.path.exists("hang"):
    time.sleep(0.05)
with open("out.txt", "w") as f:
    f.write("final")
"""

STAGES = """
stages:
  quick:
    cmd: echo quick > quick.txt && echo quick >> runs.log
    outs: [quick.txt]
  slow:
    cmd: python slow.py && echo slow >> runs.log
    deps: [quick.txt, slow.py]
    outs: [out.txt]
"""


@pytest.fixture
def hanging(pipe: Pipe) -> Pipe:
    pipe.gen({"slow.py": SLOW, ".gitignore": "/hang\n/slow.pid\n"})
    pipe.stages(STAGES)
    pipe.commit()
    pipe.gen({"hang": ""})
    return pipe


def started(pipe: Pipe) -> tuple[int, int, int]:
    pid, pgid, child = (int(x) for x in pipe.wait_for("slow.pid").split())
    pipe.reap_group(pgid)
    return pid, pgid, child


def finish_and_check(pipe: Pipe) -> None:
    """With the stage no longer hanging, repro completes and the lock is right."""
    os.unlink(pipe.root / "hang")
    os.unlink(pipe.root / "slow.pid")
    result = pipe.ok("repro")
    assert pipe.read("out.txt") == "final"
    lock = pipe.lock()
    assert set(lock) == {"quick", "slow"}
    from gitml.core.hashing import hash_bytes

    assert lock["slow"]["outs"] == [
        {"path": "out.txt", "hash": "xxh128:" + hash_bytes(b"final"), "size": 5}
    ]
    assert pipe.lines("runs.log") == ["quick", "slow"]
    assert pipe.ok("repro", "--dry").out.count("(up to date)") == 2
    assert "error" not in result.err


def test_sigint_ends_the_stage_process_group(hanging: Pipe) -> None:
    proc = hanging.popen("repro")
    pid, pgid, child = started(hanging)
    assert pgid != os.getpgid(0)  # the stage runs in its own group
    proc.send_signal(signal.SIGINT)
    _, err = hanging.output(proc)
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == "interrupted"
    assert wait_until(lambda: not alive(pid) and not alive(child))
    assert wait_until(lambda: not group_alive(pgid))
    # the interrupted stage was not recorded; the one before it was
    assert set(hanging.lock()) == {"quick"}
    finish_and_check(hanging)


def test_sigterm_ends_the_stage_process_group(hanging: Pipe) -> None:
    proc = hanging.popen("repro")
    pid, _, child = started(hanging)
    proc.terminate()
    _, err = hanging.output(proc)
    assert proc.returncode == 130, err
    assert wait_until(lambda: not alive(pid) and not alive(child))
    assert set(hanging.lock()) == {"quick"}
    finish_and_check(hanging)


def test_kill_9_then_repro_again(hanging: Pipe) -> None:
    proc = hanging.popen("repro")
    pid, _, child = started(hanging)
    lock_before = hanging.lock_bytes()
    proc.kill()
    hanging.output(proc)
    assert proc.returncode == -signal.SIGKILL
    # nothing can forward SIGKILL: end the orphaned stage ourselves
    kill_group(pid)
    assert wait_until(lambda: not alive(pid) and not alive(child))
    assert hanging.lock_bytes() == lock_before
    assert set(hanging.lock()) == {"quick"}
    assert hanging.read("out.txt") == "partial"
    finish_and_check(hanging)


def test_sigint_with_parallel_stages_ends_every_group(pipe: Pipe) -> None:
    scripts = {
        f"slow_{n}.py": SLOW.replace("out.txt", f"out_{n}.txt").replace("slow.pid", f"{n}.pid")
        for n in ("a", "b")
    }
    pipe.gen({**scripts, ".gitignore": "/hang\n/*.pid\n"})
    pipe.stages(
        """
        stages:
          a:
            cmd: python slow_a.py
            outs: [out_a.txt]
          b:
            cmd: python slow_b.py
            outs: [out_b.txt]
        """
    )
    pipe.commit()
    pipe.gen({"hang": ""})
    proc = pipe.popen("repro", "-j", "2")
    pids = []
    for n in ("a", "b"):
        pid, pgid, child = (int(x) for x in pipe.wait_for(f"{n}.pid").split())
        pipe.reap_group(pgid)
        pids += [pid, child]
    proc.send_signal(signal.SIGINT)
    _, err = pipe.output(proc)
    assert proc.returncode == 130, err
    assert wait_until(lambda: not any(alive(p) for p in pids))
    assert not pipe.exists("stages.lock")
