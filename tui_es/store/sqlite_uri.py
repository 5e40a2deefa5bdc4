"""SQLite ``file:`` URIs (no SQLAlchemy here: fold processes import this alone)."""

from __future__ import annotations

from pathlib import Path


def read_only_uri(path: str | Path) -> str:
    """A URI that opens the file read-only, whatever characters its path holds.

    In a URI SQLite reads ``?`` as the start of the parameters, ``#`` as the end
    and ``%XX`` as an escape: a path with any of them must be percent-encoded.
    """
    return f"{Path(path).resolve().as_uri()}?mode=ro"
