"""Fixtures for ops-level tests: a Repo handle on a fresh TmpRepo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitml.core.repo import Repo


@pytest.fixture
def repo(tmp_repo) -> Iterator[Repo]:  # type: ignore[no-untyped-def]
    """The ``tmp_repo`` opened as a Repo (cwd: its root); closed afterwards."""
    handle = Repo.find(tmp_repo.root)
    yield handle
    handle.close()
