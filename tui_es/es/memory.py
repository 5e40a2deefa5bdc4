"""An event store in memory, for tests and scratch work.

Unlike cqrs-es's MemStore it enforces optimistic concurrency: of two writers
that loaded the same version, the second to commit gets ``AggregateConflict``.
A transaction works on a copy and swaps it in on success, so a failure leaves
the store as it was.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from pydantic_core import to_jsonable_python

from tui_es.es.envelope import SerializedEvent, StoredRow, event_to_row
from tui_es.es.errors import AggregateConflict, ReadOnlyError
from tui_es.es.framework import utc_now
from tui_es.es.snapshots import SerializedSnapshot
from tui_es.es.store import (
    NO_FILTER,
    EncodedJson,
    EventFilter,
    Partition,
    PartitionSource,
    ViewRow,
    partition_of,
)


@dataclass
class _State:
    log: list[SerializedEvent] = field(default_factory=list)
    streams: dict[tuple[str, str], list[SerializedEvent]] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], list[SerializedSnapshot]] = field(default_factory=dict)
    views: dict[str, dict[str, ViewRow]] = field(default_factory=dict)
    checkpoints: dict[str, int] = field(default_factory=dict)

    def fork(self) -> _State:
        # Events are immutable and only ever appended, so lists are copied shallowly.
        return _State(
            list(self.log),
            {k: list(v) for k, v in self.streams.items()},
            {k: list(v) for k, v in self.snapshots.items()},
            {k: dict(v) for k, v in self.views.items()},
            dict(self.checkpoints),
        )


def _matches(event: SerializedEvent, f: EventFilter) -> bool:
    if f.aggregate_type and event.aggregate_type != f.aggregate_type:
        return False
    if f.aggregate_id and event.aggregate_id != f.aggregate_id:
        return False
    if f.event_type and event.event_type != f.event_type:
        return False
    return not f.text or f.text in json.dumps(event.payload)


class _Transaction:
    def __init__(self, state: _State, clock: Iterator[str] | None) -> None:
        self.state = state
        self._clock = clock

    def append(self, events: Sequence[SerializedEvent]) -> list[SerializedEvent]:
        committed = []
        for event in events:
            key = (event.aggregate_type, event.aggregate_id)
            stream = self.state.streams.setdefault(key, [])
            last = stream[-1].sequence if stream else 0
            if event.sequence <= last:
                raise AggregateConflict()
            if event.sequence != last + 1:
                # streams are indexed by sequence, so a gap would corrupt every later read
                raise ValueError(
                    f"{event.aggregate_type} {event.aggregate_id!r}: sequence {event.sequence} "
                    f"does not follow {last}"
                )
            position = len(self.state.log) + 1
            recorded = event.recorded_at or (next(self._clock) if self._clock else utc_now())
            row = replace(event, position=position, recorded_at=recorded)
            stream.append(row)
            self.state.log.append(row)
            committed.append(row)
        return committed

    def save_snapshot(self, snapshot: SerializedSnapshot) -> None:
        key = (snapshot.aggregate_type, snapshot.aggregate_id)
        taken = self.state.snapshots.setdefault(key, [])
        if snapshot.current_snapshot != len(taken) + 1:
            raise AggregateConflict()
        taken.append(snapshot)

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        stream = self.state.streams.get((aggregate_type, aggregate_id))
        return stream[-1].sequence if stream else 0

    def read_range(
        self, after_position: int, until_position: int | None, limit: int
    ) -> list[SerializedEvent]:
        end = (
            len(self.state.log)
            if until_position is None
            else min(until_position, len(self.state.log))
        )
        return self.state.log[after_position : min(end, after_position + limit)]

    def iter_rows(
        self,
        after_position: int,
        until_position: int,
        aggregate_types: Sequence[str],
        chunk: int,
        partition: Partition | None = None,
    ) -> Iterator[list[StoredRow]]:
        chosen = [
            e
            for e in self.state.log[after_position:until_position]
            if e.aggregate_type in aggregate_types
            and (partition is None or partition_of(e.aggregate_id, partition[1]) == partition[0])
        ]
        for start in range(0, len(chosen), chunk):
            yield [event_to_row(e) for e in chosen[start : start + chunk]]

    def head_position(self) -> int:
        return len(self.state.log)

    def checkpoint(self, name: str) -> int:
        return self.state.checkpoints.get(name, 0)

    def set_checkpoint(self, name: str, position: int) -> None:
        self.state.checkpoints[name] = position

    def move_checkpoint(self, name: str, expected: int, position: int) -> bool:
        if name not in self.state.checkpoints or self.state.checkpoints[name] != expected:
            return False
        self.state.checkpoints[name] = position
        return True

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        return self.state.views.get(view, {}).get(view_id)

    def save_view(self, view: str, row: ViewRow, expected_version: int) -> None:
        rows = self.state.views.setdefault(view, {})
        current = rows.get(row.view_id)
        if (current.version if current else 0) != expected_version:
            raise AggregateConflict(f"view {view} {row.view_id!r} changed under the update")
        payload = (
            json.loads(row.payload.text)
            if isinstance(row.payload, EncodedJson)
            else to_jsonable_python(row.payload)
        )
        rows[row.view_id] = ViewRow(row.view_id, row.version, payload)

    def clear_view(self, view: str) -> None:
        self.state.views[view] = {}


class InMemoryEventStore:
    def __init__(self, *, read_only: bool = False, clock: Iterator[str] | None = None) -> None:
        self.read_only = read_only
        self._state = _State()
        self._lock = threading.RLock()
        self._clock = clock

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        if self.read_only:
            raise ReadOnlyError("the store is open read-only")
        with self._lock:
            tx = _Transaction(self._state.fork(), self._clock)
            yield tx
            self._state = tx.state

    def ensure_views(self, names: Iterable[str]) -> None:
        for name in names:
            self._state.views.setdefault(name, {})

    def load_events(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[SerializedEvent]:
        stream = self._state.streams.get((aggregate_type, aggregate_id), [])
        # Sequences are contiguous from 1, so a sequence is also an index (never
        # a negative one: that would count from the end).
        until = None if until_sequence is None else max(until_sequence, 0)
        return stream[max(after_sequence, 0) : until]

    def load_rows(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[StoredRow]:
        rows = self.load_events(aggregate_type, aggregate_id, after_sequence, until_sequence)
        return [event_to_row(e) for e in rows]

    def read_rows(self, after_position: int, limit: int) -> list[StoredRow]:
        return [event_to_row(e) for e in self.read_events(after_position, limit)]

    def load_snapshot(
        self, aggregate_type: str, aggregate_id: str, max_sequence: int | None = None
    ) -> SerializedSnapshot | None:
        taken = self._state.snapshots.get((aggregate_type, aggregate_id), [])
        if max_sequence is not None:
            taken = [s for s in taken if s.last_sequence <= max_sequence]
        return taken[-1] if taken else None

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int:
        stream = self._state.streams.get((aggregate_type, aggregate_id))
        return stream[-1].sequence if stream else 0

    def read_events(
        self,
        after_position: int = 0,
        limit: int | None = None,
        filter: EventFilter = NO_FILTER,
        *,
        before_position: int | None = None,
        descending: bool = False,
    ) -> list[SerializedEvent]:
        log = self._state.log
        end = len(log) if before_position is None else max(0, min(len(log), before_position - 1))
        window = log[after_position:end]
        if descending:
            window = window[::-1]
        out = [e for e in window if filter.empty or _matches(e, filter)]
        return out if limit is None else out[:limit]

    def read_positions(
        self,
        filter: EventFilter = NO_FILTER,
        *,
        after_position: int = 0,
        until_position: int | None = None,
        limit: int | None = None,
    ) -> list[int]:
        before = None if until_position is None else until_position + 1
        rows = self.read_events(after_position, limit, filter, before_position=before)
        return [e.position for e in rows if e.position is not None]

    def count_events(self, filter: EventFilter = NO_FILTER) -> int:
        if filter.empty:
            return len(self._state.log)
        return sum(1 for e in self._state.log if _matches(e, filter))

    def head_position(self) -> int:
        return len(self._state.log)

    def snapshots(self) -> list[SerializedSnapshot]:
        return [s for taken in self._state.snapshots.values() for s in taken]

    def checkpoints(self) -> dict[str, int]:
        return dict(self._state.checkpoints)

    def load_view(self, view: str, view_id: str) -> ViewRow | None:
        return self._state.views.get(view, {}).get(view_id)

    def view_rows(self, view: str, offset: int = 0, limit: int | None = None) -> list[ViewRow]:
        rows = sorted(self._state.views.get(view, {}).values(), key=lambda r: r.view_id)
        return rows[offset : None if limit is None else offset + limit]

    def view_count(self, view: str) -> int:
        return len(self._state.views.get(view, {}))

    def aggregate_ids(self, aggregate_type: str, prefix: str = "", limit: int = 50) -> list[str]:
        ids = sorted(
            i for t, i in self._state.streams if t == aggregate_type and i.startswith(prefix)
        )
        return ids[:limit]

    def sequence_at_time(self, aggregate_type: str, aggregate_id: str, at: str) -> int:
        stream = self._state.streams.get((aggregate_type, aggregate_id), [])
        times = [e.recorded_at or "" for e in stream]
        return bisect.bisect_right(times, at)

    def partition_source(self) -> PartitionSource | None:
        return None  # another process cannot see this memory

    def close(self) -> None:
        pass
