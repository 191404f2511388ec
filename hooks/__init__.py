"""The git hook shim template that ``gitml install`` writes (shipped as package data)."""
