"""Edges of the stage graph and the commands that show it (dag, stage list)."""

from __future__ import annotations

import json

from .helpers import Pipe

GRAPH = """
stages:
  mk:
    cmd: mkdir -p data/prep && echo 1 > data/prep/x.txt && echo 2 > data/prep/y.txt
    outs: [data/prep]
  inner:
    cmd: cat data/prep/x.txt > inner.txt
    deps: [data/prep/x.txt]
    outs: [inner.txt]
  single:
    cmd: echo s > data/s.txt
    outs: [data/s.txt]
  outer:
    cmd: ls data data/prep > outer.txt
    deps: [data]
    outs: [outer.txt]
  last:
    cmd: cat inner.txt outer.txt > last.txt
    deps: [inner.txt, outer.txt]
    outs: [last.txt]
"""

EDGES = [
    ["mk", "inner"],
    ["mk", "outer"],
    ["single", "outer"],
    ["inner", "last"],
    ["outer", "last"],
]


def test_edges_from_equal_inner_and_containing_paths(pipe: Pipe) -> None:
    pipe.stages(GRAPH)
    pipe.commit()
    doc = json.loads(pipe.ok("dag", "--json").out)
    assert doc["stages"] == ["mk", "inner", "single", "outer", "last"]
    assert sorted(doc["edges"]) == sorted(EDGES)


def test_dag_text(pipe: Pipe) -> None:
    pipe.stages(GRAPH)
    pipe.commit()
    assert pipe.ok("dag").out.splitlines() == [
        "mk      (start)",
        "inner   after mk",
        "single  (start)",
        "outer   after mk, single",
        "last    after inner, outer",
    ]


def test_dag_dot_and_mermaid(pipe: Pipe) -> None:
    pipe.stages(GRAPH)
    pipe.commit()
    dot = pipe.ok("dag", "--dot").out
    assert dot.startswith("digraph gitml {")
    assert dot.rstrip().endswith("}")
    for up, down in EDGES:
        assert f'  "{up}" -> "{down}";' in dot.splitlines()
    assert dot.count("->") == len(EDGES)
    mermaid = pipe.ok("dag", "--mermaid").out.splitlines()
    assert mermaid[0] == "flowchart TD"
    assert '  s_mk["mk"]' in mermaid
    for up, down in EDGES:
        assert f"  s_{up} --> s_{down}" in mermaid


def test_dag_of_a_target_shows_its_upstream(pipe: Pipe) -> None:
    pipe.stages(GRAPH)
    pipe.commit()
    doc = json.loads(pipe.ok("dag", "outer", "--json").out)
    assert doc["stages"] == ["mk", "single", "outer"]
    assert sorted(doc["edges"]) == [["mk", "outer"], ["single", "outer"]]


def test_dag_mermaid_ids_of_expanded_stages(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          ev:
            foreach: [a-1, b.2]
            cmd: echo ${item} > ${item}.txt
            outs:
              - ${item}.txt
        """
    )
    pipe.commit()
    mermaid = pipe.ok("dag", "--mermaid").out.splitlines()
    assert '  s_ev_a_1["ev@a-1"]' in mermaid
    assert '  s_ev_b_2["ev@b.2"]' in mermaid


def test_edges_are_followed_when_running(pipe: Pipe) -> None:
    pipe.stages(GRAPH)
    pipe.commit()
    pipe.ok("repro")
    assert pipe.read("last.txt") == "1\ndata:\nprep\ns.txt\n\ndata/prep:\nx.txt\ny.txt\n"
    # the folder dep (holding the outputs of mk and single) is recorded as it was after them
    dry = pipe.ok("repro", "--dry").out.splitlines()
    assert all(line.endswith("(up to date)") for line in dry), dry


def test_stage_list(pipe: Pipe) -> None:
    pipe.stages(
        """
        stages:
          prepare:
            desc: Split the data
            cmd: echo p > p.txt
            outs: [p.txt]
          train:
            cmd:
              - cat p.txt > m.txt
              - echo done
            deps: [p.txt]
            outs: [m.txt]
            metrics: [scores.json]
        """
    )
    pipe.commit()
    assert pipe.ok("stage", "list").out.splitlines() == [
        "prepare  Split the data",
        "train    cat p.txt > m.txt && echo done",
    ]
    verbose = pipe.ok("stage", "list", "-v").out.splitlines()
    assert "         deps: p.txt; outs: m.txt, scores.json" in verbose
    rows = json.loads(pipe.ok("stage", "list", "--json").out)
    assert rows == [
        {
            "name": "prepare",
            "cmd": ["echo p > p.txt"],
            "desc": "Split the data",
            "deps": [],
            "outs": ["p.txt"],
            "upstream": [],
            "tune": False,
        },
        {
            "name": "train",
            "cmd": ["cat p.txt > m.txt", "echo done"],
            "desc": "",
            "deps": ["p.txt"],
            "outs": ["m.txt", "scores.json"],
            "upstream": ["prepare"],
            "tune": False,
        },
    ]


def test_no_stages_yaml(pipe: Pipe) -> None:
    result = pipe.fails("dag")
    assert "no stages.yaml in" in result.err
    result = pipe.fails("repro")
    assert "no stages.yaml in" in result.err
