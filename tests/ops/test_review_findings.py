"""Data-side behaviour fixed after a review of the docs against the code."""

from __future__ import annotations

import os
import sys


def test_re_adding_hardlinked_files_leaves_no_temp_files(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({".gitml/config.local.yaml": "cache:\n  type: hardlink\n", "h/x": "hi\n"})
    tmp_repo.ok("add", "h")
    tmp_repo.ok("add", "h")
    assert sorted(os.listdir(tmp_repo.root / "h")) == ["x"]
    assert os.stat(tmp_repo.root / "h/x").st_nlink == 2  # the work tree and the cache


def test_a_corrupt_state_index_is_rebuilt(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"a.txt": "a\n"})
    tmp_repo.ok("add", "a.txt")
    db = tmp_repo.root / ".git/gitml/state/state.db"
    db.write_bytes(os.urandom(5000))
    result = tmp_repo.ok("status")
    assert "all 1 tracked artifact(s) up to date" in result.out
    assert "was unreadable" in result.err and "rebuilt it" in result.err
    assert tmp_repo.ok("status").err == ""  # the new index is fine


def test_api_params_by_hand_from_a_subfolder(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen({"params.yaml": "train:\n  lr: 0.5\n", "src/x.txt": ""})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITML_")}
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", "from gitml import api; print(api.params()['train']['lr'])"],
        cwd=tmp_repo.root / "src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "0.5"


def test_a_state_index_damaged_past_its_first_pages_is_one_clear_error(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    """Opening reads only the first pages (a full scan would cost every command);
    damage further in is found by the query that meets it, and said plainly."""
    tmp_repo.gen({f"d/f{i}": str(i) * 50 for i in range(3000)})
    tmp_repo.ok("add", "d")
    tmp_repo.ok("status")
    db = tmp_repo.root / ".git/gitml/state/state.db"
    data = bytearray(db.read_bytes())
    start = int(len(data) * 0.7) // 4096 * 4096
    data[start:] = os.urandom(len(data) - start)
    db.write_bytes(bytes(data))
    # (an unchanged folder reads only the head row of its snapshot; a changed one all of it)
    (tmp_repo.root / "d/f1").write_text("changed")
    result = tmp_repo.run("status")
    assert result.code == 1, result
    assert result.err.startswith("error: gitml's state index is damaged"), result.err
    assert "delete .git/gitml/state" in result.err
    assert "internal error" not in result.err
