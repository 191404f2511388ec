"""Spreading many small file operations over threads.

Creating, copying and reading files is system-call work that releases the
GIL, so a few threads keep both cores and the disk queue busy where a single
loop waits on each call in turn.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 256
MIN_PARALLEL = 2 * CHUNK


def workers() -> int:
    """One thread per core (at least 2, at most 8).

    Measured on 2 cores, checking out 20,000 small files: 1-3 threads take
    1.2-1.5 s, 4 threads 1.7-2.2 s and 8 threads 1.9-2.3 s. Beyond a thread per
    core, the threads mostly hand the GIL to each other around each system call.
    """
    return max(2, min(8, os.cpu_count() or 2))


def parallel_chunks(fn: Callable[[list[T]], R], items: Sequence[T]) -> Iterator[R]:
    """``fn`` over consecutive chunks of ``items``, in order; threaded when worth it."""
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    if len(items) < MIN_PARALLEL:
        yield from map(fn, chunks)
        return
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(max_workers=workers()) as pool:
        yield from pool.map(fn, chunks)
