"""The event store on SQLModel / SQLAlchemy (SQLite by default).

Reads and writes go through SQLAlchemy Core on the tables of
:mod:`tui_es.store.schema`: one statement per step, no ORM identity map, so a
command costs a handful of statements and a bulk import one ``executemany``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    Text,
    and_,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from tui_es.es.envelope import SerializedEvent
from tui_es.es.errors import (
    AggregateConflict,
    AggregateError,
    DatabaseConnectionError,
    ReadOnlyError,
    UnexpectedError,
)
from tui_es.es.framework import utc_now
from tui_es.es.snapshots import SerializedSnapshot
from tui_es.es.store import NO_FILTER, EventFilter, ViewRow
from tui_es.store.legacy import LegacyLog
from tui_es.store.schema import CHECKPOINTS, EVENTS, HEAD, METADATA, SNAPSHOTS, view_table
from tui_es.store.types import dumps
from tui_es.store.url import redact, resolve_url

_COLUMNS = (
    EVENTS.c.aggregate_type,
    EVENTS.c.aggregate_id,
    EVENTS.c.sequence,
    EVENTS.c.event_type,
    EVENTS.c.event_version,
    EVENTS.c.payload,
    EVENTS.c.metadata,
    EVENTS.c.position,
    EVENTS.c.recorded_at,
)
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
NOTIFY_CHANNEL = "tui_es_events"


def _row_to_event(row: Any) -> SerializedEvent:
    return SerializedEvent(
        aggregate_type=row[0],
        aggregate_id=row[1],
        sequence=row[2],
        event_type=row[3],
        event_version=row[4],
        payload=row[5],
        metadata=row[6],
        position=row[7],
        recorded_at=row[8],
    )


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
    def __init__(self, store: SqlEventStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self._head = self._lock_head()

    def _lock_head(self) -> int:
        """Take the log's write lock (the events_head row) for the whole transaction.

        Holding it serializes every writer: positions are given in commit order
        and checkpoints are read and moved by one transaction at a time. The
        events' own maximum guards against a head row left behind by a writer
        that did not move it.
        """
        locked = self.conn.execute(
            select(HEAD.c.position).where(HEAD.c.id == 1).with_for_update()
        ).scalar()
        if locked is None:
            self.conn.execute(insert(HEAD).values(id=1, position=0))
            locked = 0
        return max(int(locked), self.head_position())

    def append(self, events: Sequence[SerializedEvent]) -> list[SerializedEvent]:
        if not events:
            return []
        head = self._head
        now = self.store.clock()
        committed = [
            replace(e, position=head + i, recorded_at=e.recorded_at or now)
            for i, e in enumerate(events, start=1)
        ]
        rows = [
            {
                "aggregate_type": e.aggregate_type,
                "aggregate_id": e.aggregate_id,
                "sequence": e.sequence,
                "event_type": e.event_type,
                "event_version": e.event_version,
                "payload": e.payload,
                "metadata": e.metadata,
                "position": e.position,
                "recorded_at": e.recorded_at,
            }
            for e in committed
        ]
        try:
            self.conn.execute(insert(EVENTS), rows)
        except IntegrityError:
            raise AggregateConflict() from None
        self._head = head + len(committed)
        self.conn.execute(update(HEAD).where(HEAD.c.id == 1).values(position=self._head))
        if self.store.dialect == "postgresql":
            # delivered when (and only if) the transaction commits
            self.conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, str(self._head))))
        return committed

    def head_position(self) -> int:
        return int(
            self.conn.execute(select(func.coalesce(func.max(EVENTS.c.position), 0))).scalar_one()
        )

    def save_snapshot(self, snapshot: SerializedSnapshot) -> None:
        where = and_(
            SNAPSHOTS.c.aggregate_type == snapshot.aggregate_type,
            SNAPSHOTS.c.aggregate_id == snapshot.aggregate_id,
        )
        values = {
            "last_sequence": snapshot.last_sequence,
            "current_snapshot": snapshot.current_snapshot,
            "payload": snapshot.payload,
        }
        if snapshot.current_snapshot == 1:
            exists = self.conn.execute(
                select(func.count()).select_from(SNAPSHOTS).where(where)
            ).scalar_one()
            if exists:
                raise AggregateConflict()
            self.conn.execute(
                insert(SNAPSHOTS).values(
                    aggregate_type=snapshot.aggregate_type,
                    aggregate_id=snapshot.aggregate_id,
                    **values,
                )
            )
            return
        result = self.conn.execute(
            update(SNAPSHOTS)
            .where(where, SNAPSHOTS.c.current_snapshot == snapshot.current_snapshot - 1)
            .values(**values)
        )
        if result.rowcount != 1:
            raise AggregateConflict()

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        return self.store._last_sequence(self.conn, aggregate_type, aggregate_id)

    def read_range(
        self, after_position: int, until_position: int | None, limit: int
    ) -> list[SerializedEvent]:
        query = select(*_COLUMNS).where(EVENTS.c.position > after_position)
        if until_position is not None:
            query = query.where(EVENTS.c.position <= until_position)
        rows = self.conn.execute(query.order_by(EVENTS.c.position).limit(limit))
        return [_row_to_event(r) for r in rows]

    def checkpoint(self, name: str) -> int:
        value = self.conn.execute(
            select(CHECKPOINTS.c.position).where(CHECKPOINTS.c.name == name)
        ).scalar()
        return int(value or 0)

    def set_checkpoint(self, name: str, position: int) -> None:
        result = self.conn.execute(
            update(CHECKPOINTS).where(CHECKPOINTS.c.name == name).values(position=position)
        )
        if result.rowcount == 0:
            self.conn.execute(insert(CHECKPOINTS).values(name=name, position=position))

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        return self.store._load_view(self.conn, view, view_id)

    def save_view(self, view: str, row: ViewRow, expected_version: int) -> None:
        table = self.store.view_table(view)
        payload = row.payload
        if expected_version == 0:
            try:
                self.conn.execute(
                    insert(table).values(view_id=row.view_id, version=row.version, payload=payload)
                )
            except IntegrityError:
                raise AggregateConflict(
                    f"view {view} {row.view_id!r} changed under the update"
                ) from None
            return
        result = self.conn.execute(
            update(table)
            .where(table.c.view_id == row.view_id, table.c.version == expected_version)
            .values(version=row.version, payload=payload)
        )
        if result.rowcount != 1:
            raise AggregateConflict(f"view {view} {row.view_id!r} changed under the update")

    def clear_view(self, view: str) -> None:
        self.conn.execute(delete(self.store.view_table(view)))


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
    ) -> None:
        self.url = resolve_url(location)
        self.display_url = redact(self.url)
        self.read_only = read_only
        self.clock = utc_now
        self.dialect = self.url.get_backend_name()
        self._views = MetaData()
        self._lock = threading.Lock()
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        self.engine = self._make_engine(synchronous.upper())
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

    def _create_schema(self) -> None:
        METADATA.create_all(self.engine)
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
            if self.read_only and self.dialect == "postgresql":
                options["execution_options"] = {"postgresql_readonly": True}
            engine = create_engine(self.url, **options)
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
            uri = f"file:{Path(database).resolve()}?mode=ro"
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
            cursor.execute("PRAGMA busy_timeout = 10000")
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
    def transaction(self) -> Iterator[SqlTransaction]:
        if self.read_only:
            raise ReadOnlyError(f"{self.display_url} is open read-only")
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield SqlTransaction(self, conn)
        except AggregateError:
            raise
        except SQLAlchemyError as e:
            raise _translate(e, self.url) from e

    def close(self) -> None:
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

    def _load_view(self, conn: Connection, view: str, view_id: str) -> ViewRow | None:
        table = self.view_table(view)
        row = conn.execute(
            select(table.c.version, table.c.payload).where(table.c.view_id == view_id)
        ).first()
        return None if row is None else ViewRow(view_id, int(row[0]), row[1])

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        if view not in self.tables:
            return None
        with self._read() as conn:
            return self._load_view(conn, view, view_id)

    def view_rows(self, view: str, offset: int = 0, limit: int | None = None) -> list[ViewRow]:
        if view not in self.tables:
            return []  # a read-only database without this view's table
        table = self.view_table(view)
        query = select(table.c.view_id, table.c.version, table.c.payload).order_by(table.c.view_id)
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [ViewRow(r[0], int(r[1]), r[2]) for r in conn.execute(query)]

    def view_count(self, view: str) -> int:
        if view not in self.tables:
            return 0
        table = self.view_table(view)
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # -- events ------------------------------------------------------------------------
    def _last_sequence(self, conn: Connection, aggregate_type: str, aggregate_id: str) -> int:
        value = conn.execute(
            select(func.max(EVENTS.c.sequence)).where(
                EVENTS.c.aggregate_type == aggregate_type, EVENTS.c.aggregate_id == aggregate_id
            )
        ).scalar()
        return int(value or 0)

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        with self._read() as conn:
            return self._last_sequence(conn, aggregate_type, aggregate_id)

    def load_events(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[SerializedEvent]:
        with self._read() as conn:
            if self.legacy is not None:
                return self.legacy.load_events(
                    conn, aggregate_type, aggregate_id, after_sequence, until_sequence
                )
            query = select(*_COLUMNS).where(
                EVENTS.c.aggregate_type == aggregate_type,
                EVENTS.c.aggregate_id == aggregate_id,
                EVENTS.c.sequence > after_sequence,
            )
            if until_sequence is not None:
                query = query.where(EVENTS.c.sequence <= until_sequence)
            return [_row_to_event(r) for r in conn.execute(query.order_by(EVENTS.c.sequence))]

    def load_snapshot(self, aggregate_type: str, aggregate_id: str) -> SerializedSnapshot | None:
        if "snapshots" not in self.tables:
            return None  # cqrs-es creates it only for snapshot and aggregate stores
        query = (
            select(SNAPSHOTS.c.payload, SNAPSHOTS.c.last_sequence, SNAPSHOTS.c.current_snapshot)
            .where(
                SNAPSHOTS.c.aggregate_type == aggregate_type,
                SNAPSHOTS.c.aggregate_id == aggregate_id,
            )
            .order_by(SNAPSHOTS.c.last_sequence.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        payload = row[0] if isinstance(row[0], dict) else {}
        return SerializedSnapshot(aggregate_type, aggregate_id, payload, int(row[1]), int(row[2]))

    def _filtered(self, query: Any, f: EventFilter) -> Any:
        if f.aggregate_type:
            query = query.where(EVENTS.c.aggregate_type == f.aggregate_type)
        if f.aggregate_id:
            query = query.where(EVENTS.c.aggregate_id == f.aggregate_id)
        if f.event_type:
            query = query.where(EVENTS.c.event_type == f.event_type)
        if f.text:
            escaped = f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(cast(EVENTS.c.payload, Text).like(f"%{escaped}%", escape="\\"))
        return query

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
        query = select(*_COLUMNS).where(EVENTS.c.position > after_position)
        if before_position is not None:
            query = query.where(EVENTS.c.position < before_position)
        query = self._filtered(query, filter)
        query = query.order_by(EVENTS.c.position.desc() if descending else EVENTS.c.position)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [_row_to_event(r) for r in conn.execute(query)]

    def count_events(self, filter: EventFilter = NO_FILTER) -> int:
        if self.legacy is not None:
            with self._read() as conn:
                return self.legacy.count_events(conn, filter)
        query = self._filtered(select(func.count()).select_from(EVENTS), filter)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def head_position(self) -> int:
        with self._read() as conn:
            if self.legacy is not None:
                return self.legacy.refresh(conn)
            return int(
                conn.execute(select(func.coalesce(func.max(EVENTS.c.position), 0))).scalar_one()
            )

    def checkpoints(self) -> dict[str, int]:
        if "projection_checkpoints" not in self.tables:
            return {}
        with self._read() as conn:
            return {
                r[0]: int(r[1])
                for r in conn.execute(select(CHECKPOINTS.c.name, CHECKPOINTS.c.position))
            }

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

    def has_view_table(self, name: str) -> bool:
        return name in self.tables


def _sqlite_connect(uri: str, uri_flag: bool = True, **_: Any) -> Any:
    import sqlite3

    return sqlite3.connect(uri, uri=uri_flag, check_same_thread=False)
