"""Reading a SQLite store from another process, for a fold split by aggregate.

A rebuild of a view can fold one partition of the aggregates in each of
several processes (see :mod:`tui_es.es.parallel`). Each opens its own
read-only connection: SQLite connections must not cross a process boundary,
and the writer (the parent) keeps its transaction to itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tui_es.es.envelope import StoredRow
from tui_es.es.store import Partition, ViewRow
from tui_es.es.views import check_identifier
from tui_es.store.jsontext import dumps, loads
from tui_es.store.sqlite_uri import read_only_uri

# tui_es.es.store.partition_of in SQL: the id's length plus its last character's code point
SQLITE_PARTITION = "(length(aggregate_id) + coalesce(unicode(substr(aggregate_id, -1)), 0)) % ? = ?"


def sqlite_rows(
    conn: sqlite3.Connection,
    select_events: str,
    positions: tuple[int, int],
    aggregate_types: Sequence[str],
    chunk: int,
    partition: Partition | None = None,
) -> Iterator[list[StoredRow]]:
    """The rows of these aggregate types (and partition) in ``(after, until]``, in log order.

    One query streamed through its own cursor, a chunk at a time: the log is
    stored in position order. "+" keeps SQLite on the position range; it would
    pick the (type, id, sequence) key for the type and sort the whole range.
    """
    clauses = [
        "position > ?",
        "position <= ?",
        f"+aggregate_type IN ({', '.join('?' * len(aggregate_types))})",
    ]
    params: tuple[Any, ...] = (*positions, *aggregate_types)
    if partition is not None:
        clauses.append(SQLITE_PARTITION)
        params = (*params, partition[1], partition[0])
    cursor = conn.cursor()
    try:
        cursor.execute(f"{select_events} WHERE {' AND '.join(clauses)} ORDER BY position", params)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


@dataclass(frozen=True)
class SqlitePartitionSource:
    """Where the database is and how to read its events; sent to the other processes."""

    path: str
    select_events: str
    busy_timeout_ms: int

    def open(self) -> SqlitePartitionReader:
        return SqlitePartitionReader(self)


class SqlitePartitionReader:
    def __init__(self, source: SqlitePartitionSource) -> None:
        self.source = source
        self.conn = sqlite3.connect(
            read_only_uri(source.path), uri=True, isolation_level=None, check_same_thread=False
        )
        self.conn.execute(f"PRAGMA busy_timeout = {int(source.busy_timeout_ms)}")

    def iter_rows(
        self,
        after_position: int,
        until_position: int,
        aggregate_types: Sequence[str],
        chunk: int,
        partition: Partition,
    ) -> Iterator[list[StoredRow]]:
        yield from sqlite_rows(
            self.conn,
            self.source.select_events,
            (after_position, until_position),
            aggregate_types,
            chunk,
            partition,
        )

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        row = self.conn.execute(
            f"SELECT version, payload FROM {check_identifier(view)} WHERE view_id = ?", (view_id,)
        ).fetchone()
        return None if row is None else ViewRow(view_id, int(row[0]), loads(row[1]))

    def encode(self, payload: Any) -> str:
        return dumps(payload)

    def close(self) -> None:
        self.conn.close()
