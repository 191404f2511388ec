"""Measure gitml's own cost per tuning trial (not a test; run it by hand).

    .venv/bin/python tests/tune/measure_overhead.py [TRIALS]

Runs fresh studies of TRIALS and 2*TRIALS trials (jobs=1, journal storage)
whose command only writes the metrics file through the shell; the slope
between the two runs is the time per trial, without the fixed cost of
opening the study and writing the outputs. The same shell command run by a
bare ``subprocess.run`` gives the command's own time; the difference is
gitml's overhead per trial: sampling, the trial folder and params files,
the journal writes, reading the metric, the event line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitml.core.repo import Repo
from gitml.core.tune_space import parse_tune_spec
from gitml.ops.tune import TuneRequest, run_tuning

CMD = """printf '{"score": %s}' 1 > ${trial.dir}/m.json"""


def _repo(folder: Path) -> Path:
    root = folder / "repo"
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run([sys.executable, "-m", "gitml", "init", "-q"], cwd=root, check=True, env=env)
    return root


def _tuning_seconds(root: Path, trials: int, identity: str) -> float:
    spec = parse_tune_spec(
        {
            "metric": "${trial.dir}/m.json:score",
            "direction": "maximize",
            "trials": trials,
            "seed": 0,
            "sampler": "tpe",
            "pruner": "none",
            "space": {"train.x": {"float": [0.0, 1.0]}},
        }
    )
    request = TuneRequest(
        stage="bench",
        cmd=[CMD],
        wdir=root,
        env={},
        base_params={},
        spec=spec,
        identity=identity,
        best_params_out=root / "best.yaml",
    )
    start = time.perf_counter()
    outcome = run_tuning(Repo.find(root), request)
    assert outcome.complete == trials
    return time.perf_counter() - start


def _command_seconds(folder: Path, n: int) -> float:
    target = folder / "m.json"
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(CMD.replace("${trial.dir}/m.json", str(target)), shell=True, check=True)
    return (time.perf_counter() - start) / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        _tuning_seconds(root, 2, "warm" * 8)  # imports, first study
        small = _tuning_seconds(root, n, "a" * 32)
        large = _tuning_seconds(root, 2 * n, "b" * 32)
        per_trial = (large - small) / n
        command = _command_seconds(Path(tmp), 2 * n)
    print(f"{n} trials: {small:.2f}s, {2 * n} trials: {large:.2f}s")
    print(f"per trial: {per_trial * 1000:.1f} ms; the command alone: {command * 1000:.1f} ms")
    print(f"gitml overhead per trial: {(per_trial - command) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
