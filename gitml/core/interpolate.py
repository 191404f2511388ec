"""``${...}`` interpolation in stages.yaml.

``${name}`` looks ``name`` (dotted) up in the context: the default params
file, the ``vars`` block, and ``item``/``key`` inside ``foreach``/``matrix``
stages. A string that is exactly one ``${...}`` takes the value itself (so a
list can feed ``foreach``); inside a longer string only scalars are allowed.
``${trial.*}`` is left alone: tuning fills it in per trial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from gitml.core.params import MISSING, get_dotted
from gitml.core.schema import suggest

PATTERN = re.compile(r"\$\{\s*([A-Za-z0-9_@\-]+(?:\.[A-Za-z0-9_@\-]+)*)\s*\}")
DEFERRED = ("trial.",)


class InterpolationError(Exception):
    def __init__(self, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.keys: list[str | int] = []  # where inside the rendered value, outermost first


def _lookup(name: str, context: Mapping[str, Any]) -> Any:
    value = get_dotted(context, name)
    if value is MISSING:
        head = name.split(".")[0]
        near = suggest(head, [str(k) for k in context])
        hint = f"did you mean ${{{near}}}?" if near and near != head else None
        raise InterpolationError(
            f"${{{name}}} is not defined",
            hint or "define it in params.yaml or the vars block",
        )
    return value


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Interpolate strings inside ``value`` (recursively through lists and dicts)."""
    if isinstance(value, str):
        return _render_str(value, context)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            with _inside(k):
                out[render(k, context)] = render(v, context)
        return out
    if isinstance(value, list):
        items = []
        for i, v in enumerate(value):
            with _inside(i):
                items.append(render(v, context))
        return items
    return value


@contextmanager
def _inside(key: str | int) -> Iterator[None]:
    """Prefix the location of an error raised inside with ``key``."""
    try:
        yield
    except InterpolationError as exc:
        exc.keys.insert(0, key)
        raise


def _render_str(text: str, context: Mapping[str, Any]) -> Any:
    if "${" not in text:
        return text
    whole = PATTERN.fullmatch(text.strip())
    if whole and not whole.group(1).startswith(DEFERRED):
        return _lookup(whole.group(1), context)

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith(DEFERRED):
            return match.group(0)
        value = _lookup(name, context)
        if isinstance(value, dict | list):
            raise InterpolationError(
                f"${{{name}}} is a {type(value).__name__}, not a value to put in a string",
                "refer to one of its keys, e.g. ${" + name + ".KEY}",
            )
        return _format(value)

    return PATTERN.sub(sub, text)
