"""Reading a cqrs-es database as it is: events without ``position`` or ``recorded_at``.

cqrs-es keeps no global order, so tui-es derives one, in memory, when it opens
such a database read-only:

1. by the ``time`` entry of each event's metadata (cqrs-demo writes the commit
   time there), normalised to UTC; within one aggregate the running maximum is
   used, so an aggregate's events always keep their sequence order even if the
   clocks of two servers disagreed;
2. then by aggregate type, aggregate id and sequence, which also orders events
   without a time (they come first).

The same rows always give the same order; events committed later normally sort
after every earlier one, so the derived positions of existing events only move
if a writer's clock was behind. ``recorded_at`` is the normalised metadata time.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Text, cast, func, select, tuple_

from tui_es.es.envelope import SerializedEvent
from tui_es.es.framework import parse_time
from tui_es.es.store import NO_FILTER, EventFilter
from tui_es.store.schema import EVENTS

Key = tuple[str, str, int]

SEVEN_COLUMNS = (
    EVENTS.c.aggregate_type,
    EVENTS.c.aggregate_id,
    EVENTS.c.sequence,
    EVENTS.c.event_type,
    EVENTS.c.event_version,
    EVENTS.c.payload,
    EVENTS.c.metadata,
)
_CHUNK = 400


def _time_of(metadata: Any) -> str:
    if isinstance(metadata, dict) and isinstance(metadata.get("time"), str):
        try:
            return parse_time(metadata["time"])
        except ValueError:
            return ""
    return ""


def derive_order(rows: Iterable[tuple[str, str, int, Any]]) -> list[tuple[Key, str]]:
    """The documented global order of (aggregate_type, aggregate_id, sequence, metadata) rows.

    Returns each key with its normalised time, in order.
    """
    streams: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for aggregate_type, aggregate_id, sequence, metadata in rows:
        streams.setdefault((aggregate_type, aggregate_id), []).append(
            (int(sequence), _time_of(metadata))
        )
    keyed: list[tuple[str, str, str, int, str]] = []
    for (aggregate_type, aggregate_id), events in streams.items():
        events.sort()
        running = ""
        for sequence, time in events:
            running = max(running, time)
            keyed.append((running, aggregate_type, aggregate_id, sequence, time))
    keyed.sort()
    return [((t, i, s), time) for _, t, i, s, time in keyed]


class LegacyLog:
    """The derived order of a cqrs-es events table, refreshed when the row count changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[Key] = []
        self._times: list[str] = []
        self._position: dict[Key, int] = {}

    def refresh(self, conn: Connection) -> int:
        count = int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())
        with self._lock:
            if count != len(self._keys):
                rows = conn.execute(
                    select(
                        EVENTS.c.aggregate_type,
                        EVENTS.c.aggregate_id,
                        EVENTS.c.sequence,
                        EVENTS.c.metadata,
                    )
                )
                ordered = derive_order((r[0], r[1], r[2], r[3]) for r in rows)
                self._keys = [k for k, _ in ordered]
                self._times = [t for _, t in ordered]
                self._position = {k: i for i, k in enumerate(self._keys, start=1)}
            return len(self._keys)

    def position(self, key: Key) -> int | None:
        return self._position.get(key)

    def time_at(self, position: int) -> str | None:
        return self._times[position - 1] or None

    def _rows(self, conn: Connection, positions: Sequence[int]) -> list[SerializedEvent]:
        keys = [self._keys[p - 1] for p in positions]
        found: dict[Key, Any] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            query = select(*SEVEN_COLUMNS).where(
                tuple_(EVENTS.c.aggregate_type, EVENTS.c.aggregate_id, EVENTS.c.sequence).in_(chunk)
            )
            for row in conn.execute(query):
                found[(row[0], row[1], int(row[2]))] = row
        return [
            self._event(found[k], p) for k, p in zip(keys, positions, strict=True) if k in found
        ]

    def _event(self, row: Any, position: int) -> SerializedEvent:
        return SerializedEvent(
            aggregate_type=row[0],
            aggregate_id=row[1],
            sequence=int(row[2]),
            event_type=row[3],
            event_version=row[4],
            payload=row[5],
            metadata=row[6],
            position=position,
            recorded_at=self.time_at(position),
        )

    def _matching_positions(self, conn: Connection, f: EventFilter) -> list[int]:
        query = select(EVENTS.c.aggregate_type, EVENTS.c.aggregate_id, EVENTS.c.sequence)
        if f.aggregate_type:
            query = query.where(EVENTS.c.aggregate_type == f.aggregate_type)
        if f.aggregate_id:
            query = query.where(EVENTS.c.aggregate_id == f.aggregate_id)
        if f.event_type:
            query = query.where(EVENTS.c.event_type == f.event_type)
        if f.text:
            escaped = f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(cast(EVENTS.c.payload, Text).like(f"%{escaped}%", escape="\\"))
        found = (self._position.get((r[0], r[1], int(r[2]))) for r in conn.execute(query))
        return sorted(p for p in found if p is not None)

    def read_events(
        self,
        conn: Connection,
        after_position: int,
        limit: int | None,
        f: EventFilter = NO_FILTER,
        before_position: int | None = None,
        descending: bool = False,
    ) -> list[SerializedEvent]:
        head = self.refresh(conn)
        low = max(after_position + 1, 1)
        high = head if before_position is None else min(head, before_position - 1)
        if f.empty:
            positions: Sequence[int] = range(low, high + 1)
        else:
            positions = [p for p in self._matching_positions(conn, f) if low <= p <= high]
        if descending:
            positions = positions[::-1]
        if limit is not None:
            positions = positions[:limit]
        return self._rows(conn, list(positions))

    def read_positions(
        self,
        conn: Connection,
        f: EventFilter,
        after_position: int,
        until_position: int | None,
        limit: int | None,
    ) -> list[int]:
        head = self.refresh(conn)
        high = head if until_position is None else min(head, until_position)
        if f.empty:
            found: list[int] = list(range(after_position + 1, high + 1))
        else:
            found = [p for p in self._matching_positions(conn, f) if after_position < p <= high]
        return found if limit is None else found[:limit]

    def count_events(self, conn: Connection, f: EventFilter = NO_FILTER) -> int:
        head = self.refresh(conn)
        return head if f.empty else len(self._matching_positions(conn, f))

    def load_events(
        self,
        conn: Connection,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int,
        until_sequence: int | None,
    ) -> list[SerializedEvent]:
        self.refresh(conn)
        query = select(*SEVEN_COLUMNS).where(
            EVENTS.c.aggregate_type == aggregate_type,
            EVENTS.c.aggregate_id == aggregate_id,
            EVENTS.c.sequence > after_sequence,
        )
        if until_sequence is not None:
            query = query.where(EVENTS.c.sequence <= until_sequence)
        out = []
        for row in conn.execute(query.order_by(EVENTS.c.sequence)):
            position = self._position.get((row[0], row[1], int(row[2])), 0)
            out.append(self._event(row, position))
        return out

    def sequence_at_time(
        self, conn: Connection, aggregate_type: str, aggregate_id: str, at: str
    ) -> int:
        events = self.load_events(conn, aggregate_type, aggregate_id, 0, None)
        running, times = "", []
        for event in events:
            running = max(running, event.recorded_at or "")
            times.append(running)
        return bisect_right(times, at)
