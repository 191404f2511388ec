"""The stage graph: an edge from the stage that produces a path to each stage using it."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from gitml.core.stages import PipelineDef, Stage


@dataclass(frozen=True, slots=True)
class Dag:
    stages: dict[str, Stage]
    producer: dict[str, str]  # out path -> stage name
    upstream: dict[str, frozenset[str]]  # stage -> stages it depends on

    @classmethod
    def build(cls, pipeline: PipelineDef) -> Dag:
        stages = pipeline.stages
        producer = _producers(pipeline)
        outs_sorted = sorted(producer)
        upstream: dict[str, frozenset[str]] = {}
        for stage in stages.values():
            found: set[str] = set()
            for i, dep in enumerate(stage.deps):
                for out in producers_of(dep, outs_sorted):
                    if producer[out] == stage.name:
                        raise pipeline.error(
                            stage, ("deps", i), f"depends on its own output {out}", "remove the dep"
                        )
                    found.add(producer[out])
            upstream[stage.name] = frozenset(found)
        dag = cls(stages, producer, upstream)
        cycle = dag.find_cycle()
        if cycle:
            first = stages[cycle[0]]
            raise pipeline.error(
                first, (), f"dependency cycle: {' -> '.join(cycle)}", "break the cycle"
            )
        return dag

    def downstream(self) -> dict[str, set[str]]:
        down: dict[str, set[str]] = {name: set() for name in self.stages}
        for name, ups in self.upstream.items():
            for up in ups:
                down[up].add(name)
        return down

    def closure(self, names: Iterable[str], *, down: bool = False) -> set[str]:
        """``names`` with everything upstream of them (or downstream with ``down``)."""
        edges = self.downstream() if down else {k: set(v) for k, v in self.upstream.items()}
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(edges[name])
        return seen

    def order(self, subset: Iterable[str] | None = None) -> list[str]:
        """Topological order (stable: file order among independent stages)."""
        wanted = set(self.stages if subset is None else subset)
        position = {name: i for i, name in enumerate(self.stages)}
        done: set[str] = set()
        out: list[str] = []

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)
            for up in sorted(self.upstream[name], key=position.__getitem__):
                if up in wanted:
                    visit(up)
            out.append(name)

        for name in sorted(wanted, key=position.__getitem__):
            visit(name)
        return out

    def find_cycle(self) -> list[str] | None:
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self.stages, white)
        path: list[str] = []

        def visit(name: str) -> list[str] | None:
            color[name] = grey
            path.append(name)
            for up in sorted(self.upstream[name]):
                if color[up] == grey:
                    cycle = path[path.index(up) :]
                    # report in execution order: producer first
                    return [*reversed(cycle), cycle[-1]]
                if color[up] == white:
                    found = visit(up)
                    if found:
                        return found
            path.pop()
            color[name] = black
            return None

        for name in self.stages:
            if color[name] == white:
                found = visit(name)
                if found:
                    return found
        return None


def producers_of(dep: str, outs_sorted: list[str]) -> list[str]:
    """Outputs that ``dep`` is, lies inside of, or contains."""
    found = []
    # outputs that are dep itself or contain it: prefixes of dep
    parts = dep.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        j = bisect.bisect_left(outs_sorted, prefix)
        if j < len(outs_sorted) and outs_sorted[j] == prefix:
            found.append(prefix)
    # outputs inside dep (dep is a folder holding outputs)
    j = bisect.bisect_left(outs_sorted, dep + "/")
    while j < len(outs_sorted) and outs_sorted[j].startswith(dep + "/"):
        found.append(outs_sorted[j])
        j += 1
    return found


def _producers(pipeline: PipelineDef) -> dict[str, str]:
    producer: dict[str, str] = {}
    for stage in pipeline.stages.values():
        for i, out in enumerate(stage.outs):
            other = producer.get(out.path)
            if other is not None:
                raise pipeline.error(
                    stage,
                    (out.kind, i),
                    f"output {out.path} is also an output of stage {other}",
                    "each path must have exactly one producing stage",
                )
            producer[out.path] = stage.name
    for path, name in producer.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            outer = "/".join(parts[:i])
            if outer in producer:
                raise pipeline.error(
                    pipeline.stages[name],
                    (),
                    f"output {path} lies inside output {outer} of stage {producer[outer]}",
                    "outputs must not overlap",
                )
    return producer
