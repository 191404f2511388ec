"""The pure three-way logic: values, key order, keyed maps and folder manifests."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitml.core.manifest import Entry, Manifest
from gitml.core.merge3 import (
    MISSING,
    Conflict,
    ManifestConflict,
    conflict_block,
    merge3,
    merge_keyed,
    merge_manifests,
    merge_order,
)


def _oid(n: int) -> str:
    return f"{n:032x}"


def test_merge3_takes_the_side_that_changed() -> None:
    assert merge3(1, 1, 2) == 2
    assert merge3(1, 2, 1) == 2
    assert merge3(1, 3, 3) == 3
    assert merge3(MISSING, 4, MISSING) == 4
    assert merge3(1, MISSING, 1) is MISSING  # removed on one side
    assert merge3(1, 2, 3) == Conflict(1, 2, 3)
    assert merge3(1, MISSING, 3) == Conflict(1, MISSING, 3)  # removed vs changed


values = st.one_of(st.just(MISSING), st.integers(0, 3))


@given(values, values, values)
def test_merge3_is_symmetric(base: object, ours: object, theirs: object) -> None:
    one, other = merge3(base, ours, theirs), merge3(base, theirs, ours)
    if isinstance(one, Conflict):
        assert other == Conflict(base, theirs, ours)
    else:
        assert one == other


def test_merge_order_places_new_keys_after_their_predecessor() -> None:
    assert merge_order(["prepare", "train"], ["prepare", "featurize", "train"]) == [
        "prepare",
        "featurize",
        "train",
    ]
    assert merge_order(["b", "c"], ["a", "b"]) == ["a", "b", "c"]
    assert merge_order(["a"], ["a", "x", "y"]) == ["a", "x", "y"]


keys = st.lists(st.sampled_from("abcdefgh"), unique=True)


@given(keys, keys)
def test_merge_order_keeps_every_key_once_and_ours_in_order(
    ours: list[str], theirs: list[str]
) -> None:
    order = merge_order(ours, theirs)
    assert sorted(order) == sorted(set(ours) | set(theirs))
    assert [k for k in order if k in ours] == ours


def test_merge_keyed_merges_key_by_key_and_drops_removed_keys() -> None:
    base = {"a": 1, "b": 1, "c": 1}
    ours = {"a": 2, "b": 1, "c": 1, "new": 5}
    theirs = {"a": 1, "c": 9}  # b removed
    assert merge_keyed(base, ours, theirs) == {"a": 2, "c": 9, "new": 5}
    assert merge_keyed({"k": 1}, {"k": 2}, {"k": 3}) == {"k": Conflict(1, 2, 3)}


def _manifest(files: dict[str, int]) -> Manifest:
    return Manifest.build(Entry(path, _oid(n), n) for path, n in files.items())


def test_disjoint_changes_to_a_folder_are_merged() -> None:
    base = _manifest({"a.csv": 1, "b.csv": 2, "c.csv": 3})
    ours = _manifest({"a.csv": 10, "b.csv": 2, "c.csv": 3, "new.csv": 4})
    theirs = _manifest({"a.csv": 1, "b.csv": 2})  # c.csv removed
    assert merge_manifests(base, ours, theirs) == _manifest({"a.csv": 10, "b.csv": 2, "new.csv": 4})


def test_the_same_file_changed_on_both_sides_conflicts() -> None:
    base = _manifest({"a.csv": 1, "b.csv": 2})
    ours = _manifest({"a.csv": 5, "b.csv": 7})
    theirs = _manifest({"a.csv": 6, "b.csv": 7})  # b.csv: the same change, no conflict
    assert merge_manifests(base, ours, theirs) == ManifestConflict(("a.csv",))


def test_an_executable_bit_is_a_change() -> None:
    base = _manifest({"run.sh": 1})
    ours = Manifest.build([Entry("run.sh", _oid(1), 1, True)])
    theirs = _manifest({"run.sh": 2})
    assert merge_manifests(base, ours, theirs) == ManifestConflict(("run.sh",))


def test_a_file_on_one_side_where_the_other_has_a_folder_conflicts() -> None:
    base = _manifest({"x/a": 1})
    ours = _manifest({"x/a": 1, "x/b/c": 2})
    theirs = _manifest({"x/b": 3})  # x/a removed, a file x/b added
    assert merge_manifests(base, ours, theirs) == ManifestConflict(("x/b",))


folders = st.dictionaries(st.sampled_from(["a", "b", "c", "d/e", "d/f", "g"]), st.integers(1, 4))


@given(folders, folders, folders, st.integers(0, 2**6 - 1))
@settings(max_examples=200)
def test_changes_split_between_the_sides_merge_to_both(
    base: dict[str, int], ours_edit: dict[str, int], theirs_edit: dict[str, int], removed: int
) -> None:
    """Any set of per-file edits split between two sides merges to all of them at once."""
    theirs_only = {p: n for p, n in theirs_edit.items() if p not in ours_edit}
    gone = {p for i, p in enumerate(sorted(base)) if removed >> i & 1} - set(ours_edit)
    gone -= set(theirs_only)
    ours = {**base, **ours_edit}
    theirs = {p: n for p, n in {**base, **theirs_only}.items() if p not in gone}
    expected = {p: n for p, n in {**base, **ours_edit, **theirs_only}.items() if p not in gone}
    got = merge_manifests(_manifest(base), _manifest(ours), _manifest(theirs))
    assert got == _manifest(expected)
    assert merge_manifests(_manifest(base), _manifest(theirs), _manifest(ours)) == got
    assert got.oid() == _manifest(expected).oid()


@given(folders, folders)
def test_one_sided_change_is_taken_as_is(base: dict[str, int], changed: dict[str, int]) -> None:
    b, c = _manifest(base), _manifest(changed)
    assert merge_manifests(b, c, b) == c
    assert merge_manifests(b, b, c) == c


def test_conflict_block_wraps_whole_lines() -> None:
    assert conflict_block("a: 1", "") == "<<<<<<< ours\na: 1\n=======\n>>>>>>> theirs\n"
