"""What the installed hooks do when git fires them: data follows branches, shims find gitml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import git_ok, gitml_on_path, path_without_gitml, run_git, write_hook

DATA_HOOKS = "post-checkout,post-merge"


def _two_branches(repo: Any) -> Path:
    """main tracks data/raw/a.txt = v1; branch ``feature`` has v2. Leaves main checked out."""
    root = Path(repo.root)
    repo.gen({"data/raw/a.txt": "v1\n", "model.bin": b"\x00weights-1"})
    repo.ok("add", "data/raw", "model.bin")
    git_ok(root, "add", "-A")
    git_ok(root, "commit", "-q", "-m", "v1")
    git_ok(root, "checkout", "-q", "-b", "feature")
    repo.gen({"data/raw/a.txt": "v2\n", "model.bin": b"\x00weights-2"})
    repo.ok("add", "data/raw", "model.bin")
    git_ok(root, "add", "-A")
    git_ok(root, "commit", "-q", "-m", "v2")
    git_ok(root, "checkout", "-q", "main")
    return root


def test_data_follows_a_branch_switch(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    assert (root / "data/raw/a.txt").read_text() == "v1\n"
    assert (root / "model.bin").read_bytes() == b"\x00weights-1"
    out = git_ok(root, "checkout", "feature")
    assert (root / "data/raw/a.txt").read_text() == "v2\n"
    assert (root / "model.bin").read_bytes() == b"\x00weights-2"
    assert "checked out data: data/raw, model.bin" in out
    git_ok(root, "switch", "-q", "main")
    assert (root / "data/raw/a.txt").read_text() == "v1\n"
    assert repo.ok("status", "--json").out.count('"state": "unchanged"') == 2


def test_a_file_checkout_leaves_data_alone(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    git_ok(root, "checkout", "feature", "--", "data/raw.gitml")  # flag 0: not a branch switch
    assert (root / "data/raw/a.txt").read_text() == "v1\n"


def test_data_follows_a_merge(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    git_ok(root, "merge", "-q", "--ff-only", "feature")
    assert (root / "data/raw/a.txt").read_text() == "v2\n"


def test_checkout_following_can_be_turned_off(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    repo.gen({".gitml/config.local.yaml": "hooks:\n  checkout: false\n"})
    git_ok(root, "checkout", "-q", "feature")
    assert (root / "data/raw/a.txt").read_text() == "v1\n"  # left alone
    repo.gen({".gitml/config.local.yaml": "hooks:\n  chekout: false\n"})
    proc = run_git(root, "checkout", "-q", "main")
    assert proc.returncode == 0  # a bad config never fails git's checkout
    assert "hooks.chekout: unknown key" in proc.stderr and "did you mean 'checkout'?" in proc.stderr


def test_missing_cache_object_warns_and_the_checkout_succeeds(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    git_ok(root, "checkout", "-q", "feature")
    oid = re.search(r"hash: xxh128:([0-9a-f]{32})", repo.git("show", "main:model.bin.gitml"))
    assert oid is not None
    obj = root / ".git" / "gitml" / "cache" / oid.group(1)[:2] / oid.group(1)[2:]
    obj.chmod(0o644)
    obj.unlink()  # main's model.bin is nowhere now
    proc = run_git(root, "checkout", "main")
    assert proc.returncode == 0, proc.stderr
    assert "warning: model.bin: not checked out, its data is not in the cache" in proc.stderr
    assert (root / "data/raw/a.txt").read_text() == "v1\n"  # what is in the cache still follows
    assert (root / "model.bin").read_bytes() == b"\x00weights-2"


def test_local_changes_not_in_the_cache_are_kept_with_a_warning(repo: Any) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    repo.gen({"data/raw/a.txt": "precious\n"})
    proc = run_git(root, "checkout", "-q", "feature")
    assert proc.returncode == 0, proc.stderr
    assert "data did not follow the checkout" in proc.stderr and "--force" in proc.stderr
    assert (root / "data/raw/a.txt").read_text() == "precious\n"


# -- finding gitml ----------------------------------------------------------------------


def test_shim_runs_gitml_through_the_recorded_interpreter(repo: Any) -> None:
    """No gitml on PATH (run_git strips it): the interpreter install ran with is used."""
    repo.ok("install", "--hooks", DATA_HOOKS)
    shim = Path(repo.root) / ".git/hooks/post-checkout"
    assert f"python={sys.executable}\n" in shim.read_text()
    root = _two_branches(repo)
    git_ok(root, "checkout", "-q", "feature")
    assert (root / "data/raw/a.txt").read_text() == "v2\n"


def test_shim_prefers_gitml_on_path(repo: Any, tmp_path: Path) -> None:
    repo.ok("install", "--hooks", DATA_HOOKS)
    root = _two_branches(repo)
    marker = tmp_path / "calls"
    path = gitml_on_path(tmp_path / "bin", marker)
    head = repo.git("rev-parse", "HEAD").strip()
    feature = repo.git("rev-parse", "feature").strip()
    git_ok(root, "checkout", "-q", "feature", env={"PATH": path})
    assert marker.read_text() == f"hook post-checkout {head} {feature} 1\n"
    assert (root / "data/raw/a.txt").read_text() == "v2\n"


def test_shim_without_a_usable_gitml_runs_only_the_kept_hook(repo: Any, tmp_path: Path) -> None:
    root = Path(repo.root)
    log = tmp_path / "foreign.log"
    write_hook(root / ".git/hooks/post-merge", f'echo "foreign $*" >> "{log}"\n')
    repo.ok("install", "--hooks", "post-merge")
    shim = root / ".git/hooks/post-merge"
    shim.write_text(shim.read_text().replace(f"python={sys.executable}", "python=/nonexistent/py"))
    proc = subprocess.run(
        ["sh", str(shim), "0"],
        cwd=root,
        env={"PATH": path_without_gitml(), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert log.read_text() == "foreign 0\n"


def test_shim_with_an_interpreter_that_lost_gitml_runs_only_the_kept_hook(
    repo: Any, tmp_path: Path
) -> None:
    """The recorded python still runs but cannot import gitml (uninstalled from it)."""
    root = Path(repo.root)
    log = tmp_path / "foreign.log"
    write_hook(root / ".git/hooks/pre-commit", f'echo "foreign" >> "{log}"\nexit 0\n')
    repo.ok("install", "--hooks", "pre-commit")
    no_site = tmp_path / "python-without-gitml"
    write_hook(no_site, f'exec "{sys.executable}" -S "$@"\n')  # -S: no site-packages
    shim = root / ".git/hooks/pre-commit"
    shim.write_text(shim.read_text().replace(f"python={sys.executable}", f"python={no_site}"))
    repo.gen({".gitml/policy.yaml": "rules:\n  - id: large-files\n    max_kb: 1\n"})
    repo.gen({"big.bin": b"x" * 4096})  # gitml's pre-commit would refuse it
    git_ok(root, "add", "big.bin", ".gitml/policy.yaml")
    proc = run_git(root, "commit", "-q", "-m", "kept hook only")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert log.read_text() == "foreign\n"


def test_a_kept_hook_exiting_75_fails_the_hook_and_runs_once(repo: Any, tmp_path: Path) -> None:
    """75 is the shim's "no gitml" status: gitml hook reports it as 1 instead."""
    root = Path(repo.root)
    log = tmp_path / "foreign.log"
    write_hook(root / ".git/hooks/pre-commit", f'echo "foreign" >> "{log}"\nexit 75\n')
    repo.ok("install", "--hooks", "pre-commit")
    repo.gen({"a.txt": "a\n"})
    git_ok(root, "add", "a.txt")
    assert run_git(root, "commit", "-q", "-m", "refused").returncode != 0
    assert log.read_text() == "foreign\n"


@pytest.mark.parametrize("where", ["plain-repo", "no-repo"])
def test_shim_outside_a_gitml_repository_exits_0(repo: Any, tmp_path: Path, where: str) -> None:
    repo.ok("install")
    folder = tmp_path / where
    folder.mkdir()
    if where == "plain-repo":
        git_ok(folder, "init", "-q")
    for name in ("pre-commit", "pre-push", "post-checkout"):
        shim = Path(repo.root) / ".git/hooks" / name
        proc = subprocess.run(
            ["sh", str(shim), "a", "b", "1"],
            cwd=folder,
            input="",
            capture_output=True,
            text=True,
            check=False,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), name


def test_shared_hooks_path_in_a_repository_without_gitml(repo: Any, tmp_path: Path) -> None:
    """A core.hooksPath shared by several repositories: the others just commit."""
    shared = tmp_path / "shared-hooks"
    repo.git("config", "core.hooksPath", str(shared))
    repo.ok("install")
    plain = tmp_path / "plain"
    git_ok(tmp_path, "init", "-q", str(plain))
    git_ok(plain, "config", "core.hooksPath", str(shared))
    (plain / "f").write_text("x\n")
    git_ok(plain, "add", "f")
    out = git_ok(plain, "commit", "-q", "-m", "no gitml here")
    assert out == ""


def test_hook_path_imports_no_heavy_package(repo: Any) -> None:
    probe = (
        "import sys\n"
        "from gitml.cli.main import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('optuna', 'torch', 'docker', 'pyarrow')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    head = repo.git("rev-parse", "HEAD").strip()
    for args in (["pre-commit"], ["post-checkout", head, head, "1"], ["post-merge", "0"]):
        proc = subprocess.run(
            [sys.executable, "-c", probe, "hook", *args],
            cwd=repo.root,
            input="",
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.stderr.strip().splitlines()[-1] == "HEAVY []", proc
