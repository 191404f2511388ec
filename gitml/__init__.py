"""gitml: git-native reproducibility for machine-learning projects."""

from __future__ import annotations

__version__ = "0.1.0"
