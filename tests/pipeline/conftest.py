"""The ``pipe`` fixture: a throw-away repository for pipeline tests (see helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import Pipe


@pytest.fixture
def pipe(tmp_repo: Any) -> Iterator[Pipe]:
    p = Pipe(tmp_repo)
    yield p
    p.close()
