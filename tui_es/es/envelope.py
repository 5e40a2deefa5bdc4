"""Events as stored (``SerializedEvent``) and as the domain sees them (``EventEnvelope``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

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


def row_to_event(row: StoredRow) -> SerializedEvent:
    payload, metadata = row[5], row[6]
    return SerializedEvent(
        aggregate_type=row[0],
        aggregate_id=row[1],
        sequence=int(row[2]),
        event_type=row[3],
        event_version=row[4],
        payload=json.loads(payload) if isinstance(payload, str | bytes) else payload,
        metadata=json.loads(metadata) if isinstance(metadata, str | bytes) else metadata,
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


@dataclass(frozen=True, slots=True)
class SerializedEvent:
    """One row of the events table: cqrs-es's seven columns plus position and recorded_at.

    ``payload`` is the externally tagged JSON object exactly as stored (no
    upcasting); ``position`` and ``recorded_at`` are given by the store on append.
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


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """A committed event decoded into the domain's type, upcasters applied.

    As in cqrs-es the ``payload`` is the typed event; unlike cqrs-es the
    envelope also carries the aggregate type, the global position and the time
    the store recorded it.
    """

    aggregate_type: str
    aggregate_id: str
    sequence: int
    event_type: str
    event_version: str
    payload: DomainEvent
    metadata: dict[str, str] = field(default_factory=dict)
    position: int | None = None
    recorded_at: str | None = None
