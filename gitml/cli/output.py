"""Shared output options (--json, -q, -v), rendering and the progress bar."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def echo(text: str, *, err: bool = False) -> None:
    """One line to stdout (or stderr), flushed: click's echo without importing click."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
    stream.flush()


class Out(NamedTuple):
    """What the user asked to see: JSON, only errors, or more detail."""

    json: bool
    quiet: bool
    verbose: bool

    def info(self, text: str) -> None:
        if not self.quiet and not self.json:
            echo(text)

    def detail(self, text: str) -> None:
        if self.verbose and not self.json:
            echo(text)

    def notice(self, text: str) -> None:
        if not self.quiet:
            echo(f"gitml: {text}", err=True)

    def emit_json(self, data: Any) -> None:
        echo(json.dumps(data, indent=2, sort_keys=False))

    def progress(self, label: str) -> Callable[[int, int], None] | None:
        if self.quiet or self.json or not sys.stderr.isatty() or os.environ.get("CI"):
            return None
        return ProgressBar(label)


def output_options(fn: F) -> F:
    import click

    fn = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(fn)
    fn = click.option("-q", "--quiet", is_flag=True, help="Print only errors.")(fn)
    fn = click.option("-v", "--verbose", is_flag=True, help="Print more detail.")(fn)
    return fn


def make_out(as_json: bool, quiet: bool, verbose: bool) -> Out:
    return Out(as_json, quiet, verbose)


class ProgressBar:
    """A throttled one-line bar on stderr (only created for terminals)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = done / total if total else 1.0
        width = 30
        bar = "#" * int(frac * width)
        sys.stderr.write(f"\r{self.label} [{bar:<{width}}] {frac * 100:5.1f}%")
        self.shown = True
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
