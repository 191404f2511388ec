"""The only module that talks to git.

Locating the repository is done by reading the file system (fast, no
subprocess); index queries use ``git ls-files``; history is read through
dulwich without touching the work tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitml.errors import NotARepository
from gitml.proc import run


@dataclass(frozen=True, slots=True)
class GitLocation:
    """Where a work tree and its git directories are."""

    root: Path  # top of the work tree
    git_dir: Path  # this work tree's git dir (.git, or .git/worktrees/NAME)
    common_dir: Path  # shared by all work trees (holds objects, refs, gitml cache)


def find(start: Path | None = None) -> GitLocation:
    """Find the git work tree containing ``start`` (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return GitLocation(folder, dotgit, _common_dir(dotgit))
        if dotgit.is_file():
            git_dir = _read_gitdir_file(dotgit)
            return GitLocation(folder, git_dir, _common_dir(git_dir))
    raise NotARepository(
        f"not a git repository (or any parent up to /): {here}",
        "run `git init` first, or cd into a git repository",
    )


def _read_gitdir_file(dotgit: Path) -> Path:
    text = dotgit.read_text().strip()
    if not text.startswith("gitdir:"):
        raise NotARepository(f"{dotgit}: not a gitdir link", "repair the work tree with git")
    target = Path(text.split(":", 1)[1].strip())
    if not target.is_absolute():
        target = dotgit.parent / target
    return target.resolve()


def _common_dir(git_dir: Path) -> Path:
    commondir = git_dir / "commondir"
    if commondir.is_file():
        target = Path(commondir.read_text().strip())
        if not target.is_absolute():
            target = git_dir / target
        return target.resolve()
    return git_dir


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run ``git`` in ``root`` and return its standard output as text."""
    proc = run(["git", *args], cwd=root, check=check)
    return proc.stdout.decode("utf-8", errors="surrogateescape")


def _z_split(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


def tracked_under(root: Path, paths: Iterable[str]) -> list[str]:
    """Files in git's index at or below each of ``paths`` (repo-relative, posix)."""
    args = list(paths)
    if not args:
        return []
    return _z_split(git(root, "ls-files", "-z", "--cached", "--", *args))


def work_tree_files(root: Path, globs: Iterable[str]) -> list[str]:
    """Existing files matching any of ``globs`` that git tracks or would track (not ignored)."""
    out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *globs)
    return sorted(rel for rel in dict.fromkeys(_z_split(out)) if (root / rel).is_file())


def pointer_files(root: Path, suffix: str) -> list[str]:
    """Files ending in ``suffix`` that git tracks or would track (not ignored), existing."""
    return [rel for rel in work_tree_files(root, [f"*{suffix}"]) if rel.endswith(suffix)]


def worktrees(root: Path) -> list[Path]:
    """Every existing work tree of the repository (this one first)."""
    out = git(root, "worktree", "list", "--porcelain")
    found = [
        Path(line[len("worktree ") :]) for line in out.splitlines() if line.startswith("worktree ")
    ]
    others = [p for p in found if p.resolve() != root.resolve() and p.is_dir()]
    return [root, *others]


def head_commit(root: Path) -> str | None:
    proc = run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, check=False)
    return proc.stdout.decode().strip() or None


# -- history, through dulwich ------------------------------------------------


def revisions(
    root: Path, *, branches: bool = False, tags: bool = False, all_commits: bool = False
) -> list[bytes]:
    """Commit ids to consider: HEAD plus branch tips, tag targets or every commit."""
    from dulwich.objects import Commit, Tag
    from dulwich.repo import Repo

    repo = Repo(str(root))
    try:
        prefixes: list[bytes] = []
        if branches:
            prefixes += [b"refs/heads/", b"refs/remotes/"]
        if tags:
            prefixes.append(b"refs/tags/")
        if all_commits:
            prefixes.append(b"refs/")
        tips = [
            sha
            for ref, sha in repo.get_refs().items()
            if ref == b"HEAD" or ref.startswith(tuple(prefixes))
        ]
        commits: list[Any] = []
        for sha in dict.fromkeys(tips):
            obj = repo[sha]
            while isinstance(obj, Tag):
                obj = repo[obj.object[1]]
            if isinstance(obj, Commit):
                commits.append(obj.id)
        if all_commits and commits:
            commits = [entry.commit.id for entry in repo.get_walker(include=commits)]
        return list(dict.fromkeys(commits))
    finally:
        repo.close()


def files_at_revisions(
    root: Path, commits: Iterable[bytes], wanted: Callable[[str], bool]
) -> Iterator[tuple[bytes, str, bytes]]:
    """Yield (commit, path, blob) for every file ``wanted(path)`` in the given commits.

    Trees are visited once each across all commits, so walking many similar
    commits costs about as much as walking their differences; a subtree seen
    before is skipped, so ``wanted`` must judge by file name, not location.
    """
    from dulwich.objects import Blob, Commit, Tree
    from dulwich.repo import Repo

    repo = Repo(str(root))
    seen_trees: set[bytes] = set()
    try:
        for commit_id in commits:
            commit = repo[commit_id]
            if not isinstance(commit, Commit):
                continue
            stack: list[tuple[str, bytes]] = [("", commit.tree)]
            while stack:
                prefix, tree_id = stack.pop()
                if tree_id in seen_trees:
                    continue
                seen_trees.add(tree_id)
                tree = repo[tree_id]
                if not isinstance(tree, Tree):
                    continue
                for entry in tree.iteritems():
                    name = entry.path.decode("utf-8", errors="surrogateescape")
                    path = f"{prefix}{name}"
                    if entry.mode & 0o170000 == 0o040000:
                        stack.append((f"{path}/", entry.sha))
                    elif wanted(path):
                        blob = repo[entry.sha]
                        if isinstance(blob, Blob):
                            yield commit_id, path, blob.as_raw_string()
    finally:
        repo.close()


def read_at(root: Path, rev: str, path: str) -> bytes | None:
    """The content of ``path`` at revision ``rev``, or None when absent."""
    proc = run(["git", "show", f"{rev}:{path}"], cwd=root, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout
