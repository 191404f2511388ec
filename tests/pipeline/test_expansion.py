"""foreach / matrix expansion, ``${...}`` interpolation and ``wdir``."""

from __future__ import annotations

import json
from typing import Any

from .helpers import Pipe


def stage_list(pipe: Pipe) -> dict[str, dict[str, Any]]:
    rows = json.loads(pipe.ok("stage", "list", "--json").out)
    return {row["name"]: row for row in rows}


def test_foreach_over_a_list(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          ev:
            foreach: [val, test]
            cmd: echo ${item} > ${item}.txt
            outs:
              - ${item}.txt
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert list(stages) == ["ev@val", "ev@test"]
    assert stages["ev@val"]["cmd"] == ["echo val > val.txt"]
    assert stages["ev@test"]["outs"] == ["test.txt"]
    pipe.ok("repro")
    assert pipe.read("val.txt") == "val\n"
    assert pipe.read("test.txt") == "test\n"
    assert set(pipe.lock()) == {"ev@val", "ev@test"}


def test_foreach_over_a_mapping(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          fit:
            foreach:
              small: {size: 1, act: relu}
              big: {size: 9, act: tanh}
            cmd: echo ${key} ${item.size} ${item.act} > fit_${key}.txt
            outs:
              - fit_${key}.txt
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert list(stages) == ["fit@small", "fit@big"]
    assert stages["fit@big"]["cmd"] == ["echo big 9 tanh > fit_big.txt"]
    pipe.ok("repro")
    assert pipe.read("fit_small.txt") == "small 1 relu\n"


def test_matrix(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          run:
            matrix:
              model: [a, b]
              seed: [1, 2]
            cmd: echo ${item.model} ${item.seed} > run_${key}.txt
            outs:
              - run_${key}.txt
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert list(stages) == ["run@a-1", "run@a-2", "run@b-1", "run@b-2"]
    assert stages["run@b-1"]["cmd"] == ["echo b 1 > run_b-1.txt"]
    pipe.ok("repro")
    assert pipe.read("run_a-2.txt") == "a 2\n"


def test_interpolation_from_params_and_vars(pipe: Pipe) -> None:
    pipe.params(
        """
        train:
          lr: 0.01
          layers: 3
          fast: true
        """
    )
    pipe.gen({"more.yaml": "extra: {name: zeta}\n"})
    pipe.stages(
        """
        vars:
          - greeting: hello
            out: results
          - more.yaml
        stages:
          train:
            cmd: >-
              echo ${greeting} ${train.lr} ${train.layers} ${train.fast} ${extra.name}
              > ${out}/t.txt
            outs:
              - ${out}/t.txt
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert stages["train"]["cmd"] == ["echo hello 0.01 3 true zeta > results/t.txt"]
    assert stages["train"]["outs"] == ["results/t.txt"]
    pipe.ok("repro")
    assert pipe.read("results/t.txt") == "hello 0.01 3 true zeta\n"


def test_whole_value_list_feeds_foreach(pipe: Pipe) -> None:
    pipe.params(
        """
        splits: [train, val]
        models:
          mlp: {hidden: 16}
          cnn: {hidden: 32}
        """
    )
    pipe.stages(
        """
        stages:
          split:
            foreach: ${splits}
            cmd: echo ${item} > ${item}.txt
            outs:
              - ${item}.txt
          model:
            foreach: ${models}
            cmd: echo ${item.hidden} > ${key}.txt
            outs:
              - ${key}.txt
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert list(stages) == ["split@train", "split@val", "model@mlp", "model@cnn"]
    assert stages["model@cnn"]["cmd"] == ["echo 32 > cnn.txt"]


def test_a_list_inside_a_string_is_refused(pipe: Pipe) -> None:
    pipe.params("splits: [train, val]\n")
    pipe.stages(
        """
        stages:
          bad:
            cmd: echo ${splits}
        """
    )
    pipe.commit()
    result = pipe.fails("stage", "list")
    assert "stages.yaml:3:5: stages.bad.cmd: ${splits} is a list" in result.err


def test_wdir_makes_paths_relative(pipe: Pipe) -> None:
    pipe.gen({"sub/input.txt": "in\n", "sub/params.yaml": "scale: 3\n"})
    pipe.stages(
        """
        stages:
          make:
            cmd: echo made > made.txt
            outs: [made.txt]
          inner:
            wdir: sub
            cmd: cat input.txt ../made.txt > out/result.txt && pwd > out/where.txt
            deps: [input.txt, ../made.txt]
            params: [scale]
            outs: [out/result.txt, out/where.txt]
        """
    )
    pipe.commit()
    stages = stage_list(pipe)
    assert stages["inner"]["deps"] == ["sub/input.txt", "made.txt"]
    assert stages["inner"]["outs"] == ["sub/out/result.txt", "sub/out/where.txt"]
    assert stages["inner"]["upstream"] == ["make"]
    pipe.ok("repro")
    assert pipe.read("sub/out/result.txt") == "in\nmade\n"
    assert pipe.read("sub/out/where.txt").strip() == str(pipe.root / "sub")
    lock = pipe.lock()["inner"]
    assert [d["path"] for d in lock["deps"]] == ["sub/input.txt", "made.txt"]
    assert lock["params"] == {"sub/params.yaml": {"scale": 3}}
    # the cached output is ignored in its own folder's .gitignore
    assert "/result.txt" in pipe.read("sub/out/.gitignore").splitlines()


def test_expanded_stage_items_are_independent_in_the_lock(pipe: Pipe) -> None:
    pipe.params("sizes: [1, 2]\n")
    pipe.stages(
        """
        stages:
          gen:
            foreach: ${sizes}
            cmd: echo ${item} > n${item}.txt && echo ${key} >> runs.log
            outs:
              - n${item}.txt
        """
    )
    pipe.commit()
    pipe.ok("repro")
    assert sorted(pipe.lines("runs.log")) == ["1", "2"]
    # a new item runs alone; the others stay up to date
    pipe.params("sizes: [1, 2, 3]\n")
    pipe.ok("repro")
    assert sorted(pipe.lines("runs.log")) == ["1", "2", "3"]
    assert set(pipe.lock()) == {"gen@1", "gen@2", "gen@3"}
