"""Installed git hooks enforce the policy on real `git commit`, `git merge` and `git push`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import Project

POLICY = """protected_branches: [main]
rules:
  - id: artifacts-committed
  - id: pipeline-fresh
  - id: large-files
    max_kb: 4
  - id: metric-gate
    regressions:
      - metric: metrics.json:accuracy
        max_drop: 0.02
"""


def _install(project: Project) -> None:
    project.write_policy(POLICY)
    project.repo.commit("policy")
    project.repo.ok("install")


def _git(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=project.root, capture_output=True, text=True, check=False
    )


def test_pre_commit_refuses_a_large_file_and_prints_the_fix(project: Project) -> None:
    _install(project)
    project.repo.gen({"weights.bin": b"\7" * 20_000})
    project.repo.git("add", "weights.bin")
    head = project.repo.git("rev-parse", "HEAD")
    proc = _git(project, "commit", "-m", "add weights")
    assert proc.returncode != 0, proc
    assert "gitml: pre-commit refused by the policy" in proc.stderr
    assert "[large-files] weights.bin: 20 KB would be stored in git" in proc.stderr
    assert "git rm --cached weights.bin && gitml add weights.bin" in proc.stderr
    assert project.repo.git("rev-parse", "HEAD") == head
    # following the fix lets the commit through
    project.repo.git("rm", "-q", "--cached", "weights.bin")
    project.repo.ok("add", "weights.bin")
    project.repo.git("add", "weights.bin.gitml", ".gitignore")
    assert _git(project, "commit", "-m", "track weights").returncode == 0


def test_pre_commit_judges_the_index_git_commit_uses(project: Project) -> None:
    """`git commit -a` and `git commit PATH` write a temporary index; the hook reads it."""
    _install(project)
    project.repo.gen({"notes.txt": "short"})
    project.repo.commit("notes")
    project.repo.gen({"notes.txt": "x" * 9_000})
    for args in (["-a"], ["--", "notes.txt"]):
        proc = _git(project, "commit", "-m", "grow", *args)
        assert proc.returncode != 0, (args, proc)
        assert "[large-files] notes.txt: 9 KB would be stored in git" in proc.stderr, proc


def test_pre_commit_refuses_a_stale_pipeline(project: Project) -> None:
    _install(project)
    project.set_quality(0.5)
    project.repo.git("add", "params.yaml")
    proc = _git(project, "commit", "-m", "params only")
    assert proc.returncode != 0
    assert "[pipeline-fresh] stages.lock: stage train is stale" in proc.stderr


def test_pre_merge_commit_refuses_a_merge_that_drops_accuracy(project: Project) -> None:
    _install(project)
    project.repo.git("checkout", "-q", "-b", "worse")
    project.set_quality(0.8)
    project.repo.ok("repro")
    project.repo.commit("lower quality")
    project.repo.git("checkout", "-q", "main")
    project.repo.gen({"notes.txt": "main moved on"})
    project.repo.commit("main work")
    head = project.repo.git("rev-parse", "HEAD")
    proc = _git(project, "merge", "--no-ff", "-m", "merge worse", "worse")
    assert proc.returncode != 0, proc
    assert "gitml: pre-merge-commit refused by the policy" in proc.stderr
    assert "[metric-gate] metrics.json: accuracy went from 0.9 to 0.8" in proc.stderr
    assert project.repo.git("rev-parse", "HEAD") == head
    _git(project, "merge", "--abort")
    # merging the same branch into an unprotected branch is allowed
    project.repo.git("checkout", "-q", "-b", "scratch", head.strip())
    ok = _git(project, "merge", "--no-ff", "-m", "merge worse", "worse")
    assert ok.returncode == 0, ok


def test_pre_push_to_a_bare_remote_refuses_a_stale_pipeline(
    project: Project, tmp_path: Path
) -> None:
    _install(project)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    project.repo.git("remote", "add", "origin", str(remote))
    first = _git(project, "push", "-q", "origin", "main")
    assert first.returncode == 0, first.stderr
    project.set_quality(0.89)
    proc = _git(project, "commit", "-q", "--no-verify", "-am", "skip the hook, forget repro")
    assert proc.returncode == 0, proc
    proc = _git(project, "push", "origin", "main")
    assert proc.returncode != 0, proc
    assert "gitml: pre-push refused by the policy" in proc.stderr
    assert "stage train is stale: param quality changed from 0.9 to 0.89" in proc.stderr
    remote_head = subprocess.run(
        ["git", "rev-parse", "main"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    assert remote_head != project.repo.git("rev-parse", "HEAD")
    project.repo.ok("repro")
    project.repo.commit("repro")
    assert _git(project, "push", "-q", "origin", "main").returncode == 0


def test_the_pre_commit_hook_imports_nothing_heavy(project: Project) -> None:
    """The hook's process must not import optuna, torch, docker or pyarrow."""
    _install(project)
    code = (
        "import sys, runpy; sys.argv = ['gitml', 'hook', 'pre-commit'];"
        "import gitml.cli.main as m\n"
        "try: m.main(sys.argv[1:])\n"
        "except SystemExit as e: code = e.code\n"
        "heavy = sorted(n for n in ('optuna', 'torch', 'docker', 'pyarrow') if n in sys.modules)\n"
        "print('HEAVY', heavy, 'CODE', code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project.root, capture_output=True, text=True, check=False
    )
    assert "HEAVY [] CODE 0" in proc.stdout, proc


def test_check_pre_push_reads_the_pre_commit_framework_refs(project: Project) -> None:
    """The pre-commit framework passes what is pushed in PRE_COMMIT_* variables."""
    project.write_policy(POLICY)
    project.repo.commit("policy")
    good = project.repo.git("rev-parse", "HEAD").strip()
    project.set_quality(0.89)
    project.repo.commit("forgot repro")
    bad = project.repo.git("rev-parse", "HEAD").strip()
    env = {"PRE_COMMIT_FROM_REF": good, "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    refused = project.repo.run("check", "--hook", "pre-push", env={**env, "PRE_COMMIT_TO_REF": bad})
    assert refused.code == 1, refused
    assert "stage train is stale" in refused.out
    assert "pre-push on commit " + bad[:12] in refused.err
    passed = project.repo.run("check", "--hook", "pre-push", env={**env, "PRE_COMMIT_TO_REF": good})
    assert passed.code == 0, passed
