"""Building tuning requests by hand, and the trial scripts the tests run.

``OBJECTIVE`` is a tiny trial: it reads its params through ``gitml.api``,
optionally reports intermediate values, and writes ``score = -(x - 2)^2`` to
the metrics file named on its command line. Environment variables set by a
test change what it does (sleep, fail, slow trial); every run appends one
JSON line to ``TRIAL_LOG`` when it starts and one when it is done.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from gitml.core.tune_space import TuneSpec, parse_tune_spec
from gitml.ops.tune import TuneRequest

HERE = Path(__file__).parent
RUNNER = HERE / "runner.py"

OBJECTIVE = r"""
import json, os, sys, time
from gitml import api

p = api.params()["train"]
x = float(p["x"])
number = int(os.environ["GITML_TRIAL_NUMBER"])
log = os.environ.get("TRIAL_LOG")

def note(event, **extra):
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"event": event, "trial": number, "pid": os.getpid(),
                                "x": x, "time": time.time(), **extra}) + "\n")

note("start")
sleep = float(os.environ.get("TRIAL_SLEEP", "0"))
if number == int(os.environ.get("SLOW_TRIAL", "-1")):
    sleep = 60.0
steps = int(os.environ.get("TRIAL_STEPS", "0"))
score = -(x - 2.0) ** 2
for step in range(steps):
    note("step", step=step)
    api.report(step, score)
    time.sleep(sleep / steps)
if not steps:
    time.sleep(sleep)
if x > float(os.environ.get("FAIL_ABOVE", "inf")):
    print("boom: x is too large")
    sys.exit(3)
if x < float(os.environ.get("NO_METRIC_BELOW", "-inf")):
    sys.exit(0)
with open(sys.argv[1], "w") as f:
    json.dump({"val": {"score": score, "x": x}}, f)
note("done")
"""

PY = shlex.quote(sys.executable)
CMD = f"{PY} objective.py ${{trial.dir}}/metrics.json"


def spec_dict(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "metric": "${trial.dir}/metrics.json:val.score",
        "direction": "maximize",
        "trials": 6,
        "seed": 7,
        "sampler": "random",
        "pruner": "none",
        "space": {"train.x": {"float": [-4.0, 4.0]}},
    }
    doc.update(overrides)
    return doc


def make_spec(**overrides: Any) -> TuneSpec:
    return parse_tune_spec(spec_dict(**overrides), source="stages.yaml")


def write_objective(root: Path) -> None:
    (root / "objective.py").write_text(OBJECTIVE)


def make_request(root: Path, spec: TuneSpec, **overrides: Any) -> TuneRequest:
    fields: dict[str, Any] = {
        "stage": "tune",
        "cmd": [CMD],
        "wdir": root,
        "env": {"GITML_STAGE": "tune", "GITML_ROOT": str(root)},
        "base_params": {"train": {"x": 0.0, "epochs": 3}},
        "spec": spec,
        "identity": "0" * 32,
        "best_params_out": root / "tuning" / "best_params.yaml",
        "trials_table_out": root / "tuning" / "trials.parquet",
    }
    fields.update(overrides)
    return TuneRequest(**fields)


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def runner_config(root: Path, spec: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """A JSON-able description of a request, for :data:`RUNNER` in another process."""
    return {
        "root": str(root),
        "spec": dict(spec),
        "cmd": [CMD],
        "env": {},
        "jobs": 1,
        "worker": False,
        "identity": "0" * 32,
        **fields,
    }


def start_runner(config: Mapping[str, Any], tmp: Path, name: str) -> subprocess.Popen[str]:
    """Run ``run_tuning`` in a new process (its stdout: events, then the outcome)."""
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(config))
    with open(tmp / f"{name}.out", "w") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(RUNNER), str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def runner_outcome(tmp: Path, name: str) -> dict[str, Any]:
    lines = (tmp / f"{name}.out").read_text().splitlines()
    last = next((ln for ln in reversed(lines) if ln.startswith("OUTCOME ")), None)
    assert last is not None, "\n".join(lines[-30:])
    outcome: dict[str, Any] = json.loads(last.removeprefix("OUTCOME "))
    return outcome


def locate(text: str) -> Any:
    """Maps a key path inside the `tune:` block to its (line, column) in ``text``."""

    def find(keys: Any) -> tuple[int, int] | None:
        node = yaml.compose(text)
        pos = None
        for key in ["tune", *keys]:
            if not isinstance(node, yaml.MappingNode):
                break
            for k, v in node.value:
                if k.value == str(key):
                    pos, node = (k.start_mark.line + 1, k.start_mark.column + 1), v
                    break
            else:
                break
        return pos

    return find
