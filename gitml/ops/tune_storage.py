"""Where a study lives, and the lock that makes its trial budget exact.

Default: an optuna journal file ``.git/gitml/tune/<study>/journal.log``,
appended under ``flock`` (the kernel drops the lock when its holder dies, so
a ``kill -9`` never leaves a stale lock). With ``storage: <database URL>`` the
study is in that database (shared by several machines).

The *reservation lock* serialises "count the trials, then create one" across
every process working on the study: a file lock beside the journal or the
SQLite file, a PostgreSQL advisory lock for a PostgreSQL database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import optuna
from optuna.storages.journal import BaseJournalBackend  # noqa: F401  (re-exported type)
from optuna.storages.journal._file import BaseJournalFileLock

from gitml.errors import GitmlError

ReservationLock = AbstractContextManager[Any]


class FileLock:
    """An exclusive ``flock`` on ``path``, also exclusive between threads of this process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> FileLock:
        self._threads.acquire()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._threads.release()


class _JournalFlock(BaseJournalFileLock):
    """optuna's journal lock, on ``flock`` instead of a symlink that a killed writer leaves."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(path)

    def acquire(self) -> bool:
        self._lock.__enter__()
        return True

    def release(self) -> None:
        self._lock.__exit__(None, None, None)


class PgAdvisoryLock:
    """A PostgreSQL session advisory lock on one dedicated connection (freed if we die)."""

    def __init__(self, url: str, name: str) -> None:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        self._engine = sqlalchemy.create_engine(url, poolclass=NullPool)
        digest = hashlib.sha256(f"gitml-tune:{name}".encode()).digest()
        self._key = int.from_bytes(digest[:8], "big", signed=True)
        self._threads = threading.Lock()
        self._conn: Any = None

    def _execute(self, sql: str) -> None:
        import sqlalchemy

        if self._conn is None:
            conn = self._engine.connect()
            self._conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        self._conn.execute(sqlalchemy.text(sql), {"k": self._key})

    def __enter__(self) -> PgAdvisoryLock:
        self._threads.acquire()
        try:
            self._execute("SELECT pg_advisory_lock(:k)")
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._execute("SELECT pg_advisory_unlock(:k)")
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


@dataclass
class StudyHandle:
    study: optuna.Study
    name: str
    url: str  # shown form
    dir: Path  # this machine's folder for the study: trial dirs, journal, locks
    lock: ReservationLock
    storage: optuna.storages.BaseStorage

    def close(self) -> None:
        close = getattr(self.lock, "close", None)
        if close is not None:
            close()
        engine = getattr(self.storage, "engine", None)
        if engine is not None:
            engine.dispose()


def quiet_optuna() -> None:
    """Silence optuna's INFO logging and its experimental-feature warnings (call in a
    ``warnings.catch_warnings()`` block)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message=r".*is already reported")


def storage_for(url: str | None, study_dir: Path, name: str) -> tuple[Any, ReservationLock, str]:
    """(optuna storage, reservation lock, shown URL) for the spec's ``storage``."""
    if url is None:
        study_dir.mkdir(parents=True, exist_ok=True)
        journal_lock = _JournalFlock(study_dir / "journal.lock")
        _repair_tail(study_dir / "journal.log", journal_lock)
        backend = optuna.storages.journal.JournalFileBackend(
            str(study_dir / "journal.log"), lock_obj=journal_lock
        )
        storage = optuna.storages.journal.JournalStorage(backend)
        return storage, FileLock(study_dir / "reserve.lock"), str(study_dir / "journal.log")
    return _database(url, name)


def _repair_tail(path: Path, lock: _JournalFlock) -> None:
    """Cut a torn last line (a write cut short by a crash of the machine): optuna would
    otherwise refuse the whole journal once a complete line follows it."""
    if not path.is_file():
        return
    lock.acquire()
    try:
        with open(path, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(max(0, size - 65536))
            tail = f.read()
            if tail.endswith(b"\n"):
                return
            cut = tail.rfind(b"\n")
            if cut >= 0 or size == len(tail):
                f.truncate(size - len(tail) + cut + 1)
    finally:
        lock.release()


def _database(url: str, name: str) -> tuple[Any, ReservationLock, str]:
    import sqlalchemy

    try:
        parsed = _with_driver(sqlalchemy.engine.make_url(url))
    except sqlalchemy.exc.ArgumentError:
        raise GitmlError(
            f"storage {url!r} is not a database URL", "write e.g. postgresql://user@host:5432/db"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    url = parsed.render_as_string(hide_password=False)
    try:
        lock = _lock_for(parsed, url, name)
        with lock:  # several workers starting at once must not race on creating the tables
            storage = optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    except ModuleNotFoundError as exc:
        raise GitmlError(
            f"cannot open {shown}: {exc}", "install the driver: pip install 'gitml[tune]'"
        ) from None
    except sqlalchemy.exc.OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        raise GitmlError(
            f"cannot open {shown}: {first}",
            "check that the database server is up and the URL right",
        ) from None
    return storage, lock, shown


def _with_driver(parsed: Any) -> Any:
    """``postgresql://`` with the driver that is installed (SQLAlchemy 2.1 defaults to
    psycopg 3; the `tune` extra installs psycopg2)."""
    import importlib.util

    if parsed.drivername != "postgresql" or importlib.util.find_spec("psycopg"):
        return parsed
    if importlib.util.find_spec("psycopg2"):
        return parsed.set(drivername="postgresql+psycopg2")
    return parsed


def _lock_for(parsed: Any, url: str, name: str) -> Any:
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return PgAdvisoryLock(url, name)
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return FileLock(Path(f"{parsed.database}.gitml-lock"))
    raise GitmlError(
        f"storage {parsed.render_as_string(hide_password=True)}: {backend} is not supported "
        "for tuning studies",
        "use postgresql://... or sqlite:///path",
    )


def open_study(
    data_dir: Path,
    name: str,
    url: str | None,
    *,
    create: bool,
    directions: list[Any],
    sampler: Any,
    pruner: Any,
) -> StudyHandle:
    """Open study ``name`` (creating it when ``create``); a worker only joins."""
    study_dir = data_dir / "tune" / name
    if not create and url is None and not (study_dir / "journal.log").is_file():
        raise _no_study(name, str(study_dir / "journal.log"))
    storage, lock, shown = storage_for(url, study_dir, name)
    study_dir.mkdir(parents=True, exist_ok=True)
    try:
        if create:
            with lock:
                study = optuna.create_study(
                    storage=storage,
                    study_name=name,
                    sampler=sampler,
                    pruner=pruner,
                    directions=directions,
                    load_if_exists=True,
                )
        else:
            study = optuna.load_study(
                study_name=name, storage=storage, sampler=sampler, pruner=pruner
            )
    except KeyError:
        raise _no_study(name, shown) from None
    return StudyHandle(study, name, shown, study_dir, lock, storage)


def _no_study(name: str, where: str) -> GitmlError:
    return GitmlError(
        f"no study {name} in {where}",
        "start it with `gitml tune STAGE` (or `gitml repro`) first; a worker only joins "
        "a study, with the same deps and space",
    )
