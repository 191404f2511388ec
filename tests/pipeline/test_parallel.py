"""``repro -j N`` runs independent stages at once, each output line prefixed ``[stage]``."""

from __future__ import annotations

from .helpers import Pipe

# Each stage records when it started and ended. With --meet it also waits (up to
# 20 s) until the other stage has started, so the check does not depend on how
# fast the machine is: run one after the other, the first would fail waiting.
STAMP = """\
import os, sys, time

name, other = sys.argv[1], sys.argv[2]
meet = "--meet" in sys.argv
start = time.time()
print(f"started {name}", flush=True)
with open(f"started_{name}", "w") as f:
    f.write(str(os.getpid()))
if meet:
    deadline = time.time() + 20
    while not os.path.exists(f"started_{other}"):
        if time.time() > deadline:
            sys.exit(f"{name}: {other} never started")
        time.sleep(0.02)
time.sleep(0.3 if meet else 0.5)
os.makedirs("stamps", exist_ok=True)
with open(f"stamps/{name}", "w") as f:
    f.write(f"{start} {time.time()}")
print(f"finished {name}", flush=True)
"""

STAGES = """
stages:
  left:
    cmd: python stamp.py left right {meet} && echo left >> runs.log
    outs: [stamps/left]
  right:
    cmd: python stamp.py right left {meet} && echo right >> runs.log
    outs: [stamps/right]
  join:
    cmd: cat stamps/left stamps/right > joined.txt
    deps: [stamps/left, stamps/right]
    outs: [joined.txt]
"""


def interval(pipe: Pipe, name: str) -> tuple[float, float]:
    start, end = pipe.read(f"stamps/{name}").split()
    return float(start), float(end)


def test_independent_stages_run_at_once(pipe: Pipe) -> None:
    pipe.gen({"stamp.py": STAMP, ".gitignore": "/started_*\n"})
    pipe.stages(STAGES.format(meet="--meet"))
    pipe.commit()
    result = pipe.ok("repro", "-j", "2")
    left, right = interval(pipe, "left"), interval(pipe, "right")
    assert left[0] < right[1] and right[0] < left[1], (left, right)
    out = result.out.splitlines()
    for name in ("left", "right"):
        assert f"[{name}] started {name}" in out
        assert f"[{name}] finished {name}" in out
    # the downstream stage waited for both
    assert pipe.exists("joined.txt")
    assert sorted(pipe.lines("runs.log")) == ["left", "right"]
    assert set(pipe.lock()) == {"left", "right", "join"}


def test_one_job_runs_stages_one_after_the_other(pipe: Pipe) -> None:
    pipe.gen({"stamp.py": STAMP, ".gitignore": "/started_*\n"})
    pipe.stages(STAGES.format(meet=""))
    pipe.commit()
    result = pipe.ok("repro")
    left, right = interval(pipe, "left"), interval(pipe, "right")
    assert left[1] <= right[0], (left, right)
    # a single job writes straight through, without prefixes
    assert "started left" in result.out.splitlines()
    assert "[left]" not in result.out
