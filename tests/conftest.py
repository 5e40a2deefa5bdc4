"""Fixtures shared by every test folder.

``store_url`` (and the ``any_*`` fixtures built on it) run a test on SQLite,
PostgreSQL and MariaDB in turn, each on a database of its own. ``sqlite_app``
and ``demo_app`` stay on SQLite: the dashboard's tests run on a temporary file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import cli  # noqa: F401  (a fixture)
from tests.servers import scratch_database
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore

BACKENDS = ("sqlite", "postgresql", "mariadb")


def load_demo(app: Application) -> Application:
    assert DOMAIN.demo_history is not None
    with DOMAIN.demo_history.open(encoding="utf-8") as lines:
        app.import_lines(lines)
    return app


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, store_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend in turn."""
    if request.param == "sqlite":
        yield str(store_path)
        return
    with scratch_database(request.param) as url:
        yield url


@pytest.fixture
def sqlite_app(store_path: Path) -> Iterator[Application]:
    """The bank domain on an empty SQLite file of its own."""
    store = SqlEventStore(store_path)
    yield Application(DOMAIN, store)
    store.close()


@pytest.fixture
def demo_app(sqlite_app: Application) -> Application:
    """The bank domain on its own SQLite file, loaded with the shipped demo history."""
    return load_demo(sqlite_app)


@pytest.fixture
def any_app(store_url: str) -> Iterator[Application]:
    """The bank domain on an empty database of each backend."""
    store = SqlEventStore(store_url)
    yield Application(DOMAIN, store)
    store.close()


@pytest.fixture
def any_demo_app(any_app: Application) -> Application:
    return load_demo(any_app)
