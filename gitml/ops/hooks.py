"""``gitml install`` and ``gitml uninstall``: the git hook shims and the merge driver.

Install writes a small shell shim (``hooks/shim.sh`` of the package) for each
hook into the folder git really runs hooks from (``core.hooksPath`` when set,
else the common git dir's ``hooks``). A hook that was there before and is not
gitml's is renamed to ``NAME.gitml-saved`` beside it; ``gitml hook NAME``
(:mod:`gitml.ops.hook_run`) runs it first, with the same arguments and
standard input, and its failure fails the hook. Install also registers the
merge driver for ``stages.lock`` and pointer files in the repository's git
config and in ``.gitattributes``.

What install changed that uninstall cannot see on disk (the ``.gitattributes``
lines it appended, a ``merge.gitml`` section that was there before) is kept in
``<common git dir>/gitml/hooks-install.json``, so uninstall undoes exactly that.

``gitml hook`` imports this module too: import only what is cheap at the top.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitml import git
from gitml.core.atomic import write_bytes
from gitml.errors import GitmlError

if TYPE_CHECKING:
    from gitml.core.repo import Repo

HOOK_NAMES = ("pre-commit", "pre-merge-commit", "pre-push", "post-checkout", "post-merge")
SAVED_SUFFIX = ".gitml-saved"
SHIM_MARKER = b"# gitml hook shim"
RECORD = "hooks-install.json"
ATTRIBUTES = ("stages.lock merge=gitml", "*.gitml merge=gitml")
MERGE_KEYS = ("merge.gitml.name", "merge.gitml.driver")
DRIVER_NAME = "gitml: merge stages.lock entries and pointer files"
DRIVER_ARGS = "merge-driver %O %A %B %P"


# -- where things are -----------------------------------------------------------


def hooks_dir(repo: Repo) -> Path:
    """The folder git runs hooks from: ``core.hooksPath`` (relative to the work tree) or
    ``<common git dir>/hooks``, exactly as ``git rev-parse --git-path hooks`` says."""
    path = Path(git.git(repo.root, "rev-parse", "--git-path", "hooks").strip())
    return (path if path.is_absolute() else repo.root / path).resolve()


def is_initialised(repo: Repo) -> bool:
    return (repo.root / ".gitml").is_dir()


def parse_names(spec: str | None) -> list[str]:
    """``pre-commit,pre-push`` as a list of hook names (all of them when None)."""
    if spec is None:
        return list(HOOK_NAMES)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise GitmlError("--hooks is empty", f"name hooks among: {', '.join(HOOK_NAMES)}")
    for name in names:
        if name not in HOOK_NAMES:
            import difflib

            near = difflib.get_close_matches(name, HOOK_NAMES, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"choose among {', '.join(HOOK_NAMES)}"
            raise GitmlError(f"unknown hook {name!r}", hint)
    return list(dict.fromkeys(names))


def _template() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gitml.hooks")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "shim.sh"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise GitmlError("gitml's hook template (gitml/hooks/shim.sh) is missing", "reinstall gitml")


def render_shim(name: str) -> bytes:
    """The shim for hook ``name``; it falls back to this interpreter when gitml is not on PATH."""
    text = _template().replace("@HOOK@", name).replace("@PYTHON@", shlex.quote(sys.executable))
    return text.encode("utf-8")


def driver_command() -> str:
    """The merge driver's command: ``gitml`` from PATH, else this interpreter's gitml."""
    python = shlex.quote(sys.executable)
    return (
        f"if command -v gitml >/dev/null 2>&1; then gitml {DRIVER_ARGS};"
        f" else {python} -m gitml {DRIVER_ARGS}; fi"
    )


def is_shim(path: Path) -> bool:
    """Whether ``path`` is a shim gitml wrote (a symlink never is)."""
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as f:
        return SHIM_MARKER in f.read(512)


# -- install ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstallResult:
    hooks_dir: str
    installed: list[str]  # shims written where there was none
    updated: list[str]  # shims rewritten (new template or interpreter)
    unchanged: list[str]
    saved: list[str]  # foreign hooks moved to NAME.gitml-saved by this install
    chained: list[str]  # every hook whose saved foreign hook runs too
    attributes_added: list[str]  # lines appended to .gitattributes
    merge_driver: str  # "registered", "updated" or "unchanged"

    @property
    def changed(self) -> bool:
        return bool(
            self.installed
            or self.updated
            or self.saved
            or self.attributes_added
            or self.merge_driver != "unchanged"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "hooks_dir": self.hooks_dir,
            "installed": self.installed,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "saved": self.saved,
            "chained": self.chained,
            "attributes_added": self.attributes_added,
            "merge_driver": self.merge_driver,
            "changed": self.changed,
        }


def install(repo: Repo, names: Sequence[str] = HOOK_NAMES) -> InstallResult:
    folder = hooks_dir(repo)
    with repo.lock("gitml install"):
        record = _load_record(repo)
        folder.mkdir(parents=True, exist_ok=True)
        actions = {name: _install_one(folder, name) for name in names}
        added = _add_attributes(repo, record)
        driver = _register_driver(repo, record)
        record["hooks_dir"] = str(folder)
        _save_record(repo, record)
    by = {kind: [n for n, (a, _) in actions.items() if a == kind] for kind in _ACTIONS}
    return InstallResult(
        hooks_dir=str(folder),
        installed=by["installed"],
        updated=by["updated"],
        unchanged=by["unchanged"],
        saved=[n for n, (_, moved) in actions.items() if moved],
        chained=[n for n in HOOK_NAMES if os.path.lexists(folder / (n + SAVED_SUFFIX))],
        attributes_added=added,
        merge_driver=driver,
    )


_ACTIONS = ("installed", "updated", "unchanged")


def _install_one(folder: Path, name: str) -> tuple[str, bool]:
    """Write the shim for ``name``; (what happened, whether a foreign hook was moved aside)."""
    hook, saved = folder / name, folder / (name + SAVED_SUFFIX)
    shim = render_shim(name)
    if is_shim(hook):
        if hook.read_bytes() == shim and os.access(hook, os.X_OK):
            return "unchanged", False
        write_bytes(hook, shim, 0o755)
        return "updated", False
    moved = False
    if os.path.lexists(hook):
        if os.path.lexists(saved):
            raise GitmlError(
                f"{hook} is not gitml's, and {saved.name} beside it already keeps another hook",
                f"merge the two into {saved} (or move one away), then run `gitml install` again",
            )
        os.rename(hook, saved)  # keeps its bytes, mode and (for a symlink) its target
        moved = True
    write_bytes(hook, shim, 0o755)
    return "installed", moved


# -- uninstall --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UninstallResult:
    hooks_dirs: list[str]
    removed: list[str]  # shims removed (no hook left there)
    restored: list[str]  # foreign hooks put back in place of the shim
    kept: list[str]  # hooks that are not gitml's shims: left alone
    attributes_removed: list[str]
    merge_driver_removed: bool

    @property
    def changed(self) -> bool:
        return bool(
            self.removed or self.restored or self.attributes_removed or self.merge_driver_removed
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "hooks_dirs": self.hooks_dirs,
            "removed": self.removed,
            "restored": self.restored,
            "kept": self.kept,
            "attributes_removed": self.attributes_removed,
            "merge_driver_removed": self.merge_driver_removed,
            "changed": self.changed,
        }


def uninstall(repo: Repo) -> UninstallResult:
    """Undo ``install``: shims out, foreign hooks back, attributes and driver unregistered."""
    with repo.lock("gitml uninstall"):
        record = _load_record(repo)
        folders = [hooks_dir(repo)]
        if record.get("hooks_dir") and Path(record["hooks_dir"]) not in folders:
            folders.append(Path(record["hooks_dir"]))  # core.hooksPath changed since
        by: dict[str, list[str]] = {"removed": [], "restored": [], "kept": [], "": []}
        for folder in folders:
            for name in HOOK_NAMES:
                by[_uninstall_one(folder, name)].append(name)
        attrs = _remove_attributes(repo, record)
        driver = _unregister_driver(repo, record)
        (repo.data_dir / RECORD).unlink(missing_ok=True)
    return UninstallResult(
        [str(f) for f in folders], by["removed"], by["restored"], by["kept"], attrs, driver
    )


def _uninstall_one(folder: Path, name: str) -> str:
    hook, saved = folder / name, folder / (name + SAVED_SUFFIX)
    ours = is_shim(hook)
    if os.path.lexists(hook) and not ours:
        return "kept"  # someone replaced the shim: theirs now, and NAME.gitml-saved stays
    if os.path.lexists(saved):
        os.replace(saved, hook)  # the foreign hook back, byte for byte, with its mode
        return "restored"
    if ours:
        hook.unlink()
        return "removed"
    return ""


# -- .gitattributes -----------------------------------------------------------------


def _add_attributes(repo: Repo, record: dict[str, Any]) -> list[str]:
    path = repo.root / ".gitattributes"
    existed = path.is_file()
    data = path.read_bytes() if existed else b""
    present = {line.strip() for line in data.splitlines()}
    missing = [a for a in ATTRIBUTES if a.encode() not in present]
    if not missing:
        return []
    sep = b"\n" if data and not data.endswith(b"\n") else b""
    added = "".join(f"{a}\n" for a in missing).encode()
    _write_keeping_mode(path, data + sep + added)
    attrs = record.setdefault("attributes", {"added": [], "created": False, "newline": False})
    attrs["added"] = [*attrs["added"], *missing]
    attrs["created"] = attrs["created"] or not existed
    attrs["newline"] = attrs["newline"] or bool(sep)
    return missing


def _remove_attributes(repo: Repo, record: dict[str, Any]) -> list[str]:
    attrs = record.get("attributes")
    path = repo.root / ".gitattributes"
    if not attrs or not path.is_file():
        return []
    lines = path.read_bytes().split(b"\n")
    removed = []
    for text in attrs["added"]:
        hits = [i for i, line in enumerate(lines) if line == text.encode()]
        if hits:
            del lines[hits[-1]]
            removed.append(text)
    data = b"\n".join(lines)
    if attrs.get("newline") and data.endswith(b"\n"):
        data = data[:-1]  # the newline install added after a last line that had none
    if not data and attrs.get("created"):
        path.unlink()
    else:
        _write_keeping_mode(path, data)
    return removed


def _write_keeping_mode(path: Path, data: bytes) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        write_bytes(path, data)
        return
    write_bytes(path, data, mode)
    if stat.S_IMODE(path.stat().st_mode) != mode:  # the umask took bits away
        os.chmod(path, mode)


# -- the merge driver in git config --------------------------------------------------


def _config_get(repo: Repo, key: str) -> str | None:
    value = git.git(repo.root, "config", "--local", "--get", key, check=False)
    return value.rstrip("\n") or None


def _is_our_driver(value: str | None) -> bool:
    return value is not None and "gitml" in value and DRIVER_ARGS in value


def _register_driver(repo: Repo, record: dict[str, Any]) -> str:
    current = {key: _config_get(repo, key) for key in MERGE_KEYS}
    wanted = dict(zip(MERGE_KEYS, (DRIVER_NAME, driver_command()), strict=True))
    if current == wanted:
        return "unchanged"
    ours = _is_our_driver(current["merge.gitml.driver"])
    if not ours and "merge_previous" not in record and any(current.values()):
        record["merge_previous"] = current  # someone's own merge.gitml: put back on uninstall
    for key, value in wanted.items():
        git.git(repo.root, "config", "--local", key, value)
    return "updated" if ours else "registered"


def _unregister_driver(repo: Repo, record: dict[str, Any]) -> bool:
    if not _is_our_driver(_config_get(repo, "merge.gitml.driver")):
        return False
    git.git(repo.root, "config", "--local", "--remove-section", "merge.gitml", check=False)
    for key, value in (record.get("merge_previous") or {}).items():
        if value is not None:
            git.git(repo.root, "config", "--local", key, value)
    return True


# -- the install record ---------------------------------------------------------------


def _load_record(repo: Repo) -> dict[str, Any]:
    path = repo.data_dir / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": 1}
    except ValueError as exc:
        raise GitmlError(
            f"{path}: not valid JSON ({exc})",
            "delete it and run `gitml install` again (uninstall then keeps .gitattributes as is)",
        ) from None
    return data if isinstance(data, dict) else {"version": 1}


def _save_record(repo: Repo, record: dict[str, Any]) -> None:
    repo.data_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    path = repo.data_dir / RECORD
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_bytes(path, text.encode("utf-8"))
