"""``tui-es check``: verify a store against everything an event store promises.

One pass over the log, in global order:

- positions strictly increase; each aggregate's sequences run 1, 2, 3… with no
  gap and in the order of the log;
- every payload decodes (upcasters applied);
- every snapshot equals a replay of its aggregate up to its sequence;
- every view, and its checkpoint, equals a rebuild from the log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui_es.es.aggregate import Aggregate
from tui_es.es.codec import EventCodec, describe_row
from tui_es.es.envelope import StoredRow, row_to_event
from tui_es.es.errors import DeserializationError
from tui_es.es.messages import InvalidMessage
from tui_es.es.snapshots import SerializedSnapshot
from tui_es.es.store import EventStore, ViewRow
from tui_es.es.views import View, ViewProjection


@dataclass(frozen=True)
class Problem:
    kind: str  # order, sequence, payload, snapshot, view, checkpoint
    message: str
    aggregate_type: str | None = None
    aggregate_id: str | None = None
    sequence: int | None = None
    position: int | None = None

    def __str__(self) -> str:
        where = []
        if self.aggregate_type is not None:
            where.append(f"{self.aggregate_type} {self.aggregate_id!r}")
        if self.sequence is not None:
            where.append(f"sequence {self.sequence}")
        if self.position is not None:
            where.append(f"position {self.position}")
        return f"{self.kind}: {', '.join(where) + ': ' if where else ''}{self.message}"


@dataclass
class Report:
    events: int
    aggregates: int
    snapshots: int
    views: dict[str, int]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(
    store: EventStore,
    codec: EventCodec,
    views: list[ViewProjection],
    *,
    page: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    problems: list[Problem] = []
    head = store.head_position()
    last_sequence: dict[tuple[str, str], int] = {}
    broken: set[tuple[str, str]] = set()  # streams whose replay can no longer be trusted
    # snapshots to verify, by aggregate: {sequence: snapshot}
    wanted: dict[tuple[str, str], dict[int, SerializedSnapshot]] = {}
    for snapshot in store.snapshots():
        key = (snapshot.aggregate_type, snapshot.aggregate_id)
        wanted.setdefault(key, {})[snapshot.last_sequence] = snapshot
    states: dict[tuple[str, str], Aggregate] = {}
    built: dict[str, dict[str, tuple[View, int]]] = {v.name: {} for v in views}
    previous_position = 0
    count = 0
    after = 0
    while True:
        rows: list[StoredRow] = store.read_rows(after, page)
        for row in rows:
            count += 1
            aggregate_type, aggregate_id, sequence, position = row[0], row[1], int(row[2]), row[7]
            key = (aggregate_type, aggregate_id)
            where: dict[str, Any] = {
                "aggregate_type": aggregate_type,
                "aggregate_id": aggregate_id,
                "sequence": sequence,
                "position": position,
            }
            if position is None or position <= previous_position:
                problems.append(
                    Problem("order", f"position does not follow {previous_position}", **where)
                )
            else:
                previous_position = position
            expected = last_sequence.get(key, 0) + 1
            if sequence != expected:
                message = (
                    sequence_gap(expected)
                    if sequence > expected
                    else f"out of order or repeated: expected sequence {expected}"
                )
                problems.append(Problem("sequence", message, **where))
                broken.add(key)
            last_sequence[key] = sequence  # one misplaced row is one problem, not a cascade
            try:
                envelope = codec.decode_row(row)
            except (DeserializationError, InvalidMessage, ValueError) as e:
                problems.append(Problem("payload", _without_where(str(e), row), **where))
                broken.add(key)
                continue
            if key in wanted and key not in broken:
                state = states.get(key)
                if state is None:
                    state = states[key] = codec.aggregate(aggregate_type)()
                state.apply(envelope.payload)
                due = wanted[key].pop(sequence, None)
                if due is not None and due.payload != state.state_json():
                    problems.append(
                        Problem(
                            "snapshot",
                            f"snapshot {due.current_snapshot} differs from a replay "
                            f"to sequence {sequence}",
                            **where,
                        )
                    )
                if not wanted[key]:
                    states.pop(key, None)
            for view in views:
                if not view.interested(aggregate_type):
                    continue
                view_id = view.view_id(envelope)
                if view_id is None:
                    continue
                current = built[view.name].get(view_id)
                model, version = current if current is not None else (view.view(), 0)
                model.update(envelope)
                built[view.name][view_id] = (model, version + 1)
        if progress is not None:
            progress(count, head)
        if len(rows) < page:
            break
        after = rows[-1][7] or after
    for key, left in wanted.items():
        for sequence, snapshot in left.items():
            if key in broken:
                continue
            problems.append(
                Problem(
                    "snapshot",
                    f"snapshot {snapshot.current_snapshot} is at sequence {sequence}, "
                    f"past the stream's last event ({last_sequence.get(key, 0)})",
                    aggregate_type=key[0],
                    aggregate_id=key[1],
                    sequence=sequence,
                )
            )
    checkpoints = store.checkpoints()
    for view in views:
        # a row of a stream that does not replay cleanly is already reported
        skip = {i for t, i in broken if view.per_aggregate and view.interested(t)}
        problems.extend(_compare_view(store, view, built[view.name], skip))
        checkpoint = checkpoints.get(view.name, 0)
        if checkpoint != previous_position:
            problems.append(
                Problem(
                    "checkpoint",
                    f"{view.name} is at position {checkpoint}, the log at {previous_position}",
                )
            )
    return Report(
        count,
        len(last_sequence),
        sum(1 for _ in store.snapshots()),
        {v.name: len(built[v.name]) for v in views},
        problems,
    )


def sequence_gap(expected: int) -> str:
    """How a gap in an aggregate's sequences is named, by ``check`` and by the Event stream."""
    return f"a gap: expected sequence {expected}"


# How much further back each look for the sequence before a gap reaches.
_GAP_REACH = 16


def gap_before(
    store: EventStore, aggregate_type: str, aggregate_id: str, sequence: int
) -> str | None:
    """The gap in the aggregate's stream just before ``sequence``, named as ``check`` does.

    None when ``sequence - 1`` is there (or ``sequence`` is the first): one
    lookup by the (type, id, sequence) key, whatever the size of the log or of
    the stream. Only past a gap does it look further back, in windows each
    ``_GAP_REACH`` times wider, for the sequence the gap follows: a few lookups
    that read little more than the rows just before the gap.
    """
    top = sequence - 1
    span = 1
    while top > 0:
        low = max(0, top - span)
        rows = store.load_rows(aggregate_type, aggregate_id, low, top)
        if rows:
            previous = max(int(r[2]) for r in rows)
            return None if previous == sequence - 1 else sequence_gap(previous + 1)
        top, span = low, span * _GAP_REACH
    return None if sequence <= 1 else sequence_gap(1)


def _without_where(message: str, row: StoredRow) -> str:
    prefix = describe_row(row_to_event(row)) + ": "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _compare_view(
    store: EventStore,
    view: ViewProjection,
    built: dict[str, tuple[View, int]],
    skip: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    stored: dict[str, ViewRow] = {}
    offset = 0
    while True:
        rows = store.view_rows(view.name, offset=offset, limit=1000)
        stored.update((r.view_id, r) for r in rows)
        if len(rows) < 1000:
            break
        offset += len(rows)
    for view_id in skip:
        stored.pop(view_id, None)
        built.pop(view_id, None)
    for view_id, (model, version) in built.items():
        row = stored.pop(view_id, None)
        expected: Any = model.model_dump(mode="json")
        if row is None:
            problems.append(Problem("view", f"{view.name} has no row {view_id!r}"))
        elif row.payload != expected:
            problems.append(Problem("view", f"{view.name} row {view_id!r} differs from a rebuild"))
        elif row.version != version:
            problems.append(
                Problem(
                    "view",
                    f"{view.name} row {view_id!r} is at version {row.version}, a rebuild "
                    f"gives {version}",
                )
            )
    for view_id in stored:
        problems.append(Problem("view", f"{view.name} row {view_id!r} has no events"))
    return problems
