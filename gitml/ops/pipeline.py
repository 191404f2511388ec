"""Loading the pipeline of a repository and choosing stages."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gitml import git
from gitml.core import stages as stages_mod
from gitml.core.dag import Dag, producers_of
from gitml.core.params import MISSING, get_dotted, read_params_file
from gitml.core.pointer import SUFFIX
from gitml.core.repo import Repo
from gitml.core.stages import PipelineDef, Stage
from gitml.errors import GitmlError
from gitml.ops.workspace import enclosing_artifact


@dataclass(frozen=True, slots=True)
class Pipeline:
    definition: PipelineDef
    dag: Dag
    tune_specs: dict[str, Any] = field(default_factory=dict)  # stage -> TuneSpec

    @property
    def stages(self) -> dict[str, Stage]:
        return self.definition.stages

    def resolve(self, targets: Sequence[str]) -> list[str]:
        """Stage names for target names (a ``foreach`` group name means all its stages)."""
        names: list[str] = []
        for target in targets:
            if target in self.stages:
                names.append(target)
                continue
            group = [n for n, s in self.stages.items() if s.group == target]
            if not group:
                from gitml.core.schema import suggest

                near = suggest(target, [*self.stages, *{s.group for s in self.stages.values()}])
                hint = f"did you mean {near!r}?" if near else "see `gitml stage list`"
                raise GitmlError(f"no stage named {target!r} in stages.yaml", hint)
            names.extend(group)
        return list(dict.fromkeys(names))

    def select(
        self, targets: Sequence[str], *, single_item: bool = False, downstream: bool = False
    ) -> list[str]:
        """The stages a command is about, in execution order."""
        if not targets:
            return self.dag.order()
        chosen = self.resolve(targets)
        if downstream:
            return self.dag.order(self.dag.closure(chosen, down=True))
        if single_item:
            return self.dag.order(chosen)
        return self.dag.order(self.dag.closure(chosen))


def load_pipeline(repo: Repo, *, check: bool = True) -> Pipeline | None:
    definition = stages_mod.load(repo.root)
    if definition is None:
        return None
    pipeline = Pipeline(definition, Dag.build(definition), _tune_specs(definition))
    if check:
        check_deps(repo, pipeline)
        check_params(repo, pipeline)
    return pipeline


def _tune_specs(definition: PipelineDef) -> dict[str, Any]:
    """Parse every ``tune:`` block now, so a bad search space stops before anything runs."""
    tuned = {name: s for name, s in definition.stages.items() if s.tune is not None}
    if not tuned:
        return {}
    from gitml.core.tune_space import parse_tune_spec

    specs = {}
    for name, stage in tuned.items():
        base = [*stage.origin, "tune"]

        def line_of(keys: Sequence[str | int], base: list[str] = base) -> int | None:
            pos = definition.doc.position([*base, *keys])
            return pos[0] if pos else None

        specs[name] = parse_tune_spec(stage.tune, source=definition.doc.source, line_of=line_of)
        if not any(o.path.endswith((".yaml", ".yml")) for o in stage.outs):
            raise definition.error(
                stage,
                ("outs",),
                "a tuning stage writes its best params to a YAML output",
                "declare one, e.g. outs: [tuning/best_params.yaml]",
            )
    return specs


def tune_request(repo: Repo, stage_name: str, options: Any = None) -> Any:
    """The tuner's request (``gitml.ops.tune.TuneRequest``) for a tuning stage."""
    from gitml.ops.tune_stage import request_for_stage

    return request_for_stage(repo, require_pipeline(repo), stage_name, options)


def require_pipeline(repo: Repo) -> Pipeline:
    pipeline = load_pipeline(repo)
    if pipeline is None:
        raise GitmlError(
            f"no {stages_mod.STAGES_FILE} in {repo.root}",
            "write one (see docs/pipelines.md) or cd into the project",
        )
    return pipeline


def check_deps(repo: Repo, pipeline: Pipeline) -> None:
    """Every dep must be a file git knows, a gitml artifact, or a stage's output."""
    loose: dict[str, tuple[Stage, int]] = {}
    outs_sorted = sorted(pipeline.dag.producer)
    for stage in pipeline.stages.values():
        for i, dep in enumerate(stage.deps):
            if producers_of(dep, outs_sorted):
                continue
            if os.path.isfile(repo.root / (dep + SUFFIX)) or enclosing_artifact(repo, dep):
                continue
            loose.setdefault(dep, (stage, i))
    if not loose:
        return
    known = git.work_tree_files(repo.root, list(loose))
    for dep, (stage, i) in loose.items():
        if any(k == dep or k.startswith(dep + "/") for k in known):
            continue
        exists = os.path.lexists(repo.root / dep)
        problem = (
            f"dependency {dep} is ignored by git and not tracked by gitml"
            if exists
            else f"dependency {dep} does not exist and no stage produces it"
        )
        hint = f"track it with `gitml add {dep}` or `git add {dep}`" if exists else "fix the path"
        raise pipeline.definition.error(stage, ("deps", i), problem, hint)


def check_params(repo: Repo, pipeline: Pipeline) -> None:
    """Every params file a stage reads must exist and hold every key it declares.

    Checked before anything runs, and reported at the declaration in stages.yaml.
    """
    docs: dict[str, dict[str, Any]] = {}
    for stage in pipeline.stages.values():
        for ref in stage.params:
            if ref.file not in docs:
                if not (repo.root / ref.file).is_file():
                    raise pipeline.definition.error(
                        stage,
                        ref.where[:3],  # the file's key, not one of its params
                        f"params file {ref.file} does not exist",
                        f"create {ref.file} or fix the name",
                    )
                docs[ref.file] = read_params_file(repo.root / ref.file, ref.file)
            if ref.key and get_dotted(docs[ref.file], ref.key) is MISSING:
                raise pipeline.definition.error(
                    stage,
                    ref.where,
                    f"param {ref.key!r} is not defined in {ref.file}",
                    f"add {ref.key} to {ref.file} or remove it from the stage's params",
                )
