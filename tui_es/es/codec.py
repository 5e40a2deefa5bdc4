"""Between stored rows and domain events: serialize, upcast, decode."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from tui_es.es.aggregate import Aggregate
from tui_es.es.envelope import (
    CorruptJson,
    EventEnvelope,
    SerializedEvent,
    StoredRow,
    row_to_event,
)
from tui_es.es.errors import DeserializationError
from tui_es.es.messages import DomainEvent, InvalidMessage
from tui_es.es.upcasting import (
    EventUpcaster,
    SemanticVersion,
    SemanticVersionError,
    UpcasterChain,
)


def describe_row(event: SerializedEvent) -> str:
    kind = event.aggregate_type
    # a type that is not a plain word is quoted, so a newline in it cannot break the message
    kind = kind if kind.isidentifier() else repr(kind)
    where = f"{kind} {event.aggregate_id!r} sequence {event.sequence}"
    return f"position {event.position} ({where})" if event.position is not None else where


def check_contiguous(
    events: Sequence[StoredRow] | Sequence[SerializedEvent], after_sequence: int = 0
) -> None:
    """Raise DeserializationError at the first event that leaves a gap after ``after_sequence``.

    ``events`` are one stream's, in sequence order. Replaying across a gap
    would give a state no history ever had, so a replay stops there.
    """
    if not events:
        return
    last = events[-1]
    if _sequence(last) == after_sequence + len(events):
        return  # sequences are unique and ordered: the stream is whole
    expected = after_sequence + 1
    for event in events:
        if _sequence(event) != expected:
            stored = event if isinstance(event, SerializedEvent) else row_to_event(event)
            raise DeserializationError(
                f"{describe_row(stored)}: a gap in the stream: expected sequence {expected}",
                position=stored.position,
            )
        expected += 1


def _sequence(event: StoredRow | SerializedEvent) -> int:
    return event.sequence if isinstance(event, SerializedEvent) else int(event[2])


class EventCodec:
    """Knows every aggregate type of a domain and the upcasters for its events."""

    def __init__(
        self, aggregates: Iterable[type[Aggregate]], upcasters: Iterable[EventUpcaster] = ()
    ) -> None:
        aggregates, upcasters = tuple(aggregates), tuple(upcasters)
        # what another process needs to build the same codec (a fold split by aggregate)
        self.recipe = (aggregates, upcasters)
        self.aggregates: dict[str, type[Aggregate]] = {a.aggregate_type: a for a in aggregates}
        self.upcasters = UpcasterChain(upcasters)
        self._versions: dict[tuple[str, str], SemanticVersion] = {}
        # (type, event, stored version) already checked, so the hot path skips parsing
        self._accepted: set[tuple[str, str, str]] = set()
        self._fast: dict[tuple[str, str, str], type[DomainEvent] | None] = {}
        self._prefixes: dict[str, str] = {}
        self._entries: dict[tuple[str, str, str], Any] = {}
        for aggregate in self.aggregates.values():
            for event_cls in aggregate.events:
                key = (aggregate.aggregate_type, event_cls.type_name())
                self._versions[key] = SemanticVersion.parse(event_cls.event_version)

    def aggregate(self, aggregate_type: str) -> type[Aggregate]:
        try:
            return self.aggregates[aggregate_type]
        except KeyError:
            known = ", ".join(self.aggregates)
            raise InvalidMessage(
                f"unknown aggregate type {aggregate_type!r} (known: {known})"
            ) from None

    def serialize(
        self,
        aggregate_type: str,
        aggregate_id: str,
        sequence: int,
        event: DomainEvent,
        metadata: Mapping[str, str],
    ) -> SerializedEvent:
        return SerializedEvent(
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            sequence=sequence,
            event_type=event.event_type,
            event_version=event.event_version,
            payload=event.to_tagged(),
            metadata=dict(metadata),
        )

    def upcast(self, event: SerializedEvent) -> tuple[SerializedEvent, list[str]]:
        return self.upcasters.trace(event)

    def decode(self, stored: SerializedEvent) -> EventEnvelope:
        """Upcast and decode one row; a row that does not fit raises DeserializationError."""
        # text that is not JSON: say so, rather than what an upcaster makes of it
        if isinstance(stored.payload, CorruptJson):
            raise DeserializationError(
                f"{describe_row(stored)}: the stored payload is not valid JSON: "
                f"{stored.payload[:80]!r}",
                position=stored.position,
            )
        try:
            event = self.upcasters.apply(stored) if self.upcasters else stored
        except Exception as e:  # an upcaster that cannot read this stored payload
            raise DeserializationError(
                f"{describe_row(stored)}: {stored.event_type} {stored.event_version} could not "
                f"be upcast: {type(e).__name__}: {e}",
                position=stored.position,
            ) from e
        try:
            payload = self.decode_payload(event)
        except InvalidMessage as e:
            raise DeserializationError(
                f"{describe_row(stored)}: {e}", position=stored.position
            ) from None
        return EventEnvelope(
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            sequence=event.sequence,
            event_type=event.event_type,
            event_version=event.event_version,
            payload=payload,
            metadata=event.metadata,
            position=event.position,
            recorded_at=event.recorded_at,
        )

    def decode_payload(self, event: SerializedEvent) -> DomainEvent:
        """Decode an (already upcast) row's payload; InvalidMessage says what is wrong."""
        if isinstance(event.payload, CorruptJson):
            raise InvalidMessage(f"the stored payload is not valid JSON: {event.payload[:80]!r}")
        events = self.aggregate(event.aggregate_type).events
        name, body = events.split_tag(event.payload)
        if name != event.event_type:
            raise InvalidMessage(
                f"the payload is tagged {name!r} but the event_type column says {event.event_type!r}"
            )
        key = (event.aggregate_type, name, event.event_version)
        known = self._versions.get(key[:2])
        if known is not None and key not in self._accepted:
            try:
                stored = SemanticVersion.parse(event.event_version)
            except SemanticVersionError as e:
                raise InvalidMessage(str(e)) from None
            if stored != known:
                raise InvalidMessage(
                    f"{name} is stored at version {event.event_version}, this program reads "
                    f"{known} and has no upcaster from it"
                )
            self._accepted.add(key)
        if not isinstance(body, Mapping):
            raise InvalidMessage(f"{name}: the body must be a JSON object")
        return events.decode_body(name, body)

    def decode_all(self, stored: Iterable[SerializedEvent]) -> list[EventEnvelope]:
        return [self.decode(e) for e in stored]

    # -- the fast path: straight from the driver's rows ------------------------------
    def _fast_class(
        self, aggregate_type: str, event_type: str, version: str
    ) -> type[DomainEvent] | None:
        """The class that reads this (type, event, version) as stored, or None.

        None when an upcaster would change the row or the version is not the one
        the class reads: such rows take the general path (and its error messages).
        """
        key = (aggregate_type, event_type, version)
        if key in self._fast:
            return self._fast[key]
        cls: type[DomainEvent] | None = None
        aggregate = self.aggregates.get(aggregate_type)
        if aggregate is not None and event_type in aggregate.events:
            upcast = any(u.can_upcast(event_type, version) for u in self.upcasters.upcasters)
            try:
                same = SemanticVersion.parse(version) == self._versions[key[:2]]
            except SemanticVersionError:
                same = False
            if same and not upcast:
                cls = aggregate.events.get(event_type)
        self._fast[key] = cls
        return cls

    def fast_payload(
        self, aggregate_type: str, event_type: str, version: str, payload: Any
    ) -> DomainEvent | None:
        """Decode serde's compact text ``{"Name":{...}}`` with pydantic's JSON parser.

        Returns None when the row needs the general path: it is not compact text
        of this shape, an upcaster applies, or it does not validate.
        """
        if not isinstance(payload, str):
            return None
        cls = self._fast_class(aggregate_type, event_type, version)
        if cls is None:
            return None
        prefix = self._prefixes.get(event_type)
        if prefix is None:
            prefix = self._prefixes[event_type] = '{"' + event_type + '":'
        if not payload.startswith(prefix) or not payload.endswith("}"):
            return None
        try:
            event: DomainEvent = cls.__pydantic_validator__.validate_json(payload[len(prefix) : -1])
            return event
        except ValueError:
            return None

    def check(self, event: SerializedEvent) -> None:
        """Raise DeserializationError if the stored event would not decode; cheaper than decode."""
        cls = self._fast_class(event.aggregate_type, event.event_type, event.event_version)
        payload = event.payload
        if cls is not None and isinstance(payload, dict) and len(payload) == 1:
            body = payload.get(event.event_type)
            if isinstance(body, dict):
                try:
                    cls.__pydantic_validator__.validate_python(body)
                    return
                except ValueError:
                    pass  # the general path says what is wrong
        self.decode(event)

    def _fast_entry(self, aggregate_type: str, event_type: str, version: str) -> Any:
        """(validate_json, prefix, cut) for rows of this kind, or False: see ``_fast_class``."""
        cls = self._fast_class(aggregate_type, event_type, version)
        prefix = '{"' + event_type + '":'
        entry = (
            False
            if cls is None
            else (cls.__pydantic_validator__.validate_json, prefix, len(prefix))
        )
        self._entries[(aggregate_type, event_type, version)] = entry
        return entry

    def decode_row(self, row: StoredRow) -> EventEnvelope:
        """Decode a driver row (see ``StoredRow``); the same result as ``decode``, faster.

        Rows as tui-es and serde write them (``{"Name":{...}}``) go straight to
        pydantic's JSON parser; anything else takes the general path.
        """
        entry = self._entries.get((row[0], row[3], row[4]))
        if entry is None:
            entry = self._fast_entry(row[0], row[3], row[4])
        payload = row[5]
        if (
            entry
            and type(payload) is str
            and payload.startswith(entry[1])
            and payload.endswith("}")
        ):
            try:
                event = entry[0](payload[entry[2] : -1])
            except ValueError:
                event = None
            if event is not None:
                # metadata stays JSON text until someone reads it (see EventEnvelope)
                return EventEnvelope(
                    row[0], row[1], row[2], row[3], row[4], event, row[6], row[7], row[8]
                )
        return self.decode(row_to_event(row))

    def decode_rows(self, rows: Iterable[StoredRow]) -> list[EventEnvelope]:
        return [self.decode_row(r) for r in rows]

    def iter_decoded(self, rows: Iterable[StoredRow]) -> Iterator[EventEnvelope]:
        """``decode_row`` over many rows, as a loop of its own: a rebuild decodes millions."""
        entries = self._entries
        envelope = EventEnvelope
        for row in rows:
            entry = entries.get((row[0], row[3], row[4]))
            if entry is None:
                entry = self._fast_entry(row[0], row[3], row[4])
            payload = row[5]
            if (
                entry
                and type(payload) is str
                and payload.startswith(entry[1])
                and payload.endswith("}")
            ):
                try:
                    event = entry[0](payload[entry[2] : -1])
                except ValueError:
                    yield self.decode_row(row)  # the general path says what is wrong
                    continue
                yield envelope(
                    row[0], row[1], row[2], row[3], row[4], event, row[6], row[7], row[8]
                )
            else:
                yield self.decode_row(row)

    def decode_row_payload(self, row: StoredRow) -> DomainEvent:
        """Only the typed event of a driver row: what replaying an aggregate needs."""
        event = self.fast_payload(row[0], row[3], row[4], row[5])
        return event if event is not None else self.decode(row_to_event(row)).payload
