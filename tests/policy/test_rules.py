"""Each policy rule, through `gitml check`: it passes on a good state and fails on a bad one."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

from .conftest import Project

DIGITS = Path(__file__).resolve().parents[2] / "examples" / "digits" / "data" / "digits.csv.gz"


def failures(result: Any) -> list[str]:
    return [line for line in result.out.splitlines() if line.startswith("FAIL ")]


def test_default_policy_passes_on_a_clean_project(project: Project) -> None:
    result = project.check()
    assert result.code == 0, result
    assert "policy passed: 2 rules" in result.out


def test_artifacts_committed_fails_on_changed_and_uncached_data(project: Project) -> None:
    project.repo.gen({"data.csv": "x,y\n9,9\n"})
    result = project.check("--rule", "artifacts-committed")
    assert result.code == 1
    assert "[artifacts-committed] data.csv: changed since it was recorded" in result.out
    assert "gitml add data.csv" in result.out
    project.repo.gen({"data.csv": "x,y\n1,2\n3,4\n"})
    assert project.check("--rule", "artifacts-committed").code == 0
    # the cached model is gone: nobody could check this version out
    repo = project.repo.repo()
    for oid in repo.cache.iter_oids():
        repo.cache.remove(oid)
    result = project.check("--rule", "artifacts-committed")
    assert result.code == 1
    assert "not in the cache" in result.out


def test_pipeline_fresh_on_the_work_tree_and_at_a_commit(project: Project) -> None:
    project.set_quality(0.8)
    result = project.check("--rule", "pipeline-fresh")
    assert result.code == 1
    assert "stage train is stale: param quality changed from 0.9 to 0.8" in result.out
    assert "gitml repro train" in result.out
    # committed without running it: CI (no checkout of data needed) refuses it too
    project.repo.commit("change quality, forgot repro")
    ci = project.check("--ci", "--rule", "pipeline-fresh")
    assert ci.code == 1, ci
    assert "stage train is stale" in ci.out
    project.repo.ok("repro")
    project.repo.commit("repro")
    assert project.check("--rule", "pipeline-fresh").code == 0
    assert project.check("--ci", "--rule", "pipeline-fresh").code == 0


def test_pipeline_fresh_at_a_commit_sees_an_edited_dep_and_command(project: Project) -> None:
    project.repo.gen({"stages.yaml": (project.root / "stages.yaml").read_text() + "\n"})
    project.repo.commit("whitespace only")
    assert project.check("--ci", "--rule", "pipeline-fresh").code == 0
    text = (project.root / "stages.yaml").read_text().replace("python train.py", "python3 train.py")
    project.repo.gen({"stages.yaml": text})
    project.repo.commit("new command")
    result = project.check("--ci", "--rule", "pipeline-fresh")
    assert result.code == 1
    assert "command changed" in result.out


def test_large_files_refuses_a_staged_big_file_and_names_the_fix(project: Project) -> None:
    project.write_policy("rules:\n  - id: large-files\n    max_kb: 4\n")
    project.repo.gen({"big.bin": b"\0" * 10_000, "small.txt": "ok"})
    project.repo.git("add", "big.bin", "small.txt")
    result = project.check()
    assert result.code == 1
    lines = failures(result)
    assert len(lines) == 1, result.out
    assert "[large-files] big.bin: 10 KB would be stored in git, above the 4 KB limit" in lines[0]
    assert "git rm --cached big.bin && gitml add big.bin" in lines[0]
    project.repo.git("rm", "-q", "--cached", "big.bin")
    assert project.check().code == 0


def test_large_files_in_ci_looks_at_what_changed_since_the_base(project: Project) -> None:
    project.write_policy("rules:\n  - id: large-files\n    max_kb: 4\n")
    project.repo.commit("policy")
    project.repo.gen({"big.bin": b"\1" * 9_000})
    project.repo.commit("big file")
    result = project.check("--ci")
    assert result.code == 1
    assert "big.bin" in result.out
    assert project.check("--ci", "--base", "HEAD").code == 0


METRIC_POLICY = """protected_branches: [main]
rules:
  - id: metric-gate
    thresholds:
      - "metrics.json:accuracy >= 0.5"
    regressions:
      - metric: metrics.json:accuracy
        max_drop: 0.05
      - metric: metrics.json:loss
        max_rise: 0.05
"""


def test_metric_gate_thresholds_and_regressions_against_a_base(project: Project) -> None:
    project.write_policy(METRIC_POLICY)
    project.repo.commit("policy")
    assert project.check("--base", "main").code == 0
    project.set_quality(0.87)  # a drop of 0.03: within the limit
    project.repo.ok("repro")
    assert project.check("--base", "main").code == 0
    project.set_quality(0.8)  # a drop of 0.1
    project.repo.ok("repro")
    result = project.check("--base", "main", "--json")
    assert result.code == 1
    import json

    report = json.loads(result.out)
    problems = {f["metric"]: f["problem"] for f in report["failures"]}
    assert "accuracy went from 0.9 to 0.8" in problems["metrics.json:accuracy"]
    assert "more than max_drop 0.05" in problems["metrics.json:accuracy"]
    assert "loss went from 0.1 to 0.2" in problems["metrics.json:loss"]
    project.set_quality(0.4)
    project.repo.ok("repro")
    result = project.check()  # no base: thresholds only
    assert result.code == 1
    assert "accuracy is 0.4, the policy needs accuracy >= 0.5" in result.out


def test_metric_gate_names_a_missing_metric(project: Project) -> None:
    project.write_policy("rules:\n  - id: metric-gate\n    thresholds: ['metrics.json:f1 > 0.1']\n")
    result = project.check()
    assert result.code == 1
    assert "no numeric metric 'f1' (it has: accuracy, loss)" in result.out


CARD = """name: tiny
version: 1.0.0
owners: [ml-team@example.org]
license: Apache-2.0
intended_use: tests
limitations: none known
training_data:
  - path: data.csv
    hash: {hash}
metrics:
  accuracy: metrics.json:accuracy
"""


def _data_hash(project: Project) -> str:
    import yaml

    doc = yaml.safe_load((project.root / "data.csv.gitml").read_text())
    return str(doc["hash"])


def test_model_card_missing_valid_stale_and_markdown(project: Project) -> None:
    project.write_policy("rules:\n  - id: model-card\n    models: ['*.bin']\n")
    result = project.check()
    assert result.code == 1
    assert "[model-card] model.bin: has no model card" in result.out
    assert "write model.card.yaml" in result.out
    project.repo.gen({"model.card.yaml": CARD.format(hash=_data_hash(project))})
    assert project.check().code == 0, project.check()
    # the data changed: the card no longer describes what the model was trained on
    project.repo.gen({"data.csv": "x,y\n5,6\n"})
    project.repo.ok("add", "data.csv")
    result = project.check()
    assert result.code == 1
    assert "model.card.yaml: lists data.csv at xxh128:" in result.out
    # a Markdown card with front matter; a missing field points at its line
    Path(project.root / "model.card.yaml").unlink()
    bad = CARD.format(hash=_data_hash(project)).replace("license: Apache-2.0\n", "")
    project.repo.gen({"model.card.md": f"---\n{bad}---\n# Tiny\nWords.\n"})
    result = project.check()
    assert result.code == 1
    assert "model.card.md:2:1: missing required key 'license'" in result.out, result.out
    project.repo.gen(
        {"model.card.md": f"---\n{CARD.format(hash=_data_hash(project))}---\n# Tiny\n"}
    )
    assert project.check().code == 0


def test_data_meta_requires_keys(project: Project) -> None:
    project.write_policy("rules:\n  - id: data-meta\n    require: [license, source]\n")
    result = project.check()
    assert result.code == 1
    assert "[data-meta] data.csv.gitml: meta lacks license, source" in result.out
    text = (project.root / "data.csv.gitml").read_text()
    project.repo.gen({"data.csv.gitml": text + "meta:\n  license: CC0-1.0\n  source: tests\n"})
    assert project.check().code == 0


def test_pii_finds_emails_and_phone_columns_but_not_digits(project: Project) -> None:
    project.write_policy("rules:\n  - id: pii\n    custom:\n      badge: 'EMP-\\d{6}'\n")
    shutil.copy(DIGITS, project.root / "digits.csv.gz")
    project.repo.git("add", "digits.csv.gz")
    assert project.check().code == 0, project.check()
    project.repo.gen(
        {
            "people.csv": "id,contact,note\n1,ann@example.org,hi\n2,bob@example.org,EMP-123456\n",
        }
    )
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"Phone": ["n/a"], "v": [1]}), project.root / "p.parquet")
    with gzip.open(project.root / "cards.csv.gz", "wt") as f:
        f.write("n,pay\n1,4111 1111 1111 1111\n2,1234 5678 9012 3456\n")
    project.repo.git("add", "people.csv", "p.parquet", "cards.csv.gz")
    result = project.check()
    assert result.code == 1
    out = result.out
    assert "[pii] people.csv: column 'contact': values look like email data (e.g. an…rg)" in out
    assert "[pii] people.csv: column 'note': values look like badge data" in out
    assert "[pii] p.parquet: column 'Phone': its name looks like phone data" in out
    assert "[pii] cards.csv.gz: column 'pay': values look like card data" in out
    assert len(failures(result)) == 4


def test_pii_scans_tracked_data_too(project: Project) -> None:
    project.write_policy("rules:\n  - id: pii\n")
    project.repo.gen({"users/a.csv": "name,email\nann,ann@example.org\n"})
    project.repo.ok("add", "users")
    result = project.check()
    assert result.code == 1
    assert "users/a.csv: column 'email'" in result.out
    project.repo.commit("users")
    ci = project.check("--ci")
    assert ci.code == 1
    assert "users/a.csv" in ci.out


TRAILERS = """protected_branches: [main]
rules:
  - id: trailers
    require: [Reviewed-by]
"""


def test_trailers_on_commits_since_the_base(project: Project) -> None:
    project.write_policy(TRAILERS)
    project.repo.commit("policy")
    project.repo.git("checkout", "-q", "-b", "feature")
    project.repo.gen({"x.txt": "1"})
    project.repo.commit("no trailer")
    result = project.check("--base", "main")
    assert result.code == 1
    assert "has no `Reviewed-by:` trailer, required in main" in result.out
    assert "git commit --amend --trailer 'Reviewed-by: NAME <EMAIL>'" in result.out
    project.repo.git("commit", "-q", "--amend", "-m", "now\n\nReviewed-by: Ann <a@x.org>")
    assert project.check("--base", "main").code == 0


def test_command_rule_exit_code_decides(project: Project) -> None:
    project.write_policy(
        "rules:\n  - id: lint\n    type: command\n    run: test -f LICENSE || "
        "(echo no LICENSE file; exit 3)\n"
    )
    result = project.check()
    assert result.code == 1
    assert "[lint] `test -f LICENSE" in result.out
    assert "failed with exit code 3: no LICENSE file" in result.out
    project.repo.gen({"LICENSE": "MIT"})
    assert project.check().code == 0


def test_check_json_lists_rules_and_failures(project: Project) -> None:
    import json

    project.write_policy(
        "rules:\n  - id: data-meta\n    require: [license]\n  - id: pipeline-fresh\n"
    )
    result = project.check("--json")
    doc = json.loads(result.out)
    assert doc["passed"] is False
    assert doc["rules_run"] == ["data-meta", "pipeline-fresh"]
    assert doc["failures"][0]["rule"] == "data-meta"
    assert doc["failures"][0]["file"] == "data.csv.gitml"


def test_a_clone_without_the_data_passes_but_its_own_changes_are_judged(
    project: Project, tmp_path: Path
) -> None:
    """git clone copies no cache: missing data is not staleness, a new reference is."""
    import subprocess

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project.root), str(clone)], check=True)
    (clone / "notes.txt").write_text("hello")
    subprocess.run(["git", "add", "notes.txt"], cwd=clone, check=True)
    result = project.repo.run("check", "-v", cwd=clone)
    assert result.code == 0, result
    assert "data.csv is not in this clone; not checked" in result.out
    # params changed in the clone: the stage is stale even though no data is here
    (clone / "params.yaml").write_text("quality: 0.5\n")
    stale = project.repo.run("check", cwd=clone)
    assert stale.code == 1
    assert "stage train is stale: param quality changed from 0.9 to 0.5" in stale.out
    assert "missing" not in stale.out
    # a pointer to data nobody has stored is refused
    (clone / "params.yaml").write_text("quality: 0.9\n")
    pointer = clone / "data.csv.gitml"
    text = pointer.read_text()
    old = text.split("hash: xxh128:")[1][:32]
    pointer.write_text(text.replace(old, "f" * 32))
    bad = project.repo.run("check", cwd=clone)
    assert bad.code == 1
    assert "[artifacts-committed] data.csv: its data is not in the cache" in bad.out
