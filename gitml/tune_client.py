"""Trial side of the pruning protocol (filled in by the tuning work)."""

from __future__ import annotations


def report(step: int, value: float) -> None:
    """No-op outside a tuning trial."""
    return None
