"""Parsing the `tune:` block: the spec it builds, and errors at file:line with a fix."""

from __future__ import annotations

import pytest
import yaml

from gitml.core.tune_space import grid_size, parse_tune_spec, tune_identity_fields
from gitml.errors import InvalidFile

from .helpers import locate

BLOCK = """\
tune:
  metric: ${trial.dir}/metrics.json:val_accuracy
  direction: maximize
  trials: 30
  space:
    train.lr: {float: [1e-4, 1.0e-1], log: true}
    train.hidden: {int: [16, 256]}
    train.optimizer: {choice: [adam, sgd]}
    train.channels: {int: [4, 16], when: {train.model: cnn}}
    train.model: {choice: [mlp, cnn]}
"""


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_tune_spec(yaml.safe_load(text)["tune"], source="stages.yaml", line_of=locate(text))


def test_a_full_block_parses_into_ordered_frozen_params() -> None:
    spec = parse(BLOCK)
    names = [p.name for p in spec.space]
    assert names.index("train.model") < names.index("train.channels")
    lr = spec.param("train.lr")
    assert lr is not None and (lr.kind, lr.low, lr.high, lr.log) == ("float", 1e-4, 0.1, True)
    channels = spec.param("train.channels")
    assert channels is not None and channels.when == (("train.model", ("cnn",)),)
    assert channels.active({"train.model": "cnn"}) and not channels.active({"train.model": "mlp"})
    assert spec.sampler == "tpe" and spec.pruner.kind == "median"
    assert spec.objectives[0].path == "${trial.dir}/metrics.json"
    assert spec.objectives[0].key == "val_accuracy"
    with pytest.raises(AttributeError):
        spec.trials = 3  # type: ignore[misc]


def test_identity_ignores_the_budget_but_not_the_space() -> None:
    spec = parse(BLOCK)
    assert tune_identity_fields(spec) == tune_identity_fields(parse(BLOCK.replace("30", "50")))
    assert tune_identity_fields(spec) != tune_identity_fields(
        parse(BLOCK.replace("[16, 256]", "[16, 512]"))
    )


def test_multi_objective_and_grid() -> None:
    spec = parse(
        BLOCK.replace(
            "metric: ${trial.dir}/metrics.json:val_accuracy", "metric: [m.json:acc, m.json:latency]"
        )
        .replace("direction: maximize", "direction: [maximize, minimize]")
        .replace("tune:\n", "tune:\n  sampler: nsga2\n")
    )
    assert spec.directions == ("maximize", "minimize") and spec.pruner.kind == "none"
    grid = parse_tune_spec(
        {
            "metric": "m.json:a",
            "direction": "minimize",
            "trials": 100,
            "sampler": "grid",
            "space": {
                "a": {"int": [1, 5], "step": 2},
                "b": {"float": [0.0, 0.5], "step": 0.25},
                "c": {"choice": [1, 2]},
            },
        }
    )
    assert grid_size(grid) == 3 * 3 * 2
    b = grid.param("b")
    assert b is not None and b.grid() == [0.0, 0.25, 0.5]


BAD = [
    ("[16, 256]", "[256, 16]", 7, "low 256 > high 16"),
    ("1e-4", "0", 6, "a log scale needs low > 0"),
    ("{float: [1e-4", "{floot: [1e-4", 6, "did you mean 'float'"),
    ("train.model: cnn", "train.modle: cnn", 9, "did you mean 'train.model'"),
    ("train.model: cnn", "train.model: rnn", 9, "'rnn' is not a choice of train.model"),
    ("train.model: cnn", "train.hidden: 16", 9, "is an int param, not a choice"),
    ("direction: maximize", "direction: [maximize, minimize]", 3, "2 directions for 1 metric"),
    ("trials: 30", "trials: 30\n  sampler: nsga2", 5, "nsga2 searches several metrics"),
    ("trials: 30", "trials: 30\n  sampler: grid", 7, "grid search needs a step"),
    ("{int: [16, 256]}", "{int: [16, 256], step: 7}", 7, "not a multiple of step"),
    ("{int: [16, 256]}", "{int: [16, 256], log: true, step: 8}", 7, "cannot be combined"),
    ("{int: [16, 256]}", "{int: [16, 256], choice: [1]}", 7, "both int and choice"),
    ("{choice: [adam, sgd]}", "{choice: [adam, adam]}", 8, "listed twice"),
    ("{choice: [adam, sgd]}", "{choice: [adam, sgd], log: true}", 8, "float and int only"),
    ("trials: 30", "trials: 0", 4, "bigger than or equal to 1"),
    ("trials: 30", "trials: 30\n  pruner: {type: median, warmup: 3}", 5, "'warmup_steps'"),
    ("direction: maximize", "direction: maximise", 3, "maximize or minimize"),
    ("train.hidden:", "train..hidden:", 7, "not a dotted param name"),
    ("{int: [16, 256]}", "{}", 7, "empty param"),
    ("metric: ${trial.dir}/metrics.json:val_accuracy", "metric: metrics.json", 2, "FILE:KEY"),
    (
        "{choice: [adam, sgd]}",
        "{choice: [adam, sgd], when: {train.optimizer: adam}}",
        8,
        "cannot depend on itself",
    ),
    (
        "{choice: [mlp, cnn]}",
        "{choice: [mlp, cnn], when: {train.optimizer: sgd}}\n"
        "    train.optimizer: {choice: [adam, sgd], when: {train.model: cnn}}",
        9,
        "cycle",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "message"), BAD)
def test_bad_blocks_name_file_line_and_problem(old: str, new: str, line: int, message: str) -> None:
    text = BLOCK.replace(old, new, 1)
    if "cycle" in message:
        text = text.replace("    train.optimizer: {choice: [adam, sgd]}\n", "")
    with pytest.raises(InvalidFile) as info:
        parse(text)
    err = info.value
    assert err.path == "stages.yaml"
    assert err.line == line, str(err)
    assert message in str(err)
    assert err.key is not None and err.key.startswith("tune")
    assert err.hint


def test_pruning_a_multi_objective_study_is_refused() -> None:
    with pytest.raises(InvalidFile, match="pruning needs a single metric"):
        parse_tune_spec(
            {
                "metric": ["m.json:a", "m.json:b"],
                "direction": ["maximize", "minimize"],
                "trials": 3,
                "pruner": "median",
                "space": {"x": {"int": [1, 2]}},
            }
        )


def test_a_yaml_1_1_exponent_string_is_read_as_a_number() -> None:
    spec = parse(BLOCK)  # `1e-4` is a string to PyYAML
    lr = spec.param("train.lr")
    assert lr is not None and lr.low == pytest.approx(1e-4)
