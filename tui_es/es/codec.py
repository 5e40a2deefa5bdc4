"""Between stored rows and domain events: serialize, upcast, decode."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tui_es.es.aggregate import Aggregate
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import DeserializationError
from tui_es.es.messages import DomainEvent, InvalidMessage
from tui_es.es.upcasting import (
    EventUpcaster,
    SemanticVersion,
    SemanticVersionError,
    UpcasterChain,
)


def describe_row(event: SerializedEvent) -> str:
    where = f"{event.aggregate_type} {event.aggregate_id!r} sequence {event.sequence}"
    return f"position {event.position} ({where})" if event.position is not None else where


class EventCodec:
    """Knows every aggregate type of a domain and the upcasters for its events."""

    def __init__(
        self, aggregates: Iterable[type[Aggregate]], upcasters: Iterable[EventUpcaster] = ()
    ) -> None:
        self.aggregates: dict[str, type[Aggregate]] = {a.aggregate_type: a for a in aggregates}
        self.upcasters = UpcasterChain(upcasters)
        self._versions: dict[tuple[str, str], SemanticVersion] = {}
        # (type, event, stored version) already checked, so the hot path skips parsing
        self._accepted: set[tuple[str, str, str]] = set()
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
