"""Content hashing with XXH3-128, written ``xxh128:<32 hex>``."""

from __future__ import annotations

import os
import re

import xxhash

from gitml.errors import GitmlError

PREFIX = "xxh128:"
_HEX_RE = re.compile(r"[0-9a-f]{32}")
# Files up to this size are read with one read() call; larger ones in chunks.
SMALL_FILE = 1 << 20
CHUNK = 16 << 20


def format_oid(hexdigest: str) -> str:
    """``abc…`` -> ``xxh128:abc…``."""
    return PREFIX + hexdigest


def parse_oid(value: str) -> str:
    """``xxh128:abc…`` -> ``abc…``; raise on anything else."""
    if not value.startswith(PREFIX) or not _HEX_RE.fullmatch(value[len(PREFIX) :]):
        raise GitmlError(
            f"bad hash {value!r}",
            "a hash is written xxh128: followed by 32 lowercase hex digits",
        )
    return value[len(PREFIX) :]


def is_oid(hexdigest: str) -> bool:
    return bool(_HEX_RE.fullmatch(hexdigest))


def hash_bytes(data: bytes | memoryview) -> str:
    """Hex XXH3-128 of ``data``."""
    return xxhash.xxh3_128_hexdigest(data)


def hash_fd(fd: int, size: int) -> str:
    """Hex XXH3-128 of the whole file open at ``fd`` (position 0), in bounded memory."""
    if size <= SMALL_FILE:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return xxhash.xxh3_128_hexdigest(data)
        # The file grew while we read it: fall back to streaming.
        os.lseek(fd, 0, os.SEEK_SET)
    hasher = xxhash.xxh3_128()
    buf = bytearray(min(CHUNK, max(size, 1 << 16)))
    view = memoryview(buf)
    with os.fdopen(os.dup(fd), "rb", buffering=0) as stream:
        while True:
            n = stream.readinto(buf)
            if not n:
                break
            hasher.update(view[:n])
    return str(hasher.hexdigest())


def hash_file(path: str | os.PathLike[str], size: int | None = None) -> str:
    """Hex XXH3-128 of the file at ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if size is None:
            size = os.fstat(fd).st_size
        return hash_fd(fd, size)
    finally:
        os.close(fd)
