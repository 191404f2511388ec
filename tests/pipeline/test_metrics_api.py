"""``gitml metrics show`` and the stage-script API (``gitml.api``) inside ``gitml repro``."""

from __future__ import annotations

import json
import subprocess
import sys

from .helpers import Pipe

SCRIPT = """\
import json, sys
from gitml import api

split = sys.argv[1]
with open(f"seen_{split}.json", "w") as f:
    json.dump({"stage": api.stage(), "params": api.params()}, f)
api.log_metrics(f"metrics/{split}.json", accuracy=0.75 if split == "val" else 0.5,
                loss={"train": 0.25, "val": 1.5}, samples=10)
"""


def test_params_and_log_metrics_inside_a_stage(pipe: Pipe) -> None:
    pipe.params(
        """
        train:
          lr: 0.01
          epochs: 3
        model:
          kind: mlp
          layers: [16, 8]
        unused: 1
        """
    )
    pipe.gen({"extra.yaml": "data:\n  root: raw\n  skip: 2\n", "stage.py": SCRIPT})
    pipe.stages(
        """
        stages:
          ev:
            foreach: [val, test]
            cmd: python stage.py ${item}
            deps: [stage.py]
            params:
              - train.lr
              - model
              - extra.yaml: [data.root]
            outs:
              - seen_${item}.json
            metrics:
              - metrics/${item}.json
        """
    )
    pipe.commit()
    pipe.ok("repro")
    seen = json.loads(pipe.read("seen_val.json"))
    assert seen == {
        "stage": "ev@val",
        "params": {
            "train": {"lr": 0.01},
            "model": {"kind": "mlp", "layers": [16, 8]},
            "data": {"root": "raw"},
        },
    }
    assert json.loads(pipe.read("seen_test.json"))["stage"] == "ev@test"
    # log_metrics: JSON, keys sorted, nested values kept
    assert json.loads(pipe.read("metrics/val.json")) == {
        "accuracy": 0.75,
        "loss": {"train": 0.25, "val": 1.5},
        "samples": 10,
    }
    shown = json.loads(pipe.ok("metrics", "show", "--json").out)
    assert shown == {
        "metrics/val.json": {
            "accuracy": 0.75,
            "loss.train": 0.25,
            "loss.val": 1.5,
            "samples": 10,
        },
        "metrics/test.json": {
            "accuracy": 0.5,
            "loss.train": 0.25,
            "loss.val": 1.5,
            "samples": 10,
        },
    }


def test_params_outside_a_stage_read_params_yaml(pipe: Pipe) -> None:
    pipe.params("train:\n  lr: 0.5\n")
    pipe.gen({"show.py": "from gitml import api\nprint(api.params(), api.stage())\n"})
    out = subprocess.run(
        [sys.executable, "show.py"], cwd=pipe.root, capture_output=True, text=True, check=True
    ).stdout
    assert out == "{'train': {'lr': 0.5}} None\n"


METRICS_STAGE = """
stages:
  score:
    cmd: cp -r given/. metrics/
    deps: [given]
    metrics: [metrics/a.json, metrics/b.yaml, metrics/c.csv, metrics/d.tsv]
"""


def test_metrics_show_json_yaml_csv(pipe: Pipe) -> None:
    pipe.gen(
        {
            "given/a.json": json.dumps({"val": {"acc": 0.91234567, "f1": 0.5}, "epochs": 3}),
            "given/b.yaml": "test:\n  acc: 0.8\nnotes: fine\nper_class: [0.5, 0.75]\n",
            "given/c.csv": "step,loss,acc\n1,0.9,0.1\n2,0.4,0.6\n",
            "given/d.tsv": "step\tloss\n7\t0.125\n",
        }
    )
    pipe.stages(METRICS_STAGE)
    pipe.commit()
    pipe.ok("repro")
    shown = json.loads(pipe.ok("metrics", "show", "--json").out)
    assert shown == {
        "metrics/a.json": {"val.acc": 0.91234567, "val.f1": 0.5, "epochs": 3},
        "metrics/b.yaml": {
            "test.acc": 0.8,
            "notes": "fine",
            "per_class.0": 0.5,
            "per_class.1": 0.75,
        },
        "metrics/c.csv": {"step": 2, "loss": 0.4, "acc": 0.6},
        "metrics/d.tsv": {"step": 7, "loss": 0.125},
    }
    text = pipe.ok("metrics", "show").out.splitlines()
    assert text[:4] == [
        "metrics/a.json",
        "  val.acc  0.912346",
        "  val.f1   0.5",
        "  epochs   3",
    ]
    assert "  notes        fine" in text
    # one file by path (a path relative to the current folder works too)
    one = json.loads(pipe.ok("metrics", "show", "metrics/c.csv", "--json").out)
    assert one == {"metrics/c.csv": {"step": 2, "loss": 0.4, "acc": 0.6}}
    sub = pipe.repo.run("metrics", "show", "c.csv", "--json", cwd=pipe.root / "metrics")
    assert sub.code == 0, sub
    assert json.loads(sub.out) == one


def test_metrics_show_without_metrics(pipe: Pipe) -> None:
    pipe.stages(METRICS_STAGE)
    pipe.gen({"given/a.json": "{}"})
    pipe.commit()
    # files not produced yet are skipped; a named missing file is an error
    assert pipe.ok("metrics", "show", "--json").out.strip() == "{}"
    assert "no metrics files" in pipe.ok("metrics", "show").out
    result = pipe.fails("metrics", "show", "metrics/a.json")
    assert "metrics/a.json: no such metrics file" in result.err


def test_metrics_show_bad_json_names_the_file(pipe: Pipe) -> None:
    pipe.stages(METRICS_STAGE)
    pipe.gen({"given/a.json": "{", "given/b.yaml": "a: 1\n", "given/c.csv": "", "given/d.tsv": ""})
    pipe.commit()
    pipe.ok("repro")
    result = pipe.fails("metrics", "show")
    assert result.err.startswith("error: metrics/a.json:1: invalid JSON")
