"""Time one pass over a file: ``python throughput_probe.py MODE PATH`` prints seconds.

MODE is ``read`` (16 MiB readinto loop), ``xxh128`` (gitml.core.hashing.hash_file)
or ``md5`` (hashlib, DVC's hash, same 16 MiB chunks). Interpreter start-up and
imports are outside the timed region.
"""

from __future__ import annotations

import hashlib
import sys
import time

from gitml.core.hashing import hash_file

CHUNK = 16 << 20


def read_all(path: str) -> None:
    buf = bytearray(CHUNK)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


def md5_all(path: str) -> None:
    digest = hashlib.md5()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(view[:n])


def main(mode: str, path: str) -> None:
    func = {"read": read_all, "xxh128": hash_file, "md5": md5_all}[mode]
    start = time.perf_counter()
    func(path)
    print(f"{time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
