"""The only module that talks to git.

Locating the repository is done by reading the file system (fast, no
subprocess); index queries use ``git ls-files``; history is read through
dulwich without touching the work tree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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


# -- lineage: the commit that last changed a path ------------------------------


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """A commit as lineage reports it."""

    id: str  # full hex id
    author: str
    time: int  # author date, seconds since the epoch
    offset: int  # the author's UTC offset, seconds
    summary: str  # first line of the message


def commit_id(root: Path, rev: str) -> str | None:
    """The full id of the commit ``rev`` names (any git revision syntax), or None."""
    proc = run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=root,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def blob_id(data: bytes) -> str:
    """The id git gives a file with content ``data`` (without writing it anywhere)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def changed_paths(root: Path, paths: Iterable[str]) -> set[str]:
    """Files at or below ``paths`` whose work-tree or index content differs from HEAD.

    Modified, staged, new (untracked) and deleted files, as ``git status``
    lists them; ignored files are not. Paths are taken literally (no globs).
    """
    args = list(paths)
    if not args:
        return set()
    out = git(
        root,
        "--no-optional-locks",
        "--literal-pathspecs",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
        *args,
    )
    found: set[str] = set()
    fields = out.split("\0")
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if len(record) < 4:
            continue
        found.add(record[3:])
        if "R" in record[:2] or "C" in record[:2]:  # a rename: its source path follows
            if i < len(fields) and fields[i]:
                found.add(fields[i])
            i += 1
    return found


K = TypeVar("K", bound=Hashable)


class History:
    """Commits, trees and blobs read through dulwich, memoised for walks over history.

    Close it when done (or use it as a context manager).
    """

    def __init__(self, root: Path) -> None:
        from dulwich.repo import Repo

        self._repo = Repo(str(root))
        self._objects: dict[bytes, Any] = {}
        self._lookups: dict[tuple[bytes, str], tuple[int, bytes] | None] = {}

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _object(self, oid: bytes) -> Any:
        """The object ``oid``, or None when it is missing (a shallow clone's edge)."""
        if oid not in self._objects:
            try:
                self._objects[oid] = self._repo[oid]
            except KeyError:
                self._objects[oid] = None
        return self._objects[oid]

    def _lookup(self, tree_id: bytes, path: str) -> tuple[int, bytes] | None:
        """(mode, id) of ``path`` below the tree ``tree_id``; memoised per subtree."""
        key = (tree_id, path)
        if key in self._lookups:
            return self._lookups[key]
        from dulwich.objects import Tree

        found: tuple[int, bytes] | None = None
        head, _, rest = path.partition("/")
        tree = self._object(tree_id)
        if isinstance(tree, Tree) and head:
            try:
                mode, sha = tree[head.encode("utf-8", "surrogateescape")]
            except KeyError:
                pass
            else:
                if not rest:
                    found = (mode, sha)
                elif mode & 0o170000 == 0o040000:
                    found = self._lookup(sha, rest)
        self._lookups[key] = found
        return found

    def _entry(self, commit: bytes, path: str) -> tuple[int, bytes] | None:
        obj = self._object(commit)
        return None if obj is None else self._lookup(obj.tree, path)

    def object_at(self, commit: str, path: str) -> tuple[str, bool] | None:
        """(git object id, is a folder) of ``path`` in ``commit``, or None when absent."""
        found = self._entry(commit.encode("ascii"), path)
        if found is None:
            return None
        mode, sha = found
        return sha.decode("ascii"), mode & 0o170000 == 0o040000

    def blob_at(self, commit: str, path: str) -> bytes | None:
        """The content of the file ``path`` in ``commit``, or None when absent."""
        found = self._entry(commit.encode("ascii"), path)
        return None if found is None else self._blob(found[1])

    def _blob(self, sha: bytes) -> bytes | None:
        from dulwich.objects import Blob

        obj = self._object(sha)
        return obj.as_raw_string() if isinstance(obj, Blob) else None

    def info(self, commit: str) -> CommitInfo:
        obj = self._object(commit.encode("ascii"))
        message = obj.message.decode("utf-8", errors="replace").strip()
        author = obj.author.decode("utf-8", errors="replace").split(" <", 1)[0]
        return CommitInfo(
            commit, author, int(obj.author_time), int(obj.author_timezone), message.split("\n")[0]
        )

    def last_changes(
        self,
        tip: str,
        paths: Mapping[K, str],
        same: Callable[[K, bytes | None, bytes | None], bool] | None = None,
    ) -> dict[K, CommitInfo | None]:
        """For each key, the commit reachable from ``tip`` that last changed ``paths[key]``.

        As ``git log -1 -- PATH`` finds it: from ``tip``, step to a parent that
        holds the same object at the path; the commit without such a parent
        made the change. All keys are traced in one walk, newest commit first,
        sharing tree lookups. Object ids decide; only where they differ is
        ``same(key, old_content, new_content)`` asked (None: absent), so a key
        can ignore changes to parts of a file it does not care about. A key
        whose path is absent at ``tip`` maps to None.
        """
        import heapq

        result: dict[K, CommitInfo | None] = {}
        pending: dict[bytes, list[K]] = {}
        queue: list[tuple[int, bytes]] = []

        def add(commit: bytes, key: K) -> None:
            if commit not in pending:
                pending[commit] = []
                heapq.heappush(queue, (-int(self._object(commit).commit_time), commit))
            pending[commit].append(key)

        start = tip.encode("ascii")
        for key, path in paths.items():
            if self._entry(start, path) is None:
                result[key] = None
            else:
                add(start, key)
        while queue:
            _, commit = heapq.heappop(queue)
            keys = pending.pop(commit)
            parents = [p for p in self._object(commit).parents if self._object(p) is not None]
            for key in keys:
                here = self._entry(commit, paths[key])
                parent = next(
                    (p for p in parents if self._same(key, here, self._entry(p, paths[key]), same)),
                    None,
                )
                if parent is None:
                    result[key] = self.info(commit.decode("ascii"))
                else:
                    add(parent, key)
        return result

    def _same(
        self,
        key: K,
        new: tuple[int, bytes] | None,
        old: tuple[int, bytes] | None,
        same: Callable[[K, bytes | None, bytes | None], bool] | None,
    ) -> bool:
        if new == old:
            return True
        if same is None or new is None:
            return False
        return same(key, None if old is None else self._blob(old[1]), self._blob(new[1]))
