"""Spreading file work over threads, where that pays.

Reading, hashing and copying large files releases the GIL for long stretches,
so a few threads keep both cores and the disk queue busy. Small files do not
pay: each one is a handful of short system calls, and around each the threads
hand the GIL to each other. Measured on 2 cores, reading and hashing 20,000
files of 1-4 KiB took 0.41-0.47 s on one thread and 0.87-1.13 s on two;
storing them in the cache 0.9 s on one thread and 1.4-1.5 s on two. Checking
them out, where each file is a kernel-side copy, still gains: 0.84-0.94 s on
two threads, 1.01-1.51 s on one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 256
MIN_PARALLEL = 2 * CHUNK
# Below this mean file size one thread is faster (see above).
MIN_PARALLEL_MEAN_SIZE = 256 << 10


def workers() -> int:
    """One thread per core (at least 2, at most 8).

    Measured on 2 cores, checking out 20,000 small files: 1-3 threads take
    1.2-1.5 s, 4 threads 1.7-2.2 s and 8 threads 1.9-2.3 s. Beyond a thread per
    core, the threads mostly hand the GIL to each other around each system call.
    """
    return max(2, min(8, os.cpu_count() or 2))


def worth_threads(files: int, total_bytes: int) -> bool:
    """Whether reading or writing these files is faster on several threads."""
    return files >= 2 and total_bytes >= files * MIN_PARALLEL_MEAN_SIZE


def parallel_chunks(
    fn: Callable[[list[T]], R], items: Sequence[T], *, threads: bool = True
) -> Iterator[R]:
    """``fn`` over consecutive chunks of ``items``, in order; on threads when ``threads``
    and there are enough of them (chunks keep progress reports coming either way)."""
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    if not threads or len(items) < MIN_PARALLEL:
        yield from map(fn, chunks)
        return
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(max_workers=workers()) as pool:
        yield from pool.map(fn, chunks)
