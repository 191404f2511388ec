"""A test repository with the gitml merge driver registered, as `gitml install` does."""

from __future__ import annotations

import shlex
import sys

import pytest

ATTRIBUTES = "stages.lock merge=gitml\n*.gitml merge=gitml\n"


@pytest.fixture
def merge_repo(tmp_repo):  # type: ignore[no-untyped-def]
    """``tmp_repo`` with ``merge.gitml.driver`` and .gitattributes committed on main."""
    driver = f"{shlex.quote(sys.executable)} -m gitml merge-driver %O %A %B %P"
    tmp_repo.git("config", "merge.gitml.driver", driver)
    tmp_repo.git("config", "merge.gitml.name", "gitml stages.lock and pointer files")
    tmp_repo.gen({".gitattributes": ATTRIBUTES})
    tmp_repo.commit("gitml merge driver")
    return tmp_repo
