"""Directory manifests: canonical bytes, hashes, round-trips and diffs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitml.core.hashing import hash_bytes
from gitml.core.manifest import Entry, Manifest, diff
from gitml.core.paths import check_portable
from gitml.errors import BadPath, GitmlError

OID_A = "0" * 32
OID_B = "1" * 32

segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
    min_size=1,
    max_size=8,
).filter(lambda s: s not in (".", ".."))


def _addable(rel: str) -> bool:
    try:
        check_portable(rel, rel)
    except BadPath:
        return False
    return True


# Any path `gitml add` puts in a manifest (it refuses names like "C:x" up front).
rel_path = st.lists(segment, min_size=1, max_size=3).map("/".join).filter(_addable)
oid = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
entry = st.builds(Entry, rel_path, oid, st.integers(0, 2**50), st.booleans())
entries = st.lists(entry, max_size=20, unique_by=lambda e: e.path)


def test_canonical_bytes_are_stable() -> None:
    m = Manifest.build([Entry("b", OID_B, 2, True), Entry("a/x", OID_A, 1)])
    expected = (
        '{"version":1,"files":[["a/x","' + OID_A + '",1,0],["b","' + OID_B + '",2,1]]}'
    ).encode()
    assert m.to_bytes() == expected
    assert m.oid() == hash_bytes(expected)
    assert m.size == 3
    assert len(m) == 2
    assert [e.path for e in m] == ["a/x", "b"]
    assert m.by_path()["b"] == Entry("b", OID_B, 2, True)


def test_unicode_paths_are_written_as_utf8() -> None:
    m = Manifest.build([Entry("données/é.csv", OID_A, 1)])
    assert "données/é.csv".encode() in m.to_bytes()
    assert Manifest.from_bytes(m.to_bytes()) == m


def test_empty_manifest() -> None:
    m = Manifest.build([])
    assert m.size == 0
    assert len(m) == 0
    assert Manifest.from_bytes(m.to_bytes()) == m


def test_duplicate_paths_are_refused() -> None:
    with pytest.raises(GitmlError, match="duplicate path in manifest: a"):
        Manifest.build([Entry("a", OID_A, 1), Entry("a", OID_B, 2)])


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        json.dumps({"version": 2, "files": []}),
        json.dumps({"files": []}),
        json.dumps({"version": 1}),
        json.dumps({"version": 1, "files": [["a", "xyz", 1, 0]]}),
        json.dumps({"version": 1, "files": [["a", OID_A, -1, 0]]}),
        json.dumps({"version": 1, "files": [["a", OID_A, "1", 0]]}),
        json.dumps({"version": 1, "files": [["a", OID_A, 1]]}),
        json.dumps({"version": 1, "files": [["../a", OID_A, 1, 0]]}),
        json.dumps({"version": 1, "files": [["/etc/passwd", OID_A, 1, 0]]}),
        json.dumps({"version": 1, "files": [["a", OID_A, 1, 0], ["a", OID_B, 1, 0]]}),
        json.dumps([1, 2]),
    ],
)
def test_corrupt_manifests_are_refused(doc: str) -> None:
    with pytest.raises(GitmlError) as info:
        Manifest.from_bytes(doc.encode(), "data/raw")
    assert "data/raw" in str(info.value) or "duplicate path" in str(info.value)


def test_corrupt_manifest_message_says_how_to_fix() -> None:
    with pytest.raises(GitmlError) as info:
        Manifest.from_bytes(b"{", "data/raw")
    assert info.value.message.startswith("data/raw: corrupt directory manifest")
    assert "fsck --repair" in str(info.value.hint)


def test_diff() -> None:
    old = Manifest.build([Entry("keep", OID_A, 1), Entry("gone", OID_A, 1), Entry("mod", OID_A, 1)])
    new = Manifest.build([Entry("keep", OID_A, 1), Entry("mod", OID_B, 1), Entry("new", OID_B, 1)])
    assert diff(old, new) == {"added": ["new"], "modified": ["mod"], "deleted": ["gone"]}
    assert diff(new, new) == {"added": [], "modified": [], "deleted": []}
    made_exec = Manifest.build([Entry("keep", OID_A, 1, True)])
    assert diff(Manifest.build([Entry("keep", OID_A, 1)]), made_exec)["modified"] == ["keep"]


@settings(max_examples=100, deadline=None)
@given(items=entries, seed=st.randoms(use_true_random=False))
def test_hash_does_not_depend_on_construction_order(items: list[Entry], seed) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(items)
    seed.shuffle(shuffled)
    a, b = Manifest.build(items), Manifest.build(shuffled)
    assert a == b
    assert a.to_bytes() == b.to_bytes()
    assert a.oid() == b.oid()


@settings(max_examples=100, deadline=None)
@given(items=entries)
def test_bytes_round_trip(items: list[Entry]) -> None:
    m = Manifest.build(items)
    back = Manifest.from_bytes(m.to_bytes())
    assert back == m
    assert back.oid() == m.oid()
    assert back.size == sum(e.size for e in items)


@settings(max_examples=100, deadline=None)
@given(items=entries.filter(bool), data=st.data())
def test_any_change_of_an_entry_changes_the_hash(items: list[Entry], data: st.DataObject) -> None:
    before = Manifest.build(items)
    i = data.draw(st.integers(0, len(items) - 1))
    e = items[i]
    field = data.draw(st.sampled_from(["path", "oid", "size", "executable"]))
    others = {x.path for x in items}
    if field == "path":
        changed = Entry(
            data.draw(rel_path.filter(lambda p: p not in others)), e.oid, e.size, e.executable
        )
    elif field == "oid":
        changed = Entry(e.path, data.draw(oid.filter(lambda o: o != e.oid)), e.size, e.executable)
    elif field == "size":
        changed = Entry(
            e.path,
            e.oid,
            data.draw(st.integers(0, 2**50).filter(lambda s: s != e.size)),
            e.executable,
        )
    else:
        changed = Entry(e.path, e.oid, e.size, not e.executable)
    after = Manifest.build([*items[:i], changed, *items[i + 1 :]])
    assert after.oid() != before.oid()


@settings(max_examples=50, deadline=None)
@given(items=entries.filter(bool), data=st.data())
def test_adding_or_removing_an_entry_changes_the_hash(
    items: list[Entry], data: st.DataObject
) -> None:
    full = Manifest.build(items)
    i = data.draw(st.integers(0, len(items) - 1))
    fewer = Manifest.build(items[:i] + items[i + 1 :])
    assert fewer.oid() != full.oid()
