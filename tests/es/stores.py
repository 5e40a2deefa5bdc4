"""Event stores of every kind, on one database per test or module (see conftest.py).

A ``StoreFactory`` call returns a store on the *same* database each time, so a
second call stands in for another process opening it. On the memory store that
is the same object, as memory is the database there. SQLite is a file in the
folder given. Server databases come from :func:`tests.servers.scratch_database`:
one per module for ``module_store``; for ``new_store`` one per server for the
whole session (:class:`ServerDatabases`), emptied of every table before each
test uses it, as creating a database costs PostgreSQL half a second under load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect

from tests.conftest import BACKENDS
from tests.servers import scratch_database
from tui_es.es import EventStore, InMemoryEventStore
from tui_es.store import SqlEventStore

STORES = ("memory", *BACKENDS)


class ServerDatabases:
    """A scratch database per server, handed out empty: as if just created."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._databases: dict[str, tuple[str, Engine]] = {}

    def empty(self, kind: str) -> str:
        """The URL of the server's scratch database, after dropping every table in it."""
        if kind not in self._databases:
            url = self._stack.enter_context(scratch_database(kind))
            engine = create_engine(url)
            self._stack.callback(engine.dispose)  # before the database is dropped
            self._databases[kind] = (url, engine)
        url, engine = self._databases[kind]
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            names = inspect(conn).get_table_names()
            if names:
                cascade = " CASCADE" if kind == "postgresql" else ""
                conn.exec_driver_sql(f"DROP TABLE {', '.join(map(quote, names))}{cascade}")
        return url


class StoreFactory:
    """``factory()`` opens a store on the test's database; ``factory.kind`` names the backend."""

    def __init__(
        self, kind: str, directory: Path, stack: ExitStack, databases: ServerDatabases | None
    ) -> None:
        self.kind = kind
        self._directory = directory
        self._stack = stack
        self._databases = databases
        self._url: str | None = None
        self._memory: InMemoryEventStore | None = None

    def __call__(self, *, clock: Iterator[str] | None = None) -> EventStore:
        """A store on the database; ``clock`` gives the recorded_at of what it appends.

        The memory store takes a time per event, the SQL stores one per commit.
        """
        if self.kind == "memory":
            if self._memory is None:
                self._memory = InMemoryEventStore(clock=clock)
            elif clock is not None:
                raise ValueError("the memory store's clock is set when it is first opened")
            return self._memory
        if self._url is None:
            if self.kind == "sqlite":
                self._url = str(self._directory / "store.sqlite")
            elif self._databases is not None:
                self._url = self._databases.empty(self.kind)
            else:
                self._url = self._stack.enter_context(scratch_database(self.kind))
        store = SqlEventStore(self._url)
        self._stack.callback(store.close)
        if clock is not None:
            store.clock = partial(next, clock)
        return store


@contextmanager
def store_factory(
    kind: str, directory: Path, databases: ServerDatabases | None = None
) -> Iterator[StoreFactory]:
    """Stores on one database; a server's comes from ``databases``, or is created for them."""
    with ExitStack() as stack:
        yield StoreFactory(kind, directory, stack, databases)  # stores close first
