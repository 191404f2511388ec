"""Error types. Every message a user sees says what is wrong and how to fix it.

The CLI has one handler (``gitml.cli.main``) that maps these to exit codes:
1 for a user error, 2 for usage, 130 for an interrupt, 3 for an internal bug.
"""

from __future__ import annotations

from pathlib import Path


class GitmlError(Exception):
    """A user-facing error: ``message`` says what is wrong, ``hint`` how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class NotARepository(GitmlError):
    """Not inside a git repository, or gitml is not initialised there."""


class InvalidFile(GitmlError):
    """A file gitml reads is malformed: names the file, line and key."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        what = f"{key}: {problem}" if key else problem
        super().__init__(f"{where}: {what}", hint)
        self.path = str(path)
        self.line = line
        self.column = column
        self.key = key
        self.problem = problem


class BadPath(GitmlError):
    """A path that gitml refuses: outside the repository, inside .git, ..."""


class AlreadyTrackedByGit(GitmlError):
    """The path is committed to git, so gitml cannot take it over."""


class NotInCache(GitmlError):
    """An object a pointer refers to is not in the local cache."""


class CheckoutConflict(GitmlError):
    """Checkout would overwrite content that exists nowhere else."""

    def __init__(self, paths: list[str]) -> None:
        shown = ", ".join(paths[:10])
        more = f" and {len(paths) - 10} more" if len(paths) > 10 else ""
        super().__init__(
            f"checkout would overwrite local changes that are not in the cache: {shown}{more}",
            "run `gitml add`/`gitml commit` to keep them, or `gitml checkout --force` "
            "to discard them",
        )
        self.paths = paths


class LockBusy(GitmlError):
    """Another gitml process holds the repository lock."""


class HashMismatch(GitmlError):
    def __init__(self, path: str, expected: str, got: str) -> None:
        super().__init__(
            f"{path}: content hash is {got}, expected {expected}",
            "the object is corrupt; run `gitml fsck --repair` and add or pull it again",
        )
        self.path = path
        self.expected = expected
        self.got = got


class StageFailed(GitmlError):
    """A pipeline stage's command exited non-zero."""
