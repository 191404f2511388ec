"""Validators generated from schemas/*.schema.json (see gitml.core.schema)."""
