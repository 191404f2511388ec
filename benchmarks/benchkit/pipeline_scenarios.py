"""Pipeline scenarios: no-op and one-param-changed ``repro``, gitml stages.yaml vs dvc.yaml.

They run only once ``gitml repro --help`` succeeds; until then the report lists
them as skipped with that reason.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from benchkit.data import copy_into
from benchkit.scenario import Scenario
from benchkit.tools import Tool

REPRO = [["repro"]]
SHARDS = 100
CHANGED_SHARD = 42

THREE_STAGES = {
    "prepare": {
        "cmd": "ls -R data > prepared.txt",
        "deps": ["data"],
        "params": ["prepare"],
        "outs": ["prepared.txt"],
    },
    "train": {
        "cmd": "cat prepared.txt params.yaml > model.bin",
        "deps": ["prepared.txt"],
        "params": ["train"],
        "outs": ["model.bin"],
    },
    "evaluate": {
        "cmd": "wc -c model.bin > eval.txt",
        "deps": ["model.bin"],
        "params": ["evaluate"],
        "outs": ["eval.txt"],
    },
}
THREE_PARAMS = {
    "prepare": {"split": 0.2},
    "train": {"lr": 0.01, "epochs": 3},
    "evaluate": {"threshold": 0.5},
}
SHARD_BODY = {
    "cmd": "mkdir -p out && cat in/${item}.txt > out/${item}.txt",
    "deps": ["in/${item}.txt"],
    "params": ["shards.${item}"],
    "outs": ["out/${item}.txt"],
}


def shard_names() -> list[str]:
    return [f"s{i:03d}" for i in range(SHARDS)]


@functools.cache
def gitml_has_repro(exe: str) -> bool:
    proc = subprocess.run([exe, "repro", "--help"], capture_output=True, check=False)
    return proc.returncode == 0


def require_repro(tool: Tool) -> str | None:
    if tool.name == "gitml" and not gitml_has_repro(tool.exe):
        return "`gitml repro --help` fails: no repro command yet"
    return None


def write_pipeline(tool: Tool, repo: Path, stages: Mapping[str, object]) -> None:
    """``stages.yaml`` for gitml, ``dvc.yaml`` for DVC (same keys; DVC nests foreach in do)."""
    if tool.name == "gitml":
        name, doc = "stages.yaml", {"params": "params.yaml", "stages": stages}
    else:
        name, doc = "dvc.yaml", {"stages": {k: _dvc_stage(v) for k, v in stages.items()}}
    (repo / name).write_text(yaml.safe_dump(doc, sort_keys=False))


def _dvc_stage(stage: object) -> object:
    if isinstance(stage, dict) and "foreach" in stage:
        body = {k: v for k, v in stage.items() if k != "foreach"}
        return {"foreach": stage["foreach"], "do": body}
    return stage


def write_params(repo: Path, params: Mapping[str, object]) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def shard_params(changed_value: int = 1) -> dict[str, object]:
    values = {s: {"scale": 1} for s in shard_names()}
    values[f"s{CHANGED_SHARD:03d}"] = {"scale": changed_value}
    return {"shards": values}


def setup_three(tool: Tool, repo: Path, tree: Path) -> None:
    copy_into(tree, repo / "data")
    tool.run(["add", "data"], repo)
    write_params(repo, THREE_PARAMS)
    write_pipeline(tool, repo, THREE_STAGES)
    tool.run(["repro"], repo)


def setup_shards(tool: Tool, repo: Path) -> None:
    (repo / "in").mkdir()
    for name in shard_names():
        (repo / "in" / f"{name}.txt").write_text(f"input of {name}\n")
    write_params(repo, shard_params())
    write_pipeline(tool, repo, {"shard": {"foreach": shard_names(), **SHARD_BODY}})
    tool.run(["repro"], repo)


def change_one_param(tool: Tool, repo: Path, run: int) -> None:
    write_params(repo, shard_params(changed_value=run + 2))


def scenarios(tree: Path, files: int) -> list[Scenario]:
    return [
        Scenario(
            f"no-op `repro` of a 3-stage pipeline (first stage reads the {files:,}-file dir)",
            None,
            lambda t, r: setup_three(t, r, tree),
            REPRO,
            REPRO,
            requires=require_repro,
        ),
        Scenario(
            f"no-op `repro` of a {SHARDS}-stage foreach pipeline",
            None,
            setup_shards,
            REPRO,
            REPRO,
            requires=require_repro,
        ),
        Scenario(
            f"`repro` after changing one param read by 1 of {SHARDS} stages",
            None,
            setup_shards,
            REPRO,
            REPRO,
            reset=change_one_param,
            requires=require_repro,
        ),
    ]
