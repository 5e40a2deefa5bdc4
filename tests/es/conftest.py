"""The framework tests run on every event store: memory, SQLite, PostgreSQL and MariaDB.

``store_kind`` is the one parametrized fixture. ``new_store`` (one database per
test) and ``module_store`` (one per module, for histories that are costly to
write) are :class:`stores.StoreFactory` objects built on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from stores import STORES, ServerDatabases, StoreFactory, store_factory


@pytest.fixture(scope="module", params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Module-scoped so that a module's shared history can be written once per store."""
    return str(request.param)


@pytest.fixture(scope="session")
def server_databases() -> Iterator[ServerDatabases]:
    with ExitStack() as stack:
        yield ServerDatabases(stack)


@pytest.fixture
def new_store(
    store_kind: str, tmp_path: Path, server_databases: ServerDatabases
) -> Iterator[StoreFactory]:
    """Stores on one empty database of each kind, for this test."""
    with store_factory(store_kind, tmp_path, server_databases) as factory:
        yield factory


@pytest.fixture(scope="module")
def module_store(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreFactory]:
    """Stores on one database of each kind, shared by the tests of a module."""
    with store_factory(store_kind, tmp_path_factory.mktemp(store_kind)) as factory:
        yield factory
