"""What the framework needs from an event store, whatever holds the events.

Two implementations: :mod:`tui_es.es.memory` (tests, scratch) and
:mod:`tui_es.store` (SQL through SQLModel). Both enforce optimistic
concurrency: appending a sequence that exists raises ``AggregateConflict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from tui_es.es.envelope import SerializedEvent, StoredRow
from tui_es.es.snapshots import SerializedSnapshot


@dataclass(frozen=True, slots=True)
class ViewRow:
    """One row of a view table, as in cqrs-es: ``(view_id, version, payload)``.

    Read from a store, the payload is plain JSON data. Given to ``save_view``
    it may also be a pydantic model, which the store writes with the model's
    own JSON serializer (one step instead of a dict and then its text).
    """

    view_id: str
    version: int
    payload: Any


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Narrows a read of the global log; every given part must match."""

    aggregate_type: str | None = None
    aggregate_id: str | None = None
    event_type: str | None = None
    text: str | None = None  # a substring of the stored payload JSON

    @property
    def empty(self) -> bool:
        return not (self.aggregate_type or self.aggregate_id or self.event_type or self.text)


NO_FILTER = EventFilter()


@dataclass(frozen=True, slots=True)
class EncodedJson:
    """A view row's payload already written as JSON text (by a fold in another process)."""

    text: str


Partition = tuple[int, int]  # (this part, number of parts)


def partition_of(aggregate_id: str, parts: int) -> int:
    """Which of ``parts`` partitions an aggregate's events go to, when a fold is split.

    Cheap to compute in SQL too (the id's length plus its last character's code
    point), so a store can hand each process only its own rows. All events of
    an aggregate land in one partition; how evenly ids spread only decides speed.
    """
    return (len(aggregate_id) + (ord(aggregate_id[-1]) if aggregate_id else 0)) % parts


class PartitionReader(Protocol):
    """What a fold in another process reads: committed rows and view rows, and the JSON text."""

    def iter_rows(
        self,
        after_position: int,
        until_position: int,
        aggregate_types: Sequence[str],
        chunk: int,
        partition: Partition,
    ) -> Iterator[list[StoredRow]]: ...

    def load_view(self, view: str, view_id: str) -> ViewRow | None: ...

    def encode(self, payload: Any) -> str:
        """The payload as the store writes it."""
        ...

    def close(self) -> None: ...


class PartitionSource(Protocol):
    """Picklable: opens, in another process, a reader of the same database."""

    def open(self) -> PartitionReader: ...


class StoreTransaction(Protocol):
    """Everything one commit does, atomically: events, snapshot, views, checkpoints."""

    def append(self, events: Sequence[SerializedEvent]) -> list[SerializedEvent]:
        """Store the events, giving each a position and recorded_at (unless it has one).

        Raises ``AggregateConflict`` if any (aggregate_type, aggregate_id,
        sequence) is already taken.
        """
        ...

    def save_snapshot(self, snapshot: SerializedSnapshot) -> None:
        """Insert snapshot 1, or replace snapshot n-1 by n; a lost race raises a conflict."""
        ...

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int: ...

    def read_range(
        self, after_position: int, until_position: int | None, limit: int
    ) -> list[SerializedEvent]:
        """Events with ``after_position < position <= until_position``, in order."""
        ...

    def iter_rows(
        self,
        after_position: int,
        until_position: int,
        aggregate_types: Sequence[str],
        chunk: int,
        partition: Partition | None = None,
    ) -> Iterator[list[StoredRow]]:
        """Rows of these aggregate types in the position range, in order, a chunk at a time.

        With a ``partition``, only the rows whose aggregate id falls in it
        (:func:`partition_of`).
        """
        ...

    def head_position(self) -> int: ...

    def checkpoint(self, name: str) -> int: ...

    def set_checkpoint(self, name: str, position: int) -> None: ...

    def move_checkpoint(self, name: str, expected: int, position: int) -> bool:
        """Set the checkpoint to ``position`` if it is at ``expected``; else change nothing."""
        ...

    def load_view(self, view: str, view_id: str) -> ViewRow | None: ...

    def save_view(self, view: str, row: ViewRow, expected_version: int) -> None:
        """Write the row if its stored version is still ``expected_version`` (0: absent).

        The payload may be ``EncodedJson``: the text is stored as it is.
        """
        ...

    def clear_view(self, view: str) -> None: ...


class EventStore(Protocol):
    read_only: bool

    def transaction(self) -> AbstractContextManager[StoreTransaction]: ...

    def ensure_views(self, names: Iterable[str]) -> None: ...

    def load_events(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[SerializedEvent]: ...

    def load_rows(
        self,
        aggregate_type: str,
        aggregate_id: str,
        after_sequence: int = 0,
        until_sequence: int | None = None,
    ) -> list[StoredRow]:
        """As ``load_events``, as the driver returns them: the replay's fast path."""
        ...

    def read_rows(self, after_position: int, limit: int) -> list[StoredRow]:
        """The next ``limit`` rows of the global log after a position, undecoded."""
        ...

    def load_snapshot(
        self, aggregate_type: str, aggregate_id: str, max_sequence: int | None = None
    ) -> SerializedSnapshot | None:
        """The latest snapshot, or the latest taken at or before ``max_sequence``.

        Snapshots are kept, not replaced, so the state at any version can start
        from the nearest one.
        """
        ...

    def last_sequence(self, aggregate_type: str, aggregate_id: str) -> int: ...

    def read_events(
        self,
        after_position: int = 0,
        limit: int | None = None,
        filter: EventFilter = NO_FILTER,
        *,
        before_position: int | None = None,
        descending: bool = False,
    ) -> list[SerializedEvent]:
        """A page of the global log in position order (newest first if ``descending``)."""
        ...

    def read_positions(
        self,
        filter: EventFilter = NO_FILTER,
        *,
        after_position: int = 0,
        until_position: int | None = None,
        limit: int | None = None,
    ) -> list[int]:
        """Only the positions of the matching events, ascending: an index for a filtered view."""
        ...

    def count_events(self, filter: EventFilter = NO_FILTER) -> int: ...

    def head_position(self) -> int: ...

    def checkpoints(self) -> dict[str, int]: ...

    def snapshots(self) -> list[SerializedSnapshot]:
        """Every snapshot kept, of every aggregate."""
        ...

    def load_view(self, view: str, view_id: str) -> ViewRow | None: ...

    def view_rows(self, view: str, offset: int = 0, limit: int | None = None) -> list[ViewRow]: ...

    def view_count(self, view: str) -> int: ...

    def aggregate_ids(
        self, aggregate_type: str, prefix: str = "", limit: int = 50
    ) -> list[str]: ...

    def sequence_at_time(self, aggregate_type: str, aggregate_id: str, at: str) -> int:
        """The last sequence recorded at or before ``at`` (RFC 3339, UTC); 0 if none."""
        ...

    def partition_source(self) -> PartitionSource | None:
        """A way for other processes to read this database during a fold, or None."""
        ...

    def close(self) -> None: ...
