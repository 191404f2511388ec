"""gitml install / uninstall end to end: where shims go, foreign hooks, restoring exactly."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from .conftest import HOOKS, git_ok, run_git, write_hook


def _state(folder: Path) -> dict[str, tuple[bytes | str, int, int]]:
    """Every entry of a folder: content (or symlink target), mode and mtime; folders by name."""
    out: dict[str, tuple[bytes | str, int, int]] = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        st = p.lstat()
        if p.is_symlink():
            out[p.name] = (os.readlink(p), stat.S_IMODE(st.st_mode), st.st_mtime_ns)
        elif p.is_dir():
            out[p.name] = ("folder", 0, 0)
        else:
            out[p.name] = (p.read_bytes(), stat.S_IMODE(st.st_mode), st.st_mtime_ns)
    return out


def _hooks(repo: Any) -> Path:
    return Path(repo.root) / ".git" / "hooks"


def test_install_writes_an_executable_shim_per_hook(repo: Any) -> None:
    result = json.loads(repo.ok("install", "--json").out)
    assert result["installed"] == list(HOOKS)
    assert Path(result["hooks_dir"]) == _hooks(repo).resolve()
    for name in HOOKS:
        shim = _hooks(repo) / name
        assert os.access(shim, os.X_OK)
        text = shim.read_text()
        assert text.startswith("#!/bin/sh\n")
        assert f"hook={name}\n" in text and 'gitml hook "$hook" "$@"' in text


def test_install_only_the_named_hooks(repo: Any) -> None:
    repo.ok("install", "--hooks", "pre-push,post-merge")
    assert sorted(p.name for p in _hooks(repo).iterdir() if not p.name.endswith(".sample")) == [
        "post-merge",
        "pre-push",
    ]
    bad = repo.fails("install", "--hooks", "pre-comit")
    assert "unknown hook 'pre-comit'" in bad.err and "did you mean 'pre-commit'?" in bad.err


@pytest.mark.parametrize("kind", ["relative", "absolute"])
def test_install_honours_core_hooks_path(repo: Any, kind: str, tmp_path: Path) -> None:
    folder = Path(repo.root) / "tools" / "githooks" if kind == "relative" else tmp_path / "shared"
    value = "tools/githooks" if kind == "relative" else str(folder)
    repo.git("config", "core.hooksPath", value)
    out = repo.ok("install", "--hooks", "pre-commit,post-checkout").out
    assert sorted(p.name for p in folder.iterdir()) == ["post-checkout", "pre-commit"]
    assert not (_hooks(repo) / "pre-commit").exists()
    if kind == "relative":
        assert "installed hooks in tools/githooks: pre-commit, post-checkout" in out
    repo.ok("uninstall")
    assert list(folder.iterdir()) == []


def test_install_from_a_worktree_goes_to_the_shared_hooks(repo: Any) -> None:
    other = Path(repo.root).parent / "other"
    repo.git("worktree", "add", "-q", "-b", "side", str(other))
    result = json.loads(repo.ok("install", "--json", "--hooks", "pre-commit", cwd=other).out)
    assert Path(result["hooks_dir"]) == _hooks(repo).resolve()
    assert (_hooks(repo) / "pre-commit").is_file()


def test_second_install_changes_nothing(repo: Any) -> None:
    repo.ok("install")
    before = (
        _state(_hooks(repo)),
        (Path(repo.root) / ".gitattributes").read_bytes(),
        (Path(repo.root) / ".git" / "config").read_bytes(),
        _state(Path(repo.root) / ".git" / "gitml"),
    )
    again = repo.ok("install")
    assert "already installed" in again.out
    assert json.loads(repo.ok("install", "--json").out)["changed"] is False
    after = (
        _state(_hooks(repo)),
        (Path(repo.root) / ".gitattributes").read_bytes(),
        (Path(repo.root) / ".git" / "config").read_bytes(),
        _state(Path(repo.root) / ".git" / "gitml"),
    )
    assert after == before


def test_foreign_pre_commit_hook_still_runs_and_its_failure_blocks(repo: Any) -> None:
    root = Path(repo.root)
    write_hook(
        _hooks(repo) / "pre-commit",
        'echo "foreign ran $#" >> "$(git rev-parse --git-dir)/foreign.log"\n'
        '[ ! -e "$(git rev-parse --show-toplevel)/BLOCK" ]\n',
        mode=0o750,
    )
    original = _state(_hooks(repo))
    out = repo.ok("install", "--hooks", "pre-commit").out
    assert "kept the existing pre-commit hook as .git/hooks/pre-commit.gitml-saved" in out

    repo.gen({"a.txt": "a\n"})
    git_ok(root, "add", "a.txt")
    git_ok(root, "commit", "-q", "-m", "passes")
    assert (root / ".git" / "foreign.log").read_text() == "foreign ran 0\n"

    repo.gen({"BLOCK": "", "b.txt": "b\n"})
    git_ok(root, "add", "b.txt")
    head = repo.git("rev-parse", "HEAD")
    refused = run_git(root, "commit", "-q", "-m", "refused")
    assert refused.returncode != 0
    assert repo.git("rev-parse", "HEAD") == head
    assert (root / ".git" / "foreign.log").read_text() == "foreign ran 0\nforeign ran 0\n"

    out = repo.ok("uninstall").out
    assert "put back the hooks gitml had kept aside: pre-commit" in out
    assert _state(_hooks(repo)) == original  # byte for byte, mode 0750 included


def test_foreign_symlinked_hook_is_restored_as_a_symlink(repo: Any) -> None:
    write_hook(Path(repo.root) / "scripts" / "check.sh", "exit 0\n")
    os.symlink("../../scripts/check.sh", _hooks(repo) / "post-merge")
    original = _state(_hooks(repo))
    repo.ok("install")
    assert (_hooks(repo) / "post-merge.gitml-saved").is_symlink()
    repo.ok("uninstall")
    assert _state(_hooks(repo)) == original


def test_foreign_pre_push_hook_gets_the_same_args_and_stdin(repo: Any, tmp_path: Path) -> None:
    root = Path(repo.root)
    remote = tmp_path / "remote.git"
    git_ok(root, "init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    log = tmp_path / "pre-push.log"
    write_hook(_hooks(repo) / "pre-push", f'echo "args: $*" > "{log}"\ncat >> "{log}"\n')
    repo.ok("install", "--hooks", "pre-push")
    git_ok(root, "push", "-q", "origin", "main")
    head = repo.git("rev-parse", "HEAD").strip()
    assert log.read_text() == (
        f"args: origin {remote}\nrefs/heads/main {head} refs/heads/main {'0' * 40}\n"
    )


def test_a_second_foreign_hook_is_refused_without_changes(repo: Any) -> None:
    write_hook(_hooks(repo) / "pre-commit", "exit 0\n")
    repo.ok("install", "--hooks", "pre-commit")
    write_hook(_hooks(repo) / "pre-commit", "echo mine\n")  # someone replaces the shim
    before = _state(_hooks(repo))
    err = repo.fails("install", "--hooks", "pre-commit").err
    assert "pre-commit.gitml-saved beside it already keeps another hook" in err
    assert _state(_hooks(repo)) == before
    out = repo.ok("uninstall").out  # not ours any more: left alone
    assert "left pre-commit alone" in out
    assert _state(_hooks(repo)) == before


def test_uninstall_without_install_does_nothing(repo: Any) -> None:
    before = _state(_hooks(repo))
    assert "nothing to do" in repo.ok("uninstall").out
    assert json.loads(repo.ok("uninstall", "--json").out)["changed"] is False
    assert _state(_hooks(repo)) == before


# -- the merge driver -----------------------------------------------------------------


def test_merge_driver_is_registered_and_unregistered(repo: Any) -> None:
    root = Path(repo.root)
    repo.ok("install")
    assert repo.git("config", "merge.gitml.name").strip()
    driver = repo.git("config", "merge.gitml.driver").strip()
    assert "gitml merge-driver %O %A %B %P" in driver
    assert "-m gitml merge-driver %O %A %B %P" in driver  # the interpreter fallback
    assert (root / ".gitattributes").read_text() == "stages.lock merge=gitml\n*.gitml merge=gitml\n"
    check = repo.git("check-attr", "merge", "--", "stages.lock", "data/raw.gitml")
    assert check == "stages.lock: merge: gitml\ndata/raw.gitml: merge: gitml\n"

    repo.ok("uninstall")
    assert repo.git("config", "--get-regexp", "^merge\\.", check=False) == ""
    assert not (root / ".gitattributes").exists()


def test_gitattributes_keeps_its_own_lines_byte_for_byte(repo: Any) -> None:
    root = Path(repo.root)
    original = b"*.png binary\nstages.lock merge=gitml\n# no newline at the end"
    (root / ".gitattributes").write_bytes(original)
    (root / ".gitattributes").chmod(0o664)
    result = json.loads(repo.ok("install", "--json").out)
    assert result["attributes_added"] == ["*.gitml merge=gitml"]  # the other was there
    assert (root / ".gitattributes").read_bytes() == original + b"\n*.gitml merge=gitml\n"
    repo.ok("install")
    repo.ok("uninstall")
    assert (root / ".gitattributes").read_bytes() == original
    assert stat.S_IMODE((root / ".gitattributes").stat().st_mode) == 0o664


def test_an_existing_merge_gitml_section_comes_back(repo: Any) -> None:
    repo.git("config", "merge.gitml.name", "mine")
    repo.git("config", "merge.gitml.driver", "my-driver %A")
    repo.ok("install")
    assert "gitml merge-driver" in repo.git("config", "merge.gitml.driver")
    repo.ok("uninstall")
    assert repo.git("config", "merge.gitml.name") == "mine\n"
    assert repo.git("config", "merge.gitml.driver") == "my-driver %A\n"


def test_commands_have_help_with_an_example(repo: Any) -> None:
    for command in ("install", "uninstall", "hook"):
        out = repo.ok(command, "--help").out
        assert "Example" in out and "--json" in out
    from gitml.cli.hooks import hook_cmd

    assert hook_cmd.hidden  # the shims' entry point, not a user's


def test_a_foreign_hook_without_a_shebang_runs_with_sh(repo: Any, tmp_path: Path) -> None:
    log = tmp_path / "log"
    hook = _hooks(repo) / "post-merge"
    hook.write_text(f'echo "no shebang $1" > "{log}"\n')
    hook.chmod(0o755)
    repo.ok("install", "--hooks", "post-merge")
    root = Path(repo.root)
    git_ok(root, "checkout", "-q", "-b", "side")
    git_ok(root, "commit", "-q", "--allow-empty", "-m", "side")
    git_ok(root, "checkout", "-q", "main")
    git_ok(root, "merge", "-q", "side")
    assert log.read_text() == "no shebang 0\n"
