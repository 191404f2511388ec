"""Confining paths to the repository."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from gitml.errors import BadPath


def check_relative(rel: str, source: str) -> str:
    """Validate a repo- or folder-relative path read from a file; return it normalised.

    Absolute paths and ``..`` components are refused: files committed to git
    must never make gitml read or write outside the repository.
    """
    if not rel:
        raise BadPath(f"{source}: empty path", "write a plain relative path")
    parts = rel.split("/")
    if "" not in parts and "." not in parts and ".." not in parts:
        # Already normal (the common case, e.g. every manifest entry): no pathlib.
        if rel.startswith("\\") or has_drive(rel):
            raise BadPath(f"{source}: absolute path {rel!r}", "paths must be relative to the file")
        return rel
    pure = PurePosixPath(rel)
    if pure.is_absolute() or rel.startswith("\\") or has_drive(rel):
        raise BadPath(f"{source}: absolute path {rel!r}", "paths must be relative to the file")
    if ".." in pure.parts:
        raise BadPath(f"{source}: path {rel!r} leaves its folder with '..'", "remove the '..'")
    if not pure.parts:  # "." or "./": the folder itself, not something in it
        raise BadPath(f"{source}: path {rel!r} names no file", "write a plain relative path")
    return pure.as_posix()


def has_drive(rel: str) -> bool:
    """``C:…`` is a drive path on Windows, so files never carry one (as the schemas say)."""
    return len(rel) > 1 and rel[1] == ":" and rel[0].isascii() and rel[0].isalpha()


def check_portable(rel: str, shown: str) -> None:
    """Refuse, before anything is written, a name that pointer files or manifests refuse."""
    if has_drive(rel) or rel.startswith("\\") or "\n" in rel:
        raise BadPath(
            f"{shown}: gitml cannot track a name that starts with a drive (C:) or a"
            " backslash, or that holds a line break",
            "rename it",
        )


def in_git_dir(rel: str) -> bool:
    return ".git" in PurePosixPath(rel).parts


def to_repo_relative(root: Path, user_path: str | os.PathLike[str], cwd: Path) -> str:
    """A path the user typed (relative to ``cwd``) as a posix path relative to ``root``.

    Symlinks in the path are not resolved (we track the link's location), but
    the result must stay inside the repository and outside ``.git``.
    """
    absolute = Path(os.path.normpath(cwd / Path(user_path)))
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        raise BadPath(
            f"{user_path}: outside the repository {root}", "pass a path inside the repository"
        ) from None
    posix = rel.as_posix()
    if posix in ("", "."):
        raise BadPath(f"{user_path}: is the repository root", "pass a file or folder inside it")
    if in_git_dir(posix):
        raise BadPath(f"{user_path}: is inside .git", "gitml tracks work-tree files only")
    return posix


def _inside(target: Path, base: Path) -> bool:
    try:
        target.relative_to(base)
    except ValueError:
        return False
    return True


def check_link_target(root: Path, path: Path, allowed: tuple[Path, ...] = ()) -> None:
    """Refuse a symlink whose target lies outside the work tree (or inside ``.git``).

    ``allowed`` are extra folders a link may point into: the object cache, for
    work trees checked out with ``cache.type: symlink``.
    """
    if not path.is_symlink():
        return
    target = path.resolve()
    real_root = root.resolve()
    if any(_inside(target, base.resolve()) for base in allowed):
        return
    if _inside(target, real_root) and not in_git_dir(target.relative_to(real_root).as_posix()):
        return
    shown = path.relative_to(root) if _inside(path, root) else path
    raise BadPath(
        f"{shown}: symlink points outside the repository ({target})",
        "copy the data into the repository or add the link's target instead",
    )
