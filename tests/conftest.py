"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
def sqlite_app(store_path: Path) -> Iterator[Application]:
    """The bank domain on an empty SQLite file of its own."""
    store = SqlEventStore(store_path)
    yield Application(DOMAIN, store)
    store.close()


@pytest.fixture
def demo_app(sqlite_app: Application) -> Application:
    """The bank domain on its own SQLite file, loaded with the shipped demo history."""
    assert DOMAIN.demo_history is not None
    with DOMAIN.demo_history.open(encoding="utf-8") as lines:
        sqlite_app.import_lines(lines)
    return sqlite_app
