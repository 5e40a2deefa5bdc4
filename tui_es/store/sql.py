"""The event store on SQLModel / SQLAlchemy (SQLite by default).

Reads and writes go through SQLAlchemy Core on the tables of
:mod:`tui_es.store.schema`: one statement per step, no ORM identity map, so a
command costs a handful of statements and a bulk import one ``executemany``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from tui_es.es.envelope import SerializedEvent, StoredRow, event_to_row, row_to_event
from tui_es.es.errors import (
    AggregateConflict,
    AggregateError,
    DatabaseConnectionError,
    ReadOnlyError,
    UnexpectedError,
)
from tui_es.es.framework import utc_now
from tui_es.es.snapshots import SerializedSnapshot
from tui_es.es.store import (
    NO_FILTER,
    EncodedJson,
    EventFilter,
    Partition,
    ViewRow,
    partition_of,
)
from tui_es.store.legacy import LegacyLog
from tui_es.store.partition import SqlitePartitionSource, sqlite_rows
from tui_es.store.schema import EVENTS, HEAD, METADATA, view_table
from tui_es.store.sqlite_uri import read_only_uri
from tui_es.store.statements import Statements
from tui_es.store.types import dumps, loads
from tui_es.store.url import redact, resolve_url

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
NOTIFY_CHANNEL = "tui_es_events"

# On SQLite the position is the rowid: the log is stored in its own order, a
# commit touches one b-tree less, and an INSERT that names only cqrs-es's seven
# columns is numbered max + 1 by SQLite itself. cqrs-es's primary key becomes a
# unique constraint, which SQLite enforces the same way.
SQLITE_EVENTS = """CREATE TABLE events (
    aggregate_type VARCHAR(255) NOT NULL,
    aggregate_id VARCHAR(255) NOT NULL,
    sequence BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    event_version TEXT NOT NULL,
    payload TEXT NOT NULL,
    metadata TEXT NOT NULL,
    position INTEGER PRIMARY KEY,
    recorded_at VARCHAR(40),
    UNIQUE (aggregate_type, aggregate_id, sequence)
)"""
# filtering the stream by event type (MySQL cannot index a TEXT column whole)
TYPE_INDEX = "CREATE INDEX IF NOT EXISTS events_type_position ON events (event_type, position)"


def _translate(error: SQLAlchemyError, url: URL) -> AggregateError:
    if isinstance(error, IntegrityError):
        return AggregateConflict()
    if isinstance(error, OperationalError | DBAPIError):
        detail = str(error.orig) if getattr(error, "orig", None) else str(error)
        return DatabaseConnectionError(scrub(f"{redact(url)}: {detail}", url))
    return UnexpectedError(scrub(f"{type(error).__name__}: {error}", url))


def scrub(message: str, url: URL) -> str:
    """The message without the URL's password, should a driver have quoted it."""
    password = url.password
    return message.replace(str(password), "***") if password else message


class SqlTransaction:
    """One write transaction on a driver connection, holding the log's write lock."""

    def __init__(self, store: SqlEventStore, cursor: Any) -> None:
        self.store = store
        self.sql = store.sql
        self.cursor = cursor
        # SQLite: BEGIN IMMEDIATE holds the only write lock, and the head is read
        # when first needed (a one-event append does not need it)
        self._head: int | None = None if store.dialect == "sqlite" else self._lock_head()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self.cursor.execute(sql, params)
        row = self.cursor.fetchone()
        return None if row is None else row[0]

    def _lock_head(self) -> int:
        """Take the log's write lock (the events_head row) for the whole transaction.

        Holding it serializes every writer: positions are given in commit order
        and checkpoints are read and moved by one transaction at a time. The
        events' own maximum guards against a head row left behind by a writer
        that did not move it.
        """
        top = int(self._one(self.sql.max_position) or 0)
        if self.store.dialect == "sqlite":
            return top  # BEGIN IMMEDIATE took the database's only write lock already
        locked = self._one(self.sql.lock_head)
        if locked is None:
            self.cursor.execute(self.sql.insert_head, (0,))
            locked = 0
        return max(int(locked), top)

    def head_position(self) -> int:
        if self._head is None:
            self._head = self._lock_head()
        return self._head

    def append(self, events: Sequence[SerializedEvent]) -> list[SerializedEvent]:
        if not events:
            return []
        now = self.store.clock()
        numbered = self._head is None and len(events) == 1 and self.store.numbered_by_sqlite
        # SQLite numbers a lone row itself (the position is the rowid: a row without one
        # gets the largest + 1, what the head would give); otherwise the head does
        head = 0 if numbered else self.head_position()
        committed = [
            SerializedEvent(
                e.aggregate_type,
                e.aggregate_id,
                e.sequence,
                e.event_type,
                e.event_version,
                e.payload,
                e.metadata,
                None if numbered else head + i,
                e.recorded_at or now,
            )
            for i, e in enumerate(events, start=1)
        ]
        rows = [
            (
                e.aggregate_type,
                e.aggregate_id,
                e.sequence,
                e.event_type,
                e.event_version,
                dumps(e.payload),
                dumps(e.metadata),
                e.position,
                e.recorded_at,
            )
            for e in committed
        ]
        try:
            if len(rows) == 1:
                self.cursor.execute(self.sql.insert_events, rows[0])
            else:
                self.cursor.executemany(self.sql.insert_events, rows)
        except self.store.dbapi.IntegrityError:
            raise AggregateConflict() from None
        if numbered:
            self._head = committed[0].position = int(self.cursor.lastrowid)
            return committed
        self._head = head + len(committed)
        if self.store.dialect == "sqlite":
            return committed
        self.cursor.execute(self.sql.update_head, (self._head,))
        if self.store.dialect == "postgresql":
            # delivered when (and only if) the transaction commits
            self.cursor.execute(self.sql.notify, (str(self._head),))
        return committed

    def save_snapshot(self, snapshot: SerializedSnapshot) -> None:
        key = (snapshot.aggregate_type, snapshot.aggregate_id)
        taken = int(self._one(self.sql.snapshot_count, key) or 0)
        if snapshot.current_snapshot != taken + 1:
            raise AggregateConflict()
        payload = dumps(snapshot.payload)
        if self.store.snapshot_history or taken == 0:
            # Earlier snapshots stay: a state at any version starts from the nearest one.
            try:
                self.cursor.execute(
                    self.sql.insert_snapshot,
                    (*key, snapshot.last_sequence, snapshot.current_snapshot, payload),
                )
            except self.store.dbapi.IntegrityError:
                raise AggregateConflict() from None
            return
        # cqrs-es's MySQL table keeps one snapshot per aggregate
        self.cursor.execute(
            self.sql.replace_snapshot,
            (snapshot.last_sequence, payload, snapshot.current_snapshot, *key, taken),
        )
        if self.cursor.rowcount != 1:
            raise AggregateConflict()

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        return int(self._one(self.sql.last_sequence, (aggregate_type, aggregate_id)) or 0)

    def read_range(
        self, after_position: int, until_position: int | None, limit: int
    ) -> list[SerializedEvent]:
        if until_position is None:
            self.cursor.execute(self.sql.read_after, (after_position, limit))
        else:
            self.cursor.execute(self.sql.read_range, (after_position, until_position, limit))
        return [row_to_event(r) for r in self.cursor.fetchall()]

    def iter_rows(
        self,
        after_position: int,
        until_position: int,
        aggregate_types: Sequence[str],
        chunk: int,
        partition: Partition | None = None,
    ) -> Iterator[list[StoredRow]]:
        if self.store.dialect == "sqlite":
            yield from sqlite_rows(
                self.cursor.connection,
                self.sql.select_events,
                (after_position, until_position),
                aggregate_types,
                chunk,
                partition,
            )
            return
        if partition is not None:
            part, parts = partition
            for rows in self.iter_rows(after_position, until_position, aggregate_types, chunk):
                if mine := [r for r in rows if partition_of(r[1], parts) == part]:
                    yield mine
            return
        q = self.sql.placeholder
        types = ", ".join([q] * len(aggregate_types))
        by_position = (
            f"{self.sql.select_events} WHERE position > {q} AND position <= {q} "
            f"AND aggregate_type IN ({types}) ORDER BY position"
        )
        # servers: pages by position (a client-side cursor would hold every row at once)
        after = after_position
        while after < until_position:
            self.cursor.execute(
                f"{by_position} LIMIT {int(chunk)}", (after, until_position, *aggregate_types)
            )
            page: list[StoredRow] = self.cursor.fetchall()
            if page:
                yield page
            if len(page) < chunk:
                return
            after = int(page[-1][7] or until_position)

    def checkpoint(self, name: str) -> int:
        return int(self._one(self.sql.checkpoint, (name,)) or 0)

    def set_checkpoint(self, name: str, position: int) -> None:
        self.cursor.execute(self.sql.update_checkpoint, (position, name))
        if self.cursor.rowcount == 0:
            self.cursor.execute(self.sql.insert_checkpoint, (name, position))

    def move_checkpoint(self, name: str, expected: int, position: int) -> bool:
        self.cursor.execute(self.sql.move_checkpoint, (position, name, expected))
        return bool(self.cursor.rowcount == 1)

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        self.cursor.execute(self.sql.view(view)[0], (view_id,))
        row = self.cursor.fetchone()
        return None if row is None else ViewRow(view_id, int(row[0]), loads(row[1]))

    def save_view(self, view: str, row: ViewRow, expected_version: int) -> None:
        _, insert_row, update_row, _ = self.sql.view(view)
        payload = row.payload.text if isinstance(row.payload, EncodedJson) else dumps(row.payload)
        if expected_version == 0:
            try:
                self.cursor.execute(insert_row, (row.view_id, row.version, payload))
            except self.store.dbapi.IntegrityError:
                raise AggregateConflict(
                    f"view {view} {row.view_id!r} changed under the update"
                ) from None
            return
        self.cursor.execute(update_row, (row.version, payload, row.view_id, expected_version))
        if self.cursor.rowcount != 1:
            raise AggregateConflict(f"view {view} {row.view_id!r} changed under the update")

    def clear_view(self, view: str) -> None:
        self.cursor.execute(self.sql.view(view)[3])


class WriteScope:
    """``with store.transaction() as tx``: one write transaction, committed or rolled back.

    A class, not a generator: it wraps every command, and a generator-based
    context manager inside another would cost more than some of its statements.
    Driver errors become the framework's, as in ``SqlEventStore._driver``.
    """

    __slots__ = ("_cursor", "_raw", "_store")

    def __init__(self, store: SqlEventStore) -> None:
        self._store = store
        self._raw: Any = None
        self._cursor: Any = None

    def __enter__(self) -> SqlTransaction:
        store = self._store
        self._raw = raw = store._checkout()
        try:
            self._cursor = cursor = raw.cursor()
            if store.dialect == "sqlite":
                # take the write lock now: a reader upgraded later could deadlock
                cursor.execute("BEGIN IMMEDIATE")
            return SqlTransaction(store, cursor)
        except BaseException as e:
            self.__exit__(type(e), e, None)
            raise

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        store, raw, cursor = self._store, self._raw, self._cursor
        self._raw = self._cursor = None
        translated: AggregateError | None = None
        try:
            if error is None:
                try:
                    raw.commit()
                except BaseException as e:  # the commit failed: nothing of it stays
                    error = e
                    with suppress(Exception):
                        raw.rollback()
                    if not isinstance(e, store.dbapi.Error):
                        raise
            else:
                with suppress(Exception):
                    raw.rollback()
            if isinstance(error, store.dbapi.Error):
                # translated before the connection goes back: a dropped one is invalidated
                translated = store._driver_error(error, raw)
        finally:
            if cursor is not None:
                with suppress(Exception):
                    cursor.close()
            store._release(raw)
        if translated is not None:
            raise translated from (None if isinstance(translated, AggregateConflict) else error)


def plain_engine(url: URL) -> Engine:
    """An engine with tui-es's JSON handling and nothing else (for maintenance work)."""
    if url.get_backend_name() == "sqlite":
        return create_engine(url)
    return create_engine(url, json_serializer=dumps, json_deserializer=json.loads)


class StoreNeedsUpgrade(ValueError):
    """A cqrs-es database opened for writing: it lacks the columns tui-es writes."""


class SqlEventStore:
    """An event store in any database SQLAlchemy reaches; SQLite unless told otherwise.

    Opening creates the tables that are missing and never drops or rewrites data.
    A database created by cqrs-es (events without ``position``) opens read-only
    as it is (see :mod:`tui_es.store.legacy`); ``tui-es upgrade-store`` makes it
    writable by both.
    """

    def __init__(
        self,
        location: str | Path,
        *,
        read_only: bool = False,
        synchronous: str = "FULL",
        create: bool = True,
        busy_timeout: float | None = None,
    ) -> None:
        # how long a SQLite writer waits for another one before giving up (seconds)
        self.busy_timeout = (
            float(os.environ.get("TUI_ES_BUSY_TIMEOUT", "10"))
            if busy_timeout is None
            else busy_timeout
        )
        self.url = resolve_url(location)
        self.display_url = redact(self.url)
        self.read_only = read_only
        self.clock = utc_now
        self.dialect = self.url.get_backend_name()
        self._views = MetaData()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._kept: list[tuple[threading.Thread, Any]] = []
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        self.engine = self._make_engine(synchronous.upper())
        self.dbapi: Any = self.engine.dialect.loaded_dbapi
        self.sql = Statements(self.dialect)
        self.tables: set[str] = set(self._guard(lambda: inspect(self.engine).get_table_names()))
        self.legacy: LegacyLog | None = None
        if "events" in self.tables:
            columns = {
                c["name"] for c in self._guard(lambda: inspect(self.engine).get_columns("events"))
            }
            if "position" not in columns:
                if not read_only:
                    self.engine.dispose()
                    raise StoreNeedsUpgrade(
                        f"{self.display_url} is a cqrs-es database (its events have no position): "
                        "open it with --read-only to explore it as it is, or run "
                        "`tui-es upgrade-store` to let tui-es write to it too"
                    )
                self.legacy = LegacyLog()
        if create and not read_only:
            self._guard(self._create_schema)
            self.tables = set(self._guard(lambda: inspect(self.engine).get_table_names()))
        self.numbered_by_sqlite = self._position_is_rowid()
        self.snapshot_history = True
        if "snapshots" in self.tables:
            keys = self._guard(lambda: inspect(self.engine).get_pk_constraint("snapshots"))
            self.snapshot_history = "last_sequence" in keys.get("constrained_columns", [])

    def _create_schema(self) -> None:
        if self.dialect == "sqlite" and "events" not in self.tables:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(SQLITE_EVENTS)
        METADATA.create_all(self.engine)
        if self.dialect in ("sqlite", "postgresql") and "position" in self._event_columns():
            with self.engine.begin() as conn:
                conn.exec_driver_sql(TYPE_INDEX)
        with self.engine.connect() as conn, conn.begin():
            if conn.execute(select(func.count()).select_from(HEAD)).scalar_one() == 0:
                top = conn.execute(
                    select(func.coalesce(func.max(EVENTS.c.position), 0))
                ).scalar_one()
                conn.execute(insert(HEAD).values(id=1, position=int(top)))

    # -- connection ------------------------------------------------------------------
    def _make_engine(self, synchronous: str) -> Engine:
        if self.dialect != "sqlite":
            options: dict[str, Any] = {
                "pool_pre_ping": True,
                "json_serializer": dumps,
                "json_deserializer": json.loads,
            }
            if self.dialect in ("mysql", "mariadb"):
                # Each statement sees what is committed; the head lock does the rest.
                options["isolation_level"] = "READ COMMITTED"
            engine = create_engine(self.url, **options)
            if self.read_only and self.dialect == "postgresql":

                @event.listens_for(engine, "connect")
                def _read_only_pg(dbapi_connection: Any, _record: Any) -> None:
                    dbapi_connection.read_only = True

            if self.read_only and self.dialect in ("mysql", "mariadb"):

                @event.listens_for(engine, "connect")
                def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
                    with dbapi_connection.cursor() as cursor:
                        cursor.execute("SET SESSION TRANSACTION READ ONLY")

            return engine
        database = self.url.database or ""
        if database and database != ":memory:" and not self.read_only:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if self.read_only:
            uri = read_only_uri(database)
            engine = create_engine(
                "sqlite://", creator=lambda: _sqlite_connect(uri), poolclass=NullPool
            )
        else:
            engine = create_engine(
                self.url, poolclass=NullPool if database in ("", ":memory:") else None
            )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transactions into our own hands: pysqlite's implicit BEGIN
            # would start writers in DEFERRED mode and let them deadlock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            # A little more than SQLite's default 2 MB: replays jump between
            # pages. Each thread's connection has a cache of its own, all of it
            # the dashboard's resident memory (as a memory map's pages would be).
            cursor.execute("PRAGMA cache_size = -8192")  # KiB
            if not self.read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except SQLAlchemyError as e:
            raise _translate(e, self.url) from e

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as e:
            raise _translate(e, self.url) from e

    @contextmanager
    def _driver(self) -> Iterator[Any]:
        """A driver connection; driver errors become the framework's errors.

        On SQLite each thread keeps one connection open (a pool checkout costs
        more than a small query); servers use SQLAlchemy's pool, which also
        replaces connections the server dropped.
        """
        raw = self._checkout()
        try:
            yield raw
        except self.dbapi.Error as e:
            raise self._driver_error(e, raw) from (
                None if isinstance(e, self.dbapi.IntegrityError) else e
            )
        finally:
            self._release(raw)

    def _checkout(self) -> Any:
        raw = getattr(self._local, "raw", None) if self.dialect == "sqlite" else None
        if raw is None:
            try:
                raw = self.engine.raw_connection()
            except SQLAlchemyError as e:
                raise _translate(e, self.url) from e
        return raw

    def _release(self, raw: Any) -> None:
        if self.dialect != "sqlite":
            raw.close()
        elif getattr(self._local, "raw", None) is None:
            self._local.raw = raw
            self._keep(raw)

    def _driver_error(self, error: Any, raw: Any) -> AggregateError:
        """The framework's error for a driver's (a key taken: another writer was first)."""
        if isinstance(error, self.dbapi.IntegrityError):
            return AggregateConflict()
        if self.dialect != "sqlite" and self.engine.dialect.is_disconnect(
            error, raw.dbapi_connection, None
        ):
            # the server dropped it: the pool must not reset it (and log a traceback)
            raw.invalidate(error)
        return DatabaseConnectionError(scrub(f"{self.display_url}: {error}", self.url))

    def _keep(self, raw: Any) -> None:
        """Remember a thread's connection; close those of threads that have ended."""
        current = threading.current_thread()
        with self._lock:
            alive = [(t, r) for t, r in self._kept if t.is_alive()]
            dead = [r for t, r in self._kept if not t.is_alive()]
            self._kept = [*alive, (current, raw)]
        for old in dead:
            with suppress(Exception):
                old.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._driver() as raw:
            cursor = raw.cursor()
            cursor.execute(sql, params)
            rows: list[Any] = cursor.fetchall()
            cursor.close()
            return rows

    def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def transaction(self) -> WriteScope:
        if self.read_only:
            raise ReadOnlyError(f"{self.display_url} is open read-only")
        return WriteScope(self)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file of tui-es's own tables behind this store, if it is one.

        None for a server, a database in memory, or cqrs-es's single table: what
        another connection (a fold process, a page-by-page copy) could not open
        as tui-es's own.
        """
        database = self.url.database or ""
        if self.dialect != "sqlite" or database in ("", ":memory:") or self.legacy is not None:
            return None
        return Path(database).resolve()

    def partition_source(self) -> SqlitePartitionSource | None:
        """A SQLite file other processes can read during a fold (not in memory, not cqrs-es's)."""
        path = self.sqlite_file
        if path is None:
            return None
        return SqlitePartitionSource(
            str(path), self.sql.select_events, int(self.busy_timeout * 1000)
        )

    def close(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, []
        for _, raw in kept:
            with suppress(Exception):
                raw.close()
        self._local = threading.local()
        self.engine.dispose()

    # -- views --------------------------------------------------------------------------
    def view_table(self, name: str) -> Table:
        with self._lock:
            return view_table(name, self._views)

    def ensure_views(self, names: Iterable[str]) -> None:
        tables = [self.view_table(n) for n in names]
        if not self.read_only:
            self._guard(lambda: self._views.create_all(self.engine, tables=tables))
            self.tables.update(t.name for t in tables)

    def view_names(self) -> list[str]:
        return list(self._views.tables)

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        if not self.has_table(view):
            return None
        rows = self._rows(self.sql.view(view)[0], (view_id,))
        return ViewRow(view_id, int(rows[0][0]), loads(rows[0][1])) if rows else None

    def view_rows(self, view: str, offset: int = 0, limit: int | None = None) -> list[ViewRow]:
        if not self.has_table(view):
            return []  # a read-only database without this view's table
        table = self.view_table(view)
        query = select(table.c.view_id, table.c.version, table.c.payload).order_by(table.c.view_id)
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [ViewRow(r[0], int(r[1]), r[2]) for r in conn.execute(query)]

    def view_count(self, view: str) -> int:
        if not self.has_table(view):
            return 0
        table = self.view_table(view)
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # -- events ------------------------------------------------------------------------
    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        return int(self._value(self.sql.last_sequence, (aggregate_type, aggregate_id)) or 0)

    def load_events(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[SerializedEvent]:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.load_events(
                    conn, aggregate_type, aggregate_id, after_sequence, until_sequence
                )
        rows = self.load_rows(aggregate_type, aggregate_id, after_sequence, until_sequence)
        return [row_to_event(r) for r in rows]

    def load_rows(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[StoredRow]:
        if self.legacy is not None:
            events = self.load_events(aggregate_type, aggregate_id, after_sequence, until_sequence)
            return [event_to_row(e) for e in events]
        if until_sequence is None:
            return self._rows(self.sql.load_events, (aggregate_type, aggregate_id, after_sequence))
        return self._rows(
            self.sql.load_events_until,
            (aggregate_type, aggregate_id, after_sequence, until_sequence),
        )

    def read_rows(self, after_position: int, limit: int) -> list[StoredRow]:
        if self.legacy is not None:
            return [event_to_row(e) for e in self.read_events(after_position, limit)]
        return self._rows(self.sql.read_after, (after_position, limit))

    def load_snapshot(
        self, aggregate_type: str, aggregate_id: str, max_sequence: int | None = None
    ) -> SerializedSnapshot | None:
        """The latest snapshot, or the latest taken at or before ``max_sequence``."""
        if not self.has_table("snapshots"):
            return None  # cqrs-es creates it only for snapshot and aggregate stores
        if max_sequence is None:
            rows = self._rows(self.sql.latest_snapshot, (aggregate_type, aggregate_id))
        else:
            rows = self._rows(
                self.sql.snapshot_at_most, (aggregate_type, aggregate_id, max_sequence)
            )
        if not rows:
            return None
        payload, last_sequence, taken = rows[0]
        try:
            decoded = loads(payload)
        except ValueError:
            decoded = None  # unreadable JSON: the framework ignores it and replays
        return SerializedSnapshot(
            aggregate_type,
            aggregate_id,
            decoded if isinstance(decoded, dict) else {},
            int(last_sequence),
            int(taken),
        )

    def _where(self, f: EventFilter) -> tuple[list[str], list[Any]]:
        q = self.sql.placeholder
        clauses: list[str] = []
        params: list[Any] = []
        # SQLite would answer "this aggregate type" through the (type, id, sequence)
        # key and sort a million rows; a unary + makes it walk the log in order.
        type_column = (
            "+aggregate_type"
            if self.dialect == "sqlite" and f.aggregate_type and not f.aggregate_id
            else "aggregate_type"
        )
        for column, value in (
            (type_column, f.aggregate_type),
            ("aggregate_id", f.aggregate_id),
            ("event_type", f.event_type),
        ):
            if value:
                clauses.append(f"{column} = {q}")
                params.append(value)
        if f.text:
            escaped = f.text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            clauses.append(f"{self.sql.payload_text()} LIKE {q} ESCAPE '!'")
            params.append(f"%{escaped}%")
        return clauses, params

    def read_events(
        self,
        after_position: int = 0,
        limit: int | None = None,
        filter: EventFilter = NO_FILTER,
        *,
        before_position: int | None = None,
        descending: bool = False,
    ) -> list[SerializedEvent]:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.read_events(
                    conn, after_position, limit, filter, before_position, descending
                )
        if filter.empty and before_position is None and not descending and limit is not None:
            return [row_to_event(r) for r in self.read_rows(after_position, limit)]
        q = self.sql.placeholder
        clauses, params = self._where(filter)
        clauses.insert(0, f"position > {q}")
        params.insert(0, after_position)
        if before_position is not None:
            clauses.append(f"position < {q}")
            params.append(before_position)
        sql = f"{self.sql.select_events} WHERE {' AND '.join(clauses)} ORDER BY position"
        if descending:
            sql += " DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row_to_event(r) for r in self._rows(sql, params)]

    def read_positions(
        self,
        filter: EventFilter = NO_FILTER,
        *,
        after_position: int = 0,
        until_position: int | None = None,
        limit: int | None = None,
    ) -> list[int]:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.read_positions(
                    conn, filter, after_position, until_position, limit
                )
        q = self.sql.placeholder
        clauses, params = self._where(filter)
        clauses.insert(0, f"position > {q}")
        params.insert(0, after_position)
        if until_position is not None:
            clauses.append(f"position <= {q}")
            params.append(until_position)
        sql = f"SELECT position FROM events WHERE {' AND '.join(clauses)} ORDER BY position"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [int(r[0]) for r in self._rows(sql, params)]

    def count_events(self, filter: EventFilter = NO_FILTER) -> int:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.count_events(conn, filter)
        clauses, params = self._where(filter)
        sql = "SELECT COUNT(*) FROM events"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return int(self._value(sql, params) or 0)

    def head_position(self) -> int:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.refresh(conn)
        return int(self._value(self.sql.max_position) or 0)

    def snapshots(self) -> list[SerializedSnapshot]:
        if not self.has_table("snapshots"):
            return []
        rows = self._rows(
            "SELECT aggregate_type, aggregate_id, payload, last_sequence, current_snapshot "
            "FROM snapshots ORDER BY aggregate_type, aggregate_id, last_sequence"
        )
        out = []
        for t, i, payload, last, taken in rows:
            decoded = loads(payload)
            out.append(
                SerializedSnapshot(
                    t, i, decoded if isinstance(decoded, dict) else {}, int(last), int(taken)
                )
            )
        return out

    def checkpoints(self) -> dict[str, int]:
        if not self.has_table("projection_checkpoints"):
            return {}
        return {r[0]: int(r[1]) for r in self._rows(self.sql.checkpoints)}

    def aggregate_ids(self, aggregate_type: str, prefix: str = "", limit: int = 50) -> list[str]:
        query = select(EVENTS.c.aggregate_id).where(
            EVENTS.c.aggregate_type == aggregate_type, EVENTS.c.sequence == 1
        )
        if prefix:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(EVENTS.c.aggregate_id.like(f"{escaped}%", escape="\\"))
        with self._read() as conn:
            return [r[0] for r in conn.execute(query.order_by(EVENTS.c.aggregate_id).limit(limit))]

    def sequence_at_time(self, aggregate_type: str, aggregate_id: str, at: str) -> int:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.sequence_at_time(conn, aggregate_type, aggregate_id, at)
        query = select(func.max(EVENTS.c.sequence)).where(
            EVENTS.c.aggregate_type == aggregate_type,
            EVENTS.c.aggregate_id == aggregate_id,
            EVENTS.c.recorded_at <= at,
        )
        with self._read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def table_names(self) -> list[str]:
        names: list[str] = self._guard(lambda: inspect(self.engine).get_table_names())
        return names

    def _position_is_rowid(self) -> bool:
        """SQLite's events as tui-es creates them: ``position INTEGER PRIMARY KEY``.

        A cqrs-es table upgraded in place has a position column of its own, numbered by the
        upgrade's trigger instead.
        """
        if self.dialect != "sqlite" or "events" not in self.tables:
            return False
        columns = self._rows("PRAGMA table_info(events)")  # (cid, name, type, notnull, default, pk)
        keys = [(c[1], str(c[2]).upper()) for c in columns if c[5]]
        return keys == [("position", "INTEGER")]

    def _event_columns(self) -> set[str]:
        return {c["name"] for c in inspect(self.engine).get_columns("events")}

    def has_table(self, name: str) -> bool:
        """Whether the table exists; another program may have created it since we opened."""
        if name not in self.tables:
            self.tables = set(self._guard(lambda: inspect(self.engine).get_table_names()))
        return name in self.tables


def _sqlite_connect(uri: str, uri_flag: bool = True, **_: Any) -> Any:
    import sqlite3

    return sqlite3.connect(uri, uri=uri_flag, check_same_thread=False)
