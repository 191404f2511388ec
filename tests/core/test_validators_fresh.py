"""The pre-generated validators in gitml/validators match their schemas.

A stale validator is never used (gitml compiles the schema instead), but
then every command pays ~40 ms per schema; regenerate with
`python -m gitml.core.schema`.
"""

from __future__ import annotations

import importlib

import pytest

from gitml.core import schema


@pytest.mark.parametrize("name", schema.SCHEMAS)
def test_generated_validator_is_fresh(name: str) -> None:
    module = importlib.import_module(f"gitml.validators.{name.replace('-', '_')}")
    assert schema.schema_digest(name) == module.SCHEMA_DIGEST, (
        f"gitml/validators/{name}.py is stale: run `python -m gitml.core.schema`"
    )


@pytest.mark.parametrize("name", schema.SCHEMAS)
def test_generated_and_compiled_validators_agree(name: str) -> None:
    import copy

    import fastjsonschema

    compiled = fastjsonschema.compile(copy.deepcopy(schema.load_schema(name)))
    generated = importlib.import_module(f"gitml.validators.{name.replace('-', '_')}").validate
    samples = {
        "pointer": [{"version": 1, "path": "a", "hash": "xxh128:" + "0" * 32, "size": 1}, {}],
        "config": [{"cache": {"type": ["copy"]}}, {"cache": {"type": "nope"}}],
        "stages": [{"stages": {"a": {"cmd": "true"}}}, {"stages": {"a": {"cm": "x"}}}],
        "lock": [{"schema": 1, "stages": {}}, {"schema": 2}],
        "tune": [
            {"metric": "m.json:acc", "direction": "maximize", "trials": 2, "space": {}},
            {"metric": "m.json:acc", "trials": "many"},
        ],
        "policy": [
            {"rules": [{"id": "metric-gate", "thresholds": ["m.json:acc >= 0.9"]}]},
            {"rules": [{"id": "pii", "hooks": ["pre-comit"]}]},
        ],
        "model-card": [
            {
                "name": "m",
                "version": 1,
                "owners": ["a"],
                "license": "MIT",
                "intended_use": "x",
                "limitations": "y",
                "training_data": [{"path": "d", "hash": "xxh128:" + "0" * 32}],
                "metrics": {"acc": 0.9},
            },
            {"name": "m", "owners": []},
        ],
    }[name]
    for doc in samples:
        outcomes = []
        for validate in (compiled, generated):
            try:
                validate(doc)
                outcomes.append("ok")
            except fastjsonschema.JsonSchemaValueException as exc:
                outcomes.append(exc.message)
        assert outcomes[0] == outcomes[1]
