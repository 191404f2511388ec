"""Rendering the stage graph as text, Graphviz dot or Mermaid."""

from __future__ import annotations

from gitml.ops.pipeline import Pipeline


def _id(name: str) -> str:
    return "s_" + "".join(c if c.isalnum() else "_" for c in name)


def render(pipeline: Pipeline, names: list[str], fmt: str) -> str:
    ups = {n: sorted(u for u in pipeline.dag.upstream[n] if u in names) for n in names}
    if fmt == "dot":
        lines = ["digraph gitml {", "  rankdir=TB;", "  node [shape=box];"]
        lines += [f'  "{n}";' for n in names]
        lines += [f'  "{u}" -> "{n}";' for n in names for u in ups[n]]
        return "\n".join([*lines, "}"])
    if fmt == "mermaid":
        lines = ["flowchart TD"]
        lines += [f'  {_id(n)}["{n}"]' for n in names]
        lines += [f"  {_id(u)} --> {_id(n)}" for n in names for u in ups[n]]
        return "\n".join(lines)
    width = max((len(n) for n in names), default=0)
    rows = []
    for n in names:
        after = f"after {', '.join(ups[n])}" if ups[n] else "(start)"
        rows.append(f"{n:<{width}}  {after}")
    return "\n".join(rows)
