"""The only module that talks to git.

Locating the repository is done by reading the file system (fast, no
subprocess); index queries use ``git ls-files``; history is read through
dulwich without touching the work tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from gitml.errors import GitmlError, NotARepository
from gitml.proc import capture, failure, run


class GitLocation(NamedTuple):
    """Where a work tree and its git directories are."""

    root: Path  # top of the work tree
    git_dir: Path  # this work tree's git dir (.git, or .git/worktrees/NAME)
    common_dir: Path  # shared by all work trees (holds objects, refs, gitml cache)
    bare: bool = False  # a bare repository: root == git_dir, no work tree


def find(start: Path | None = None) -> GitLocation:
    """Find the git work tree containing ``start`` (default: the current directory).

    A bare repository (``git clone --bare``) is found too, with ``bare`` set and
    its git directory as ``root``: only read-only commands can work there.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return GitLocation(folder, dotgit, _common_dir(dotgit))
        if dotgit.is_file():
            git_dir = _read_gitdir_file(dotgit)
            return GitLocation(folder, git_dir, _common_dir(git_dir))
        if _is_bare_git_dir(folder):
            return GitLocation(folder, folder, _common_dir(folder), bare=True)
    raise NotARepository(
        f"not a git repository (or any parent up to /): {here}",
        "run `git init` first, or cd into a git repository",
    )


def _is_bare_git_dir(folder: Path) -> bool:
    """A git directory whose config says ``bare = true`` (stat checks first: cheap)."""
    if not ((folder / "HEAD").is_file() and (folder / "objects").is_dir()):
        return False
    try:
        text = (folder / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    section = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[] ").lower()
        elif section == "core" and "=" in line:
            key, value = (part.strip().lower() for part in line.split("=", 1))
            if key == "bare":
                return value in ("true", "yes", "on", "1")
    return False


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
    proc = capture(["git", "-C", str(root), *args], check=False)
    if check and proc.returncode != 0:
        raise failure(["git", *args], proc.returncode, proc.stdout, proc.stderr)
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


# -- one commit's files, through dulwich (no checkout) ------------------------

_REV_SUFFIX = re.compile(r"(?:[~^]\d*)+$")


class UnknownRevision(GitmlError):
    """A revision name that does not resolve to a commit."""

    def __init__(self, rev: str, why: str = "") -> None:
        super().__init__(
            f"unknown revision {rev!r}{': ' + why if why else ''}",
            "name a commit, branch or tag (`git log --oneline` lists commits)",
        )
        self.rev = rev


class CommitFiles:
    """Read-only view of one commit's tree: read a blob, list paths. Close when done."""

    def __init__(self, root: Path, rev: str) -> None:
        from dulwich.repo import Repo

        self.rev = rev
        self._repo = Repo(str(root))
        try:
            self._commit = _parse_commit(self._repo, rev)
        except BaseException:
            self._repo.close()
            raise
        self.commit_id: str = self._commit.id.decode("ascii")
        self._tree: Any = self._commit.tree

    @property
    def subject(self) -> str:
        message: bytes = self._commit.message
        return message.decode("utf-8", errors="replace").strip().split("\n", 1)[0]

    def read(self, path: str) -> bytes | None:
        """The blob at ``path`` (repo-relative, posix), or None when absent or a folder."""
        from dulwich.object_store import tree_lookup_path
        from dulwich.objects import Blob

        try:
            _mode, sha = tree_lookup_path(
                self._repo.__getitem__, self._tree, path.encode("utf-8", "surrogateescape")
            )
            obj = self._repo[sha]
        except (KeyError, NotADirectoryError):
            return None
        return obj.as_raw_string() if isinstance(obj, Blob) else None

    def paths(self, wanted: Callable[[str], bool]) -> list[str]:
        """Every file path (not folder) in the commit for which ``wanted(path)`` is true."""
        from dulwich.objects import Tree

        found: list[str] = []
        stack: list[tuple[str, bytes]] = [("", self._tree)]
        while stack:
            prefix, tree_id = stack.pop()
            tree = self._repo[tree_id]
            if not isinstance(tree, Tree):
                continue
            for entry in tree.iteritems():
                path = prefix + entry.path.decode("utf-8", errors="surrogateescape")
                if entry.mode & 0o170000 == 0o040000:
                    stack.append((path + "/", entry.sha))
                elif entry.mode & 0o170000 != 0o160000 and wanted(path):  # not submodules
                    found.append(path)
        return sorted(found)

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> CommitFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_commit(repo: Any, rev: str) -> Any:
    """``rev`` (sha, short sha, branch, tag, remote branch, with ``~N``/``^N``) as a Commit."""
    from dulwich.objects import Commit
    from dulwich.objectspec import parse_commit

    suffix = _REV_SUFFIX.search(rev)
    base = rev[: suffix.start()] if suffix else rev
    if not base or base == "@":
        base = "HEAD"
    try:
        commit = parse_commit(repo, base)
    except (KeyError, ValueError) as exc:
        why = "not a commit" if isinstance(exc, ValueError) else ""
        raise UnknownRevision(rev, why) from None
    for op, count in re.findall(r"([~^])(\d*)", suffix.group(0) if suffix else ""):
        n = int(count) if count else 1
        steps = [(0, n)] if op == "~" else [(n - 1, 1)] if n else []
        for index, times in steps:
            for _ in range(times):
                if index >= len(commit.parents):
                    raise UnknownRevision(rev, "no such ancestor")
                parent = repo[commit.parents[index]]
                if not isinstance(parent, Commit):
                    raise UnknownRevision(rev, "no such ancestor")
                commit = parent
                index = 0
    return commit


def resolve_commit(root: Path, rev: str) -> str:
    """The full commit id ``rev`` names; UnknownRevision when it names none."""
    with CommitFiles(root, rev) as files:
        return files.commit_id


def read_blob(root: Path, rev: str, path: str) -> bytes | None:
    """The content of ``path`` at ``rev`` through dulwich, or None when absent."""
    with CommitFiles(root, rev) as files:
        return files.read(path)


def list_paths(root: Path, rev: str, wanted: Callable[[str], bool]) -> list[str]:
    """File paths at ``rev`` that ``wanted`` accepts."""
    with CommitFiles(root, rev) as files:
        return files.paths(wanted)


# -- revisions, the index and commit messages (governance) -------------------


def rev_parse_name(root: Path, rev: str) -> str | None:
    """The short ref name ``rev`` stands for (``@{upstream}`` -> ``origin/main``), or None."""
    proc = run(["git", "rev-parse", "--abbrev-ref", "-q", rev], cwd=root, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name; None on a detached HEAD."""
    proc = run(["git", "symbolic-ref", "-q", "--short", "HEAD"], cwd=root, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def staged_blobs(root: Path, env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(path, blob id) of each file the index adds or changes compared with HEAD."""
    against = "HEAD" if head_commit(root) else EMPTY_TREE
    proc = run(
        ["git", "diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AM", against],
        cwd=root,
        env=env,
    )
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    found = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.split()
        if len(parts) >= 4 and not parts[1].startswith("16"):  # not a submodule
            found.append((path, parts[3]))
    return found


def staged_files(root: Path, env: dict[str, str] | None = None) -> list[str]:
    return [path for path, _ in staged_blobs(root, env)]


def blob_sizes(root: Path, blob_ids: Iterable[str]) -> dict[str, int]:
    """Size in bytes of each blob (one ``git cat-file --batch-check``)."""
    ids = list(dict.fromkeys(blob_ids))
    if not ids:
        return {}
    proc = run(
        ["git", "cat-file", "--batch-check=%(objectname) %(objectsize)"],
        cwd=root,
        input_bytes="".join(f"{i}\n" for i in ids).encode(),
    )
    sizes = {}
    for line in proc.stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def changed_blobs(root: Path, base: str, head: str) -> list[tuple[str, str]]:
    """(path, blob id) of files added or modified from ``base`` to ``head``."""
    proc = run(
        ["git", "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AM", base, head],
        cwd=root,
    )
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [
        (path, meta.split()[3])
        for meta, path in zip(fields[0::2], fields[1::2], strict=False)
        if len(meta.split()) >= 4 and not meta.split()[1].startswith("16")
    ]


def tree_blobs(root: Path, rev: str) -> list[tuple[str, str, bool]]:
    """(path, blob id, executable) of every file in revision ``rev``."""
    proc = run(["git", "ls-tree", "-r", "-z", rev], cwd=root)
    found = []
    for item in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if "\t" in item:
            meta, path = item.split("\t", 1)
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                found.append((path, parts[2], parts[0] == "100755"))
    return found


def first_parent_messages(
    root: Path, head: str, base: str | None, *, exclude_remotes: bool = False
) -> list[tuple[str, str]]:
    """(commit id, message) of the first-parent commits in ``base..head``, newest first."""
    args = ["git", "log", "--first-parent", "--format=%H%x00%B%x1e", head]
    if base:
        args.append(f"^{base}")
    elif exclude_remotes:
        args += ["--not", "--remotes"]
    proc = run(args, cwd=root)
    found = []
    for record in proc.stdout.decode("utf-8", "replace").split("\x1e"):
        record = record.strip("\n")
        if "\0" in record:
            sha, message = record.split("\0", 1)
            found.append((sha, message))
    return found


# -- lineage: the commit that last changed a path ------------------------------


class CommitInfo(NamedTuple):
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
