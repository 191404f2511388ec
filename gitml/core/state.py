"""The state index: (inode, size, mtime_ns) -> content hash.

An unchanged file is never read twice: its ``stat`` finds its hash here.
Entries are "racy" when the file's mtime is so close to the moment it was
hashed that a later write could keep the same mtime (coarse file-system
clocks); a racy entry is not trusted and the file is hashed again, which then
records a trusted entry. Stored in SQLite (WAL), so a killed writer never
leaves it corrupt and readers never block.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

# A write after hashing can carry an mtime up to one clock tick in the past.
RACY_NS = 25_000_000

StatKey = tuple[int, int, int]  # (inode, size, mtime_ns)
# (inode, size, mtime_ns, ctime_ns): ctime also changes when an edit restores the mtime
ParsedKey = tuple[int, int, int, int]
# ``checked_ns`` value for files gitml wrote itself from a known object.
TRUSTED = -1


class StateIndex:
    def __init__(self, folder: Path, on_event: Callable[[str], None] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "state.db"
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            # Only a cache of hashes: a damaged one is set aside and rebuilt.
            self._set_aside(path)
            if on_event:
                on_event(f"the state index {path} was unreadable ({exc}); rebuilt it")
            self._db = self._open(path)

    @staticmethod
    def _set_aside(path: Path) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            part = path.with_name(path.name + suffix)
            if part.exists():
                part.replace(part.with_name(f"{part.name}.broken-{stamp}"))

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            StateIndex._setup(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _setup(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS state (ino INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, checked_ns INTEGER NOT NULL, hash TEXT NOT NULL)"
        )
        db.execute("CREATE TABLE IF NOT EXISTS complete (manifest TEXT PRIMARY KEY)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS snapshots (path TEXT PRIMARY KEY, listing TEXT NOT NULL,"
            " oid TEXT NOT NULL, trusted INTEGER NOT NULL)"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS snapshot_groups (path TEXT NOT NULL, prefix TEXT NOT NULL,"
            " digest TEXT NOT NULL, trusted INTEGER NOT NULL, oids TEXT NOT NULL,"
            " detail TEXT NOT NULL, PRIMARY KEY (path, prefix)) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS documents (path TEXT PRIMARY KEY, kind TEXT NOT NULL,"
            " ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
            " ctime_ns INTEGER NOT NULL, doc TEXT NOT NULL)"
        )
        for old in ("trees", "folders"):  # folder snapshots as gitml kept them before
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (old,)).fetchone():
                db.execute(f"DROP TABLE {old}")
        # read a page of the table: a damaged file fails here (count(*) would read it all)
        db.execute("SELECT 1 FROM state LIMIT 1").fetchone()

    def close(self) -> None:
        self._db.close()

    def lookup(self, keys: Sequence[StatKey]) -> list[str | None]:
        """Trusted hashes for ``keys``, in order; None where unknown, changed or racy."""
        if not keys:
            return []
        rows = self._db.execute(
            "SELECT s.ino, s.size, s.mtime_ns, s.checked_ns, s.hash FROM state s"
            " JOIN json_each(?) j ON s.ino = j.value",
            (json.dumps([k[0] for k in keys]),),
        ).fetchall()
        known = {row[0]: row for row in rows}
        out: list[str | None] = []
        for ino, size, mtime in keys:
            row = known.get(ino)
            if row and row[1] == size and row[2] == mtime and mtime + RACY_NS < row[3]:
                out.append(row[4])
            else:
                out.append(None)
        return out

    def get(self, key: StatKey) -> str | None:
        return self.lookup([key])[0]

    def record(
        self, items: Iterable[tuple[StatKey, str]], *, checked_ns: int | None = None
    ) -> None:
        """Remember hashes. ``checked_ns`` is when reading started (default: now).

        Pass ``checked_ns=TRUSTED`` for files gitml has just written itself
        from a known object, whose content needs no second look.
        """
        now = time.time_ns() if checked_ns is None else checked_ns
        rows = []
        for (ino, size, mtime), digest in items:
            checked = mtime + RACY_NS + 1 if now == TRUSTED else now
            rows.append((ino, size, mtime, checked, digest))
        if not rows:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?)", rows)

    # -- folder snapshots (gitml.core.folder): a tracked folder's last listing --
    # A head row per folder, and a row per group (sub-folder with files), so that
    # a change rewrites the rows of the groups it touched, not the whole snapshot.

    def folder_head(self, path: str) -> tuple[str, str, bool] | None:
        """``(listing digest, manifest oid, trusted)`` of the folder at ``path``."""
        row = self._db.execute(
            "SELECT listing, oid, trusted FROM snapshots WHERE path = ?", (path,)
        ).fetchone()
        return None if row is None else (row[0], row[1], bool(row[2]))

    def folder_group_heads(self, path: str) -> dict[str, tuple[str, bool]]:
        """Each group's ``(digest, trusted)``, by prefix."""
        rows = self._db.execute(
            "SELECT prefix, digest, trusted FROM snapshot_groups WHERE path = ?", (path,)
        )
        return {prefix: (digest, bool(trusted)) for prefix, digest, trusted in rows}

    def folder_groups(
        self, path: str, prefixes: Iterable[str]
    ) -> dict[str, tuple[str, bool, str, str]]:
        """The groups ``prefixes`` that are there: ``(digest, trusted, oids, detail)``."""
        rows = self._db.execute(
            "SELECT g.prefix, g.digest, g.trusted, g.oids, g.detail FROM snapshot_groups g"
            " JOIN json_each(?) j ON g.prefix = j.value WHERE g.path = ?",
            (json.dumps(list(prefixes)), path),
        )
        return {row[0]: (row[1], bool(row[2]), row[3], row[4]) for row in rows}

    def folder_put(
        self,
        path: str,
        head: tuple[str, str, bool],
        prefixes: Sequence[str],
        changed: dict[str, tuple[str, bool, str, str]],
    ) -> None:
        """Write the folder's head, the ``changed`` groups, and drop the groups not
        among ``prefixes`` (all it has now), in one transaction."""
        listing, oid, trusted = head
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "DELETE FROM snapshot_groups WHERE path = ?"
                " AND prefix NOT IN (SELECT value FROM json_each(?))",
                (path, json.dumps(list(prefixes))),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO snapshot_groups VALUES (?, ?, ?, ?, ?, ?)",
                [(path, p, d, int(t), o, x) for p, (d, t, o, x) in changed.items()],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                (path, listing, oid, int(trusted)),
            )

    # -- validated documents of small files gitml reads on every command -----

    def parsed_get(self, path: str, kind: str, key: ParsedKey) -> str | None:
        """The JSON of ``path``'s validated document, if it was stored for this stat."""
        row = self._db.execute(
            "SELECT doc FROM documents WHERE path = ? AND kind = ? AND ino = ? AND size = ?"
            " AND mtime_ns = ? AND ctime_ns = ?",
            (path, kind, *key),
        ).fetchone()
        return None if row is None else str(row[0])

    def parsed_put(self, path: str, kind: str, key: ParsedKey, doc: str) -> None:
        """Remember a document; not while its mtime is too recent to tell a later write."""
        if key[2] + RACY_NS >= time.time_ns():
            return
        self._db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)", (path, kind, *key, doc)
        )

    # -- manifests whose every object is known to be in the cache -------------

    def is_complete(self, manifest: str) -> bool:
        row = self._db.execute("SELECT 1 FROM complete WHERE manifest = ?", (manifest,))
        return row.fetchone() is not None

    def mark_complete(self, manifest: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO complete VALUES (?)", (manifest,))

    def forget_complete(self) -> None:
        self._db.execute("DELETE FROM complete")
