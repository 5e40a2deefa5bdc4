"""What the time machine reads and works out for one aggregate; no Textual here.

Everything in this module runs in the pane's thread workers: the history, the
events as stored (for the upcasting lens), the snapshots (for the markers),
each numeric field over the versions (for the plot), and the check that a
snapshot plus the events after it equals a full replay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tui_es.es.application import Application
from tui_es.es.codec import EventCodec
from tui_es.es.diff import FieldChange, diff_states, flatten
from tui_es.es.envelope import SerializedEvent
from tui_es.es.replay import AggregateHistory, state_at
from tui_es.es.snapshots import SerializedSnapshot
from tui_es.es.store import EventStore

# A plot needs no more points than a terminal has columns (times two, for braille).
PLOT_POINTS_MAX = 2000
PLOT_FIELDS_MAX = 64
# Snapshots are read one by one, newest first: an aggregate snapshotted every
# few events over a long life shows its latest ones.
SNAPSHOTS_MAX = 200


@dataclass(frozen=True, slots=True)
class Series:
    """One numeric field over the versions where it exists (sampled if there are many)."""

    path: str
    versions: list[int]
    values: list[float]

    def value_at(self, version: int) -> float | None:
        """The value at ``version``, or at the nearest sampled version before it."""
        found: float | None = None
        for v, value in zip(self.versions, self.values, strict=True):
            if v > version:
                break
            found = value
        return found


@dataclass(frozen=True, slots=True)
class Upcast:
    """One stored event beside what the upcasters make of it."""

    stored: SerializedEvent
    upcast: SerializedEvent | None  # None when an upcaster failed
    chain: list[str]
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.chain) or self.error is not None


@dataclass
class Timeline:
    """One aggregate as the time machine shows it; ``problems`` are reads that failed."""

    aggregate_type: str
    history: AggregateHistory
    stored: dict[int, SerializedEvent] = field(default_factory=dict)
    upcast_sequences: list[int] = field(default_factory=list)
    snapshots: list[SerializedSnapshot] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def aggregate_id(self) -> str:
        return self.history.aggregate_id

    def snapshot_at_or_before(self, version: int) -> SerializedSnapshot | None:
        found = None
        for snapshot in self.snapshots:
            if snapshot.last_sequence <= version:
                found = snapshot
        return found


def is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def numeric_series(
    history: AggregateHistory,
    points_max: int = PLOT_POINTS_MAX,
    fields_max: int = PLOT_FIELDS_MAX,
) -> dict[str, Series]:
    """Each numeric field of the state (flattened: ``ledger[2].amount``) over the versions."""
    step = max(1, math.ceil((history.version + 1) / points_max))
    versions: dict[str, list[int]] = {}
    values: dict[str, list[float]] = {}
    state = history.state_at(0)

    def sample(version: int) -> None:
        for path, value in flatten(state.state_json()).items():
            if not is_number(value):
                continue
            if path not in versions:
                if len(versions) >= fields_max:
                    continue
                versions[path], values[path] = [], []
            versions[path].append(version)
            values[path].append(float(value))

    sample(0)
    for version, envelope in enumerate(history.envelopes, start=1):
        state.apply(envelope.payload)
        if version % step == 0 or version == history.version:
            sample(version)
    return {path: Series(path, versions[path], values[path]) for path in versions}


def upcast_event(codec: EventCodec, stored: SerializedEvent) -> Upcast:
    """Run the codec's upcasters on a stored event; an upcaster that fails is reported."""
    try:
        upcast, chain = codec.upcast(stored)
    except Exception as error:
        return Upcast(stored, None, [], f"{type(error).__name__}: {error}")
    return Upcast(stored, upcast, chain)


def aggregate_snapshots(
    store: EventStore, aggregate_type: str, aggregate_id: str, limit: int = SNAPSHOTS_MAX
) -> list[SerializedSnapshot]:
    """The aggregate's snapshots, oldest first (the newest ``limit`` of them)."""
    found: list[SerializedSnapshot] = []
    snapshot = store.load_snapshot(aggregate_type, aggregate_id)
    while snapshot is not None and len(found) < limit:
        found.append(snapshot)
        if snapshot.last_sequence <= 1:
            break
        older = store.load_snapshot(
            aggregate_type, aggregate_id, max_sequence=snapshot.last_sequence - 1
        )
        if older is not None and older.last_sequence >= snapshot.last_sequence:
            break  # a store that ignores max_sequence: do not loop
        snapshot = older
    found.reverse()
    return found


def read_timeline(application: Application, aggregate_type: str, aggregate_id: str) -> Timeline:
    """Read one aggregate; only the history is required, the rest is reported in ``problems``."""
    history = application.history(aggregate_id, aggregate_type)
    timeline = Timeline(aggregate_type, history)
    store, codec = application.store, application.codec
    try:
        rows = store.load_events(aggregate_type, aggregate_id, until_sequence=history.version)
        timeline.stored = {row.sequence: row for row in rows}
        timeline.upcast_sequences = [
            row.sequence for row in rows if upcast_event(codec, row).changed
        ]
    except Exception as error:
        timeline.problems.append(f"Could not read the stored events: {error}")
    try:
        timeline.snapshots = aggregate_snapshots(store, aggregate_type, aggregate_id)
    except Exception as error:
        timeline.problems.append(f"Could not read the snapshots: {error}")
    try:
        timeline.series = numeric_series(history)
    except Exception as error:
        timeline.problems.append(f"Could not follow the numeric fields: {error}")
    return timeline


@dataclass(frozen=True, slots=True)
class SnapshotCheck:
    """The nearest snapshot at or before ``version`` plus the events after it, against a replay."""

    version: int
    snapshot: SerializedSnapshot | None
    from_snapshot: dict[str, Any] | None  # None: no snapshot, or one that no longer fits
    events_after: int  # events applied on top of the snapshot
    full: dict[str, Any]
    full_events: int  # events applied by the full replay
    changes: list[FieldChange]  # from the full replay to the snapshot's result

    @property
    def usable(self) -> bool:
        return self.from_snapshot is not None

    @property
    def equal(self) -> bool:
        return self.usable and not self.changes

    @property
    def verdict(self) -> str:
        if self.snapshot is None:
            return "no snapshot"
        return "equal" if self.equal else "differs"


def verify_snapshot(
    application: Application, aggregate_type: str, aggregate_id: str, version: int
) -> SnapshotCheck:
    """Load as the framework does (snapshot, then the events after it) and replay in full.

    Both read the store; the snapshot is restored by the framework's own
    ``restore`` (a snapshot that no longer fits the aggregate gives None).
    """
    store, codec = application.store, application.codec
    full_state, full_events = state_at(store, codec, aggregate_type, aggregate_id, version)
    full = full_state.state_json()
    snapshot = store.load_snapshot(aggregate_type, aggregate_id, max_sequence=version)
    if snapshot is None:
        return SnapshotCheck(version, None, None, 0, full, full_events, [])
    restored = application.framework(aggregate_type).restore(snapshot.payload)
    if restored is None:
        return SnapshotCheck(version, snapshot, None, 0, full, full_events, [])
    rows = store.load_rows(aggregate_type, aggregate_id, snapshot.last_sequence, version)
    for row in rows:
        restored.apply(codec.decode_row_payload(row))
    from_snapshot = restored.state_json()
    changes = diff_states(full, from_snapshot)
    return SnapshotCheck(version, snapshot, from_snapshot, len(rows), full, full_events, changes)
