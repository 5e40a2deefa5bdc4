"""Plain ``sqlite3`` on a table shaped like tui-es's ``events``: what SQLite itself allows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tui_es.es.envelope import SerializedEvent
from tui_es.store.sql import SQLITE_EVENTS, TYPE_INDEX

# tui-es's own SQLite DDL, imported so that the two cannot drift apart: the
# position as the rowid, cqrs-es's key as a unique constraint, and the
# event-type index. ``minimal=True`` leaves the index out (the table of
# ../shared/reference/bench/bench_sqlite_raw.py: a rowid and the unique key).
EVENTS_DDL = SQLITE_EVENTS
TYPE_INDEX_DDL = TYPE_INDEX
INSERT = (
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,"
    " payload, metadata, position, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_COLUMNS = (
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,"
    " position, recorded_at"
)

Row = tuple[str, str, int, str, str, str, str, int, str | None]


def dumps(value: Any) -> str:
    """Compact JSON, as tui-es stores it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def connect(path: Path, synchronous: str = "FULL", *, minimal: bool = False) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit), WAL, the given synchronous level."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone() is None:
        conn.execute(EVENTS_DDL)
    if not minimal:
        conn.execute(TYPE_INDEX_DDL)
    return conn


def pragmas(conn: sqlite3.Connection) -> dict[str, Any]:
    return {
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        "page_size": conn.execute("PRAGMA page_size").fetchone()[0],
    }


def to_row(event: SerializedEvent, position: int) -> Row:
    return (
        event.aggregate_type,
        event.aggregate_id,
        event.sequence,
        event.event_type,
        event.event_version,
        dumps(event.payload),
        dumps(event.metadata),
        position,
        event.recorded_at,
    )


def to_rows(events: Iterable[SerializedEvent], first_position: int = 1) -> list[Row]:
    return [to_row(e, p) for p, e in enumerate(events, start=first_position)]


def insert_one_transaction(conn: sqlite3.Connection, rows: list[Row]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(INSERT, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def insert_row_per_transaction(conn: sqlite3.Connection, rows: list[Row]) -> None:
    execute = conn.execute
    for row in rows:
        execute("BEGIN IMMEDIATE")
        execute(INSERT, row)
        execute("COMMIT")


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def load_decoded(
    conn: sqlite3.Connection, aggregate_type: str, aggregate_id: str, until: int | None = None
) -> list[tuple[Any, Any]]:
    """One aggregate's rows in order, payload and metadata parsed."""
    query = f"SELECT {SELECT_COLUMNS} FROM events WHERE aggregate_type = ? AND aggregate_id = ?"
    params: tuple[Any, ...] = (aggregate_type, aggregate_id)
    if until is not None:
        query += " AND sequence <= ?"
        params += (until,)
    loads = json.loads
    rows = conn.execute(query + " ORDER BY sequence", params)
    return [(loads(r[5]), loads(r[6])) for r in rows]


def read_log_decoded(conn: sqlite3.Connection, page: int = 10_000) -> int:
    """Every row in position order, a page at a time, payload and metadata parsed."""
    loads = json.loads
    query = f"SELECT {SELECT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
    after = 0
    seen = 0
    while True:
        rows = conn.execute(query, (after, page)).fetchall()
        for r in rows:
            loads(r[5])
            loads(r[6])
        seen += len(rows)
        if len(rows) < page:
            return seen
        after = rows[-1][7]
