"""Travel in time: an aggregate at any version or moment, the log in global order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tui_es.es.aggregate import Aggregate
from tui_es.es.codec import EventCodec, check_contiguous
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.framework import parse_time
from tui_es.es.store import NO_FILTER, EventFilter, EventStore


def iter_log(
    store: EventStore,
    codec: EventCodec | None = None,
    after_position: int = 0,
    filter: EventFilter = NO_FILTER,
    page: int = 5000,
) -> Iterator[SerializedEvent]:
    """Every stored event after a position, in global order, a page at a time."""
    while True:
        rows = store.read_events(after_position=after_position, limit=page, filter=filter)
        yield from rows
        if len(rows) < page:
            return
        after_position = rows[-1].position or after_position


def iter_envelopes(
    store: EventStore, codec: EventCodec, after_position: int = 0, page: int = 5000
) -> Iterator[EventEnvelope]:
    """The whole log from a position, decoded (upcasters applied), in global order."""
    while True:
        rows = store.read_rows(after_position, page)
        decode = codec.decode_row
        for row in rows:
            yield decode(row)
        if len(rows) < page:
            return
        after_position = rows[-1][7] or after_position


@dataclass
class AggregateHistory:
    """One aggregate's decoded events, with states kept every ``stride`` versions.

    ``state_at(v)`` copies the nearest kept state at or below v and applies at
    most ``stride - 1`` events, so stepping through a long history costs the
    same at version 10 as at version 10,000.
    """

    aggregate: type[Aggregate]
    aggregate_id: str
    envelopes: list[EventEnvelope]
    stride: int = 64

    def __post_init__(self) -> None:
        self._kept: list[Aggregate] = []
        state = self.aggregate()
        self._kept.append(state.model_copy(deep=True))
        for index, envelope in enumerate(self.envelopes, start=1):
            state.apply(envelope.payload)
            if index % self.stride == 0:
                self._kept.append(state.model_copy(deep=True))

    @classmethod
    def load(
        cls, store: EventStore, codec: EventCodec, aggregate_type: str, aggregate_id: str
    ) -> AggregateHistory:
        rows = store.load_events(aggregate_type, aggregate_id)
        check_contiguous(rows)
        return cls(codec.aggregate(aggregate_type), aggregate_id, codec.decode_all(rows))

    @property
    def version(self) -> int:
        return len(self.envelopes)

    def state_at(self, version: int) -> Aggregate:
        if not 0 <= version <= self.version:
            raise ValueError(f"version {version} is outside 0..{self.version}")
        base = version // self.stride
        state = self._kept[base].model_copy(deep=True)
        for envelope in self.envelopes[base * self.stride : version]:
            state.apply(envelope.payload)
        return state

    def event_at(self, version: int) -> EventEnvelope | None:
        """The event that led to ``version`` (None for version 0)."""
        return self.envelopes[version - 1] if version >= 1 else None

    def version_at(self, at: str) -> int:
        """The last version recorded at or before ``at`` (RFC 3339, any zone)."""
        at = parse_time(at)  # stored times are compared as strings, in this spelling
        version = 0
        for envelope in self.envelopes:
            if (envelope.recorded_at or "") <= at:
                version = envelope.sequence
            else:
                break
        return version


def state_at(
    store: EventStore,
    codec: EventCodec,
    aggregate_type: str,
    aggregate_id: str,
    version: int | None = None,
) -> tuple[Aggregate, int]:
    """The aggregate after ``version`` events (all of them if None), replayed from the log."""
    cls = codec.aggregate(aggregate_type)
    rows = store.load_events(aggregate_type, aggregate_id, until_sequence=version)
    check_contiguous(rows)
    state = cls()
    for envelope in codec.decode_all(rows):
        state.apply(envelope.payload)
    return state, (rows[-1].sequence if rows else 0)
