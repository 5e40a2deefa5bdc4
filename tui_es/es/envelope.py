"""Events as stored (``SerializedEvent``) and as the domain sees them (``EventEnvelope``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from pydantic import TypeAdapter

from tui_es.es.errors import DeserializationError
from tui_es.es.messages import DomainEvent

# The order of the keys in the JSON Lines the CLI prints and imports.
ENVELOPE_KEYS = (
    "position",
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "event_type",
    "event_version",
    "payload",
    "metadata",
    "recorded_at",
)


# A row of the events table as the driver returns it, columns in ENVELOPE_KEYS's
# storage order: aggregate_type, aggregate_id, sequence, event_type,
# event_version, payload, metadata, position, recorded_at. Payload and metadata
# are JSON text, or already-parsed objects on servers with json columns.
StoredRow = tuple[str, str, int, str, str, Any, Any, int | None, str | None]


class CorruptJson(str):
    """Stored text that is not JSON, kept as it is so it can be shown and reported."""


def lenient_json(value: Any) -> Any:
    """Parsed JSON text; text that does not parse comes back as :class:`CorruptJson`."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return CorruptJson(value)


def row_to_event(row: StoredRow) -> SerializedEvent:
    return SerializedEvent(
        aggregate_type=row[0],
        aggregate_id=row[1],
        sequence=int(row[2]),
        event_type=row[3],
        event_version=row[4],
        payload=lenient_json(row[5]),
        metadata=lenient_json(row[6]),
        position=row[7],
        recorded_at=row[8],
    )


def event_to_row(event: SerializedEvent) -> StoredRow:
    return (
        event.aggregate_type,
        event.aggregate_id,
        event.sequence,
        event.event_type,
        event.event_version,
        event.payload,
        event.metadata,
        event.position,
        event.recorded_at,
    )


# Not frozen: a frozen dataclass pays a setattr call per field on creation, and
# these are made a million at a time when the log is read. Treat them as values.
@dataclass(slots=True)
class SerializedEvent:
    """One row of the events table: cqrs-es's seven columns plus position and recorded_at.

    ``payload`` is the externally tagged JSON object exactly as stored (no
    upcasting), or :class:`CorruptJson` if the stored text is not JSON;
    ``position`` and ``recorded_at`` are given by the store on append.
    """

    aggregate_type: str
    aggregate_id: str
    sequence: int
    event_type: str
    event_version: str
    payload: dict[str, Any]
    metadata: dict[str, str]
    position: int | None = None
    recorded_at: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ENVELOPE_KEYS}

    def with_payload(self, payload: dict[str, Any], event_version: str) -> SerializedEvent:
        return replace(self, payload=payload, event_version=event_version)


_METADATA: TypeAdapter[dict[str, str]] = TypeAdapter(dict[str, str])


class EventEnvelope:
    """A committed event decoded into the domain's type, upcasters applied.

    As in cqrs-es the ``payload`` is the typed event; unlike cqrs-es the
    envelope also carries the aggregate type, the global position and the time
    the store recorded it.

    ``metadata`` may be handed over as the stored JSON text: it is parsed the
    first time it is read. Views and replays rarely read it, and reading the
    whole log is a third faster for not parsing it.
    """

    __slots__ = (
        "_metadata",
        "aggregate_id",
        "aggregate_type",
        "event_type",
        "event_version",
        "payload",
        "position",
        "recorded_at",
        "sequence",
    )

    def __init__(
        self,
        aggregate_type: str,
        aggregate_id: str,
        sequence: int,
        event_type: str,
        event_version: str,
        payload: DomainEvent,
        metadata: dict[str, str] | str | None = None,
        position: int | None = None,
        recorded_at: str | None = None,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.aggregate_id = aggregate_id
        self.sequence = sequence
        self.event_type = event_type
        self.event_version = event_version
        self.payload = payload
        self._metadata: dict[str, str] | str = {} if metadata is None else metadata
        self.position = position
        self.recorded_at = recorded_at

    @property
    def metadata(self) -> dict[str, str]:
        if isinstance(self._metadata, str):
            try:
                self._metadata = _METADATA.validate_json(self._metadata)
            except ValueError as e:
                raise DeserializationError(
                    f"position {self.position}: the metadata is not a JSON object of strings: {e}",
                    position=self.position,
                ) from None
        return self._metadata

    def _key(self) -> tuple[Any, ...]:
        return (
            self.aggregate_type,
            self.aggregate_id,
            self.sequence,
            self.event_type,
            self.event_version,
            self.payload,
            self.metadata,
            self.position,
            self.recorded_at,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventEnvelope) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"EventEnvelope({self.aggregate_type!r}, {self.aggregate_id!r}, #{self.sequence}, "
            f"{self.payload!r}, position={self.position}, recorded_at={self.recorded_at!r})"
        )
