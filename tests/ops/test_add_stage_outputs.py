"""`gitml add` refuses a stage's output: stages.lock already tracks it."""

from __future__ import annotations


def test_add_refuses_a_stage_output(tmp_repo) -> None:  # type: ignore[no-untyped-def]
    tmp_repo.gen(
        {
            "stages.yaml": "stages:\n  make:\n    cmd: mkdir -p out && echo x > out/a\n"
            "    outs: [out]\n",
            "out/a": "x\n",
        }
    )
    before = tmp_repo.snapshot()
    for path in ("out", "out/a"):
        result = tmp_repo.fails("add", path)
        assert "output out of stage make" in result.err
        assert "gitml repro" in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert tmp_repo.snapshot() == before
