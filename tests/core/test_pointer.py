"""Pointer files: round-trips through YAML, and one clear error for a bad one."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitml.core import pointer as pointers
from gitml.core.paths import check_portable, check_relative
from gitml.core.pointer import Pointer, artifact_of
from gitml.errors import BadPath, GitmlError, InvalidFile

OID = "8f3c" + "0" * 28
GOOD = f"version: 1\npath: raw\nhash: xxh128:{OID}\nsize: 10\nfiles: 2\n"


def _valid(rel: str) -> bool:
    """A repo path `gitml add` would write a pointer for."""
    try:
        check_portable(PurePosixPath(rel).name, rel)
        return check_relative(rel, "test") == rel
    except GitmlError:
        return False


segment = st.text(
    # Any character a file name may hold but "/", NUL and newline (which `gitml add` refuses).
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0\n"),
    min_size=1,
    max_size=10,
)
rel_path = st.lists(segment, min_size=1, max_size=3).map("/".join).filter(_valid)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=20)
)
meta = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.one_of(json_scalar, st.lists(json_scalar, max_size=3)),
    max_size=4,
)
pointer = st.builds(
    Pointer,
    rel=rel_path,
    oid=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    size=st.integers(0, 2**60),
    files=st.none() | st.integers(0, 10**7),
    meta=meta,
)


@settings(max_examples=200, deadline=None)
@given(ptr=pointer)
def test_dumps_loads_round_trip(ptr: Pointer) -> None:
    back = pointers.loads(ptr.dumps(), ptr.pointer_rel)
    assert back == ptr
    assert back.meta == ptr.meta
    assert back.is_dir == ptr.is_dir


@settings(max_examples=50, deadline=None)
@given(ptr=pointer)
def test_save_load_round_trip(ptr: Pointer, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("ptr")
    (root / ptr.pointer_rel).parent.mkdir(parents=True, exist_ok=True)
    pointers.save(root, ptr)
    back = pointers.load(root, ptr.pointer_rel)
    assert back == ptr
    assert back.meta == ptr.meta


def test_to_dict_shape() -> None:
    f = Pointer("data/model.pt", OID, 5)
    assert f.to_dict() == {"version": 1, "path": "model.pt", "hash": f"xxh128:{OID}", "size": 5}
    d = Pointer("data/raw", OID, 10, 2, {"license": "CC-BY-4.0"})
    assert d.to_dict() == {
        "version": 1,
        "path": "raw",
        "hash": f"xxh128:{OID}",
        "size": 10,
        "files": 2,
        "meta": {"license": "CC-BY-4.0"},
    }
    assert d.pointer_rel == "data/raw.gitml"
    assert d.is_dir and not f.is_dir
    # The written text is plain YAML in the documented key order.
    assert list(yaml.safe_load(d.dumps())) == ["version", "path", "hash", "size", "files", "meta"]


def test_path_is_relative_to_the_pointer_folder() -> None:
    assert pointers.loads(GOOD, "a/b/raw.gitml").rel == "a/b/raw"
    assert pointers.loads(GOOD, "raw.gitml").rel == "raw"


def test_empty_directory_pointer_is_a_directory() -> None:
    ptr = pointers.loads(GOOD.replace("files: 2", "files: 0"), "raw.gitml")
    assert ptr.is_dir
    assert ptr.files == 0


def test_meta_does_not_change_equality() -> None:
    assert Pointer("a", OID, 1, meta={"x": 1}) == Pointer("a", OID, 1)


def test_artifact_of() -> None:
    assert artifact_of("data/raw.gitml") == "data/raw"
    with pytest.raises(InvalidFile, match=r"ends in \.gitml"):
        artifact_of("data/raw.yaml")


def _load_error(tmp_path: Path, text: str | bytes) -> InvalidFile | BadPath:
    target = tmp_path / "data" / "raw.gitml"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text)
    with pytest.raises((InvalidFile, BadPath)) as info:
        pointers.load(tmp_path, "data/raw.gitml")
    err = info.value
    assert isinstance(err, (InvalidFile, BadPath))
    assert "\n" not in str(err)
    assert err.hint, "every error says how to fix it"
    return err


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    err = _load_error(tmp_path, "version: 1\npath: raw\nhash: [\n")
    assert isinstance(err, InvalidFile)
    assert err.message.startswith("data/raw.gitml:4")
    assert "invalid YAML" in err.message


def test_wrong_hash_format(tmp_path: Path) -> None:
    err = _load_error(tmp_path, GOOD.replace(f"xxh128:{OID}", f"md5:{OID}"))
    assert isinstance(err, InvalidFile)
    assert err.line == 3
    assert err.key == "hash"
    assert "xxh128: followed by 32 lowercase hex digits" in err.message


@pytest.mark.parametrize("bad", ["../raw", "a/../../raw", "..", "/etc/passwd"])
def test_path_leaving_the_folder_is_refused(tmp_path: Path, bad: str) -> None:
    err = _load_error(tmp_path, GOOD.replace("path: raw", f"path: {bad}"))
    assert "data/raw.gitml" in str(err)
    assert "path" in str(err)


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    err = _load_error(tmp_path, GOOD + "sise: 3\n")
    assert isinstance(err, InvalidFile)
    assert err.key == "sise"
    assert err.line == 6
    assert "unknown key" in err.message
    assert "did you mean 'size'" in str(err.hint)


def test_missing_key(tmp_path: Path) -> None:
    err = _load_error(tmp_path, GOOD.replace(f"hash: xxh128:{OID}\n", ""))
    assert "hash" in str(err)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- a list\n",
        GOOD.replace("version: 1", "version: 2"),
        GOOD.replace("size: 10", "size: -1"),
        GOOD.replace("size: 10", "size: ten"),
        GOOD.replace("files: 2", "files: many"),
        GOOD.replace("path: raw", "path: ''"),
        GOOD + "meta: [1]\n",
    ],
)
def test_other_invalid_pointers(tmp_path: Path, text: str) -> None:
    err = _load_error(tmp_path, text)
    assert str(err).startswith("data/raw.gitml")


def test_not_utf8(tmp_path: Path) -> None:
    err = _load_error(tmp_path, b"version: 1\npath: \xff\xfe\n")
    assert "UTF-8" in str(err)


def test_loads_reports_the_given_name() -> None:
    with pytest.raises(InvalidFile, match=r"^HEAD:data/raw\.gitml:3"):
        pointers.loads(GOOD.replace(f"xxh128:{OID}", "xxh128:00"), "HEAD:data/raw.gitml")


def test_name_only_written() -> None:
    # The pointer names its artifact relative to its own folder, so moving both keeps them paired.
    ptr = Pointer("deep/er/raw", OID, 1)
    assert PurePosixPath(ptr.pointer_rel).name == "raw.gitml"
    assert yaml.safe_load(ptr.dumps())["path"] == "raw"


def _yaml_text(ptr: Pointer) -> str:
    """What the YAML library writes for a pointer (the reference for the plain form)."""
    return yaml.dump(ptr.to_dict(), Dumper=pointers._dumper(), sort_keys=False, allow_unicode=True)


plain_pointer = st.builds(
    Pointer,
    rel=st.from_regex(r"([a-z]{1,3}/)?[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True),
    oid=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    size=st.integers(0, 2**60),
    files=st.none() | st.integers(0, 10**7),
)


@settings(max_examples=300, deadline=None)
@given(ptr=plain_pointer)
def test_the_plain_form_is_what_yaml_writes(
    ptr: Pointer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    text = ptr.dumps()
    assert text == _yaml_text(ptr)
    assert yaml.safe_load(text) == ptr.to_dict()
    root = tmp_path_factory.mktemp("plain")
    (root / ptr.pointer_rel).parent.mkdir(parents=True, exist_ok=True)
    (root / ptr.pointer_rel).write_text(text)
    back = pointers.load(root, ptr.pointer_rel)
    assert (back, back.meta, back.is_dir) == (ptr, {}, ptr.is_dir)


@pytest.mark.parametrize(
    "name", ["yes", "Off", "NULL", "123", "1e3", "0x1f", ".hidden", "a b", "é"]
)
def test_names_yaml_would_quote_or_read_otherwise_take_the_yaml_road(
    name: str, tmp_path: Path
) -> None:
    ptr = Pointer(name, "0" * 32, 5)
    assert ptr._plain_text() is None
    assert ptr.dumps() == _yaml_text(ptr)
    (tmp_path / ptr.pointer_rel).write_text(ptr.dumps())
    assert pointers.load(tmp_path, ptr.pointer_rel).rel == name


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\npath: x\nhash: xxh128:" + "0" * 32 + "\nsize: 0123\n",  # octal to YAML
        "version: 1\npath: x\nhash: xxh128:" + "0" * 32 + "\nsize: 1\nmeta: {a: 1}\n",
        "version: 1\npath: x  # comment\nhash: xxh128:" + "0" * 32 + "\nsize: 1\n",
    ],
)
def test_anything_but_the_plain_form_is_read_by_yaml(text: str, tmp_path: Path) -> None:
    (tmp_path / "x.gitml").write_text(text)
    assert pointers._from_plain_text(text.encode(), "x.gitml") is None
    assert pointers.load(tmp_path, "x.gitml") == pointers.loads(text, "x.gitml")
