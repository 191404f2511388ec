"""Keeping ``.gitignore`` entries for tracked artifacts."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from gitml.core.atomic import write_text


def _entry(name: str) -> str:
    escaped = "".join("\\" + c if c in "*?[]!#\\ " else c for c in name)
    return f"/{escaped}"


def _split(rel: str) -> tuple[str, str]:
    pure = PurePosixPath(rel)
    folder = pure.parent.as_posix()
    return ("" if folder == "." else folder), pure.name


def add_entry(root: Path, rel: str) -> bool:
    """Ignore ``rel`` in the ``.gitignore`` of its folder; True when the file changed."""
    folder, name = _split(rel)
    path = root / folder / ".gitignore"
    entry = _entry(name)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if entry in text.splitlines():
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    write_text(path, text + entry + "\n")
    return True


def remove_entry(root: Path, rel: str) -> bool:
    folder, name = _split(rel)
    path = root / folder / ".gitignore"
    if not path.exists():
        return False
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line != _entry(name)]
    if kept == lines:
        return False
    write_text(path, "".join(f"{line}\n" for line in kept))
    return True
