"""Run ``run_tuning`` from a JSON description (``python runner.py CONFIG``).

The tests start it as a separate process so that they can ``kill -9`` it, or
run two of them against one shared study. Events go to stdout, one per line;
the last line is ``OUTCOME <json>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gitml.core.repo import Repo
from gitml.core.tune_space import parse_tune_spec
from gitml.ops.tune import TuneRequest, run_tuning


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    root = Path(config["root"])
    request = TuneRequest(
        stage="tune",
        cmd=config["cmd"],
        wdir=root,
        env={"GITML_STAGE": "tune", **config["env"]},
        base_params={"train": {"x": 0.0}},
        spec=parse_tune_spec(config["spec"]),
        identity=config["identity"],
        best_params_out=root / "tuning" / "best_params.yaml",
        trials_table_out=None,
        n_trials=config.get("n_trials"),
        jobs=config["jobs"],
        worker=config["worker"],
        on_event=lambda text: print(text, flush=True),
    )
    outcome = run_tuning(Repo.find(root), request)
    print("OUTCOME " + json.dumps(outcome.to_dict()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
