"""When to snapshot: cqrs-es's three sources of truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class SerializedSnapshot:
    """The aggregate's state JSON as of ``last_sequence``.

    ``current_snapshot`` counts the snapshots taken (1, 2, ...), and guards the
    row against concurrent writers (compare-and-set on the previous count).
    """

    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    last_sequence: int
    current_snapshot: int


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """``events`` (no snapshots), ``every`` N events, or on every ``commit``.

    Unlike cqrs-es, the snapshot always holds the state after the whole commit
    and records that commit's last sequence: the state is serialized from the
    aggregate the events were already applied to (no double apply), and its
    sequence is its own (no skipped tail on the next load).
    """

    mode: Literal["events", "every", "commit"] = "events"
    interval: int = 0

    @classmethod
    def events_only(cls) -> SnapshotPolicy:
        return cls("events")

    @classmethod
    def every(cls, interval: int) -> SnapshotPolicy:
        if interval < 1:
            raise ValueError("a snapshot interval is at least 1 event")
        return cls("every", interval)

    @classmethod
    def every_commit(cls) -> SnapshotPolicy:
        return cls("commit")

    @property
    def uses_snapshots(self) -> bool:
        return self.mode != "events"

    def due(self, current_sequence: int, new_events: int) -> bool:
        """Whether a commit of ``new_events`` after ``current_sequence`` takes a snapshot."""
        if new_events <= 0 or self.mode == "events":
            return False
        if self.mode == "commit":
            return True
        return (current_sequence + new_events) // self.interval > current_sequence // self.interval

    def __str__(self) -> str:
        if self.mode == "every":
            return f"every {self.interval} events"
        return {"events": "events only", "commit": "every commit"}[self.mode]
