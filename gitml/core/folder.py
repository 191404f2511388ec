"""A tracked folder's hash, through its snapshot in the state index.

The snapshot keeps the folder's listing digest and manifest hash, and per
sub-folder of the scan (a :class:`Group`) the group's digest, whether all
its hashes are trusted, its file hashes, and the detail needed to compare
file by file, each group in a row of its own. An unchanged folder costs one
comparison of listing digests. After a change, only the groups whose digest
changed are read and looked at file by file, only the changed files are
read, only their groups' rows are written again, and when no file was
added, removed or renamed, the new manifest is the last one (its object in
the cache) with the changed rows rewritten: no work per unchanged file at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, overload

from gitml.core.hashing import hash_bytes
from gitml.core.listing import FileStat, Listing, listing_digest
from gitml.core.manifest import Entry, Manifest
from gitml.core.state import RACY_NS

if TYPE_CHECKING:
    from gitml.core.odb import LocalCache
    from gitml.core.tree import Hasher

OID_LEN = 32
# Beyond this many changed rows, building the manifest afresh beats patching the last one.
MAX_PATCHED = 256


class GroupRecord:
    """One group of a folder snapshot, decoded lazily (most are only compared)."""

    __slots__ = ("_detail", "digest", "oids", "trusted")

    def __init__(self, digest: str, trusted: bool, oids: str, detail: str) -> None:
        self.digest = digest
        self.trusted = trusted
        self.oids = oids  # every file's hash, concatenated in name order
        self._detail = detail  # JSON [names, ints, trusted flags]

    def oid_list(self) -> list[str]:
        o = self.oids
        return [o[i : i + OID_LEN] for i in range(0, len(o), OID_LEN)]

    def detail(self) -> tuple[list[str], list[int], list[int]] | None:
        """``(names, ints, trusted flags)``; None if damaged (its files are then read)."""
        try:
            names, ints, flags = json.loads(self._detail)
        except (ValueError, TypeError):
            return None
        if not len(names) * 4 == len(ints) == len(flags) * 4 == len(self.oids) // OID_LEN * 4:
            return None
        return names, ints, flags

    def row(self) -> tuple[str, bool, str, str]:
        return self.digest, self.trusted, self.oids, self._detail


class FolderHash(Sequence[str]):
    """A folder's manifest hash and, as a sequence, its files' hashes in ``rel`` order."""

    def __init__(
        self,
        oid: str,
        listing: Listing,
        group_oids: list[list[str]] | Callable[[], list[list[str]]],
        manifest: bytes | None,
        reused: str | None,
        stored: Callable[[], bytes | None] | None = None,
    ) -> None:
        self.oid = oid
        self.listing = listing
        # the files' hashes per group, or what reads them from the snapshot when asked
        self._group_oids = group_oids
        self._manifest = manifest
        self._stored = stored  # what reads the recorded manifest, if this is it
        self.reused = reused  # the snapshot manifest whose unchanged files' hashes were kept
        self._oids: list[str] | None = None

    @property
    def group_oids(self) -> list[list[str]]:
        if callable(self._group_oids):
            self._group_oids = self._group_oids()
        return self._group_oids

    def manifest_bytes(self) -> bytes:
        if self._manifest is None:
            kept = self._stored() if self._stored is not None else None
            if kept is not None and hash_bytes(kept) == self.oid:
                self._manifest = kept
            else:
                self._manifest = _build(self.listing, self.group_oids).to_bytes()
        return self._manifest

    @property
    def oids(self) -> list[str]:
        if self._oids is None:
            by_rel = {
                g.prefix + name: oid
                for g, oids in zip(self.listing.groups, self.group_oids, strict=True)
                for name, oid in zip(g.names, oids, strict=True)
            }
            self._oids = [by_rel[f.rel] for f in self.listing.files]
        return self._oids

    def pairs(self) -> Iterator[tuple[FileStat, str]]:
        """Each file with its hash, folder by folder (no sorting, nothing built ahead)."""
        for g, oids in zip(self.listing.groups, self.group_oids, strict=True):
            for i, oid in enumerate(oids):
                yield g.file(i), oid

    def __len__(self) -> int:
        return len(self.listing)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self.oids[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.oids)


def hash_folder(
    hasher: Hasher, rel: str, listing: Listing, *, remember: bool | str = True
) -> FolderHash:
    """The manifest hash of folder ``rel`` (relative to the repo) as ``listing`` found it.

    The new snapshot is written when ``remember`` is True, or is the hash that
    comes out: ``status`` passes the pointer's, so a folder that matches its
    pointer is quick to check next time, while a modified one is left for the
    next ``add``, which then patches the manifest it recorded last.
    """
    state = hasher.state
    objects = hasher.objects
    head = state.folder_head(rel)
    if head is not None and head[0] == listing.digest and head[2]:
        # unchanged since the snapshot: its file hashes are read only if asked for
        load = partial(_stored_oids, hasher, rel, listing, {})
        stored = partial(_object, objects, head[1])
        return FolderHash(head[1], listing, load, None, head[1], stored)
    heads = state.folder_group_heads(rel) if head is not None else {}
    changed = {gi for gi, g in enumerate(listing.groups) if heads.get(g.prefix) != (g.digest, True)}
    wanted = [listing.groups[gi].prefix for gi in changed]
    old = {p: GroupRecord(*row) for p, row in state.folder_groups(rel, wanted).items()}
    computed, todo = _compare(listing, changed, old)
    t0 = time.time_ns()  # every hash below was read after this moment
    read = [listing.groups[gi].file(i) for gi, i in todo]
    for (gi, i), oid in zip(todo, hasher.hash_files(read), strict=True):
        computed[gi][i] = oid
    records = _records(listing, computed, set(todo), t0)
    # the rows are the head's own (see _rows_match): the last manifest holds what they say
    same = head is not None and _rows_match(heads, head[0])
    manifest = None
    if head is not None and same and set(heads) == {g.prefix for g in listing.groups}:
        manifest = _patched(_object(objects, head[1]), listing, old, computed)
    group_oids: list[list[str]] | Callable[[], list[list[str]]]
    group_oids = partial(_stored_oids, hasher, rel, listing, computed)
    if manifest is None:
        group_oids = group_oids()
        manifest = _build(listing, group_oids).to_bytes()
    oid = hash_bytes(manifest)
    if remember is True or remember == oid:
        trusted = all(r.trusted for r in records.values())
        prefixes = [g.prefix for g in listing.groups]
        rows = {p: r.row() for p, r in records.items()}
        state.folder_put(rel, (listing.digest, oid, trusted), prefixes, rows)
    reused = head[1] if head is not None and same and len(todo) < len(listing) else None
    return FolderHash(oid, listing, group_oids, manifest, reused)


def _rows_match(heads: dict[str, tuple[str, bool]], head_digest: str) -> bool:
    """Whether the group rows are those the head was written with: their digests
    make its listing digest. Rows of a ``status`` and an ``add`` that wrote at the
    same time can be mixed, and then do not say what the last manifest holds."""
    return listing_digest(heads[prefix][0] for prefix in sorted(heads)) == head_digest


def _object(objects: LocalCache | None, oid: str) -> bytes | None:
    """The cache object ``oid`` (a manifest recorded before), if it is there and whole."""
    if objects is None:
        return None
    try:
        data = objects.read_bytes(oid)
    except OSError:
        return None
    return data if hash_bytes(data) == oid else None


def _stored_oids(
    hasher: Hasher, rel: str, listing: Listing, computed: dict[int, list[str]]
) -> list[list[str]]:
    """Every group's file hashes: ``computed`` ones (by group index), the others as
    the snapshot has them (read only now, when asked for).

    A group row that does not vouch for the group as listed (one written by a
    ``status`` and an ``add`` at the same time, each for its own listing, or a
    damaged one) is not used: its files are hashed again, through the state
    index, which knows them unless they changed.
    """
    groups = listing.groups
    wanted = [g.prefix for gi, g in enumerate(groups) if gi not in computed]
    stored = hasher.state.folder_groups(rel, wanted) if wanted else {}
    out = []
    for gi, g in enumerate(groups):
        oids = computed.get(gi)
        if oids is None:
            row = stored.get(g.prefix)
            if row is not None and row[0] == g.digest and row[1]:
                oids = GroupRecord(*row).oid_list()
            if oids is None or len(oids) != g.count:
                oids = hasher.hash_files([g.file(i) for i in range(g.count)])
        out.append(oids)
    return out


def _compare(
    listing: Listing, changed: set[int], old: dict[str, GroupRecord]
) -> tuple[dict[int, list[str]], list[tuple[int, int]]]:
    """The hashes the snapshot still vouches for in the changed groups (by group
    index, "" where unknown) and the files to read."""
    computed: dict[int, list[str]] = {}
    todo: list[tuple[int, int]] = []
    for gi in sorted(changed):
        g = listing.groups[gi]
        record = old.get(g.prefix)
        detail = record.detail() if record is not None else None
        known: dict[str, tuple[int, int, int, str]] = {}
        if record is not None and detail is not None:
            names, ints, flags = detail
            for j, (name, oid) in enumerate(zip(names, record.oid_list(), strict=True)):
                if flags[j]:
                    known[name] = (ints[4 * j], ints[4 * j + 1], ints[4 * j + 2], oid)
        oids = [""] * g.count
        for i, name in enumerate(g.names):
            k = known.get(name)
            if k is not None and k[:3] == g.stat_key(i):
                oids[i] = k[3]
            else:
                todo.append((gi, i))
        computed[gi] = oids
    return computed, todo


def _records(
    listing: Listing, computed: dict[int, list[str]], fresh: set[tuple[int, int]], t0: int
) -> dict[str, GroupRecord]:
    """The snapshot rows of the changed groups (``computed``), by prefix.

    A file read now is trusted only if its mtime is older than the read by the
    racy window; a later write within the same clock tick could keep its mtime.
    """
    out: dict[str, GroupRecord] = {}
    for gi, oids in computed.items():
        g = listing.groups[gi]
        flags = [
            int((gi, i) not in fresh or g.ints[4 * i + 2] + RACY_NS < t0) for i in range(g.count)
        ]
        detail = json.dumps([g.names, g.ints, flags], separators=(",", ":"))
        out[g.prefix] = GroupRecord(g.digest, all(flags), "".join(oids), detail)
    return out


def _build(listing: Listing, group_oids: list[list[str]]) -> Manifest:
    entries = [
        Entry(g.prefix + name, oid, g.ints[4 * i + 1], bool(g.ints[4 * i + 3]))
        for g, oids in zip(listing.groups, group_oids, strict=True)
        for i, (name, oid) in enumerate(zip(g.names, oids, strict=True))
    ]
    entries.sort(key=_path)
    return Manifest(tuple(entries))


def _path(entry: Entry) -> str:
    return entry.path


def _patched(
    data: bytes | None,
    listing: Listing,
    old: dict[str, GroupRecord],
    computed: dict[int, list[str]],
) -> bytes | None:
    """The last manifest (``data``) with the rows of changed files rewritten, when
    the folder has the same files under the same names; else None. The caller
    checked that the folder has the same groups; ``old`` has those that changed."""
    if data is None:
        return None
    rows: list[tuple[str, str, int, int]] = []  # (path, oid, size, exec) to rewrite
    for gi in sorted(computed):
        g = listing.groups[gi]
        record = old.get(g.prefix)
        detail = record.detail() if record is not None else None
        if record is None or detail is None or detail[0] != g.names:
            return None
        ints = detail[1]
        for i, (before, now) in enumerate(zip(record.oid_list(), computed[gi], strict=True)):
            size, executable = g.ints[4 * i + 1], g.ints[4 * i + 3]
            if (before, ints[4 * i + 1], ints[4 * i + 3]) != (now, size, executable):
                rows.append((g.prefix + g.names[i], now, size, int(bool(executable))))
    if len(rows) > MAX_PATCHED:
        return None
    return _rewrite_rows(data, rows)


def _rewrite_rows(data: bytes, rows: list[tuple[str, str, int, int]]) -> bytes | None:
    """``data`` (a manifest) with each row of ``rows``'s paths replaced; None if one
    is not found. A row starts with ``["<path>","``: inside a JSON string every
    quote is escaped, so that can only be the start of that path's row."""
    cuts: list[tuple[int, int, bytes]] = []
    for row in rows:
        head = b"[" + json.dumps(row[0], ensure_ascii=False).encode() + b',"'
        start = data.find(head)
        if start < 0:
            return None
        end = data.find(b"]", start + len(head) + OID_LEN) + 1  # after size and exec bit
        text = json.dumps(list(row), separators=(",", ":"), ensure_ascii=False)
        cuts.append((start, end, text.encode()))
    cuts.sort()
    out: list[bytes] = []
    at = 0
    for start, end, row_bytes in cuts:
        out += (data[at:start], row_bytes)
        at = end
    out.append(data[at:])
    return b"".join(out)
