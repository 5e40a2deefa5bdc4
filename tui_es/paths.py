"""Where tui-es finds its shipped data and keeps the user's default store."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_file(name: str) -> Path:
    """A file of ``data/``: inside the wheel it is ``tui_es/_data``; in a checkout, ``data/``."""
    for folder in (_PACKAGE / "_data", _PACKAGE.parent / "data"):
        candidate = folder / name
        if candidate.exists():
            return candidate
    return _PACKAGE / "_data" / name


def default_store_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("tui-es", appauthor=False)) / "tui-es.sqlite"
