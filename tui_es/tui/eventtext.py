"""Text for one event, shared by the Event stream and Time travel panes.

Works on stored rows (``SerializedEvent``) and decoded envelopes alike, and
knows nothing of any domain: a payload is cqrs-es's externally tagged JSON.
"""

from __future__ import annotations

import json
from typing import Any

from textual.content import Content
from textual.highlight import highlight

from tui_es.es.envelope import EventEnvelope, SerializedEvent

AnyEvent = SerializedEvent | EventEnvelope

# Metadata keys shown on their own line because they tie events together.
CORRELATION_KEYS = ("correlation_id", "causation_id")


def stored_payload(event: AnyEvent) -> dict[str, Any]:
    """The payload as JSON: as stored for a row, re-encoded for a decoded envelope."""
    if isinstance(event, SerializedEvent):
        return event.payload
    return event.payload.to_tagged()


def payload_body(event_type: str, payload: Any) -> Any:
    """The variant's fields, without the tag that wraps them (when the tag is the event type)."""
    if isinstance(payload, dict) and len(payload) == 1 and event_type in payload:
        return payload[event_type]
    return payload


def short_time(recorded_at: str | None) -> str:
    """``MM-DD HH:MM:SS`` of an RFC 3339 time as stored (UTC); other text is cut."""
    if not recorded_at:
        return ""
    if len(recorded_at) >= 19 and recorded_at[10] in "T ":
        return f"{recorded_at[5:10]} {recorded_at[11:19]}"
    return recorded_at[:14]


def scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def summary(event_type: str, payload: Any) -> str:
    """One line of the payload's fields: ``quantity=2 note=gift``."""
    body = payload_body(event_type, payload)
    if isinstance(body, dict):
        return " ".join(f"{key}={scalar_text(value)}" for key, value in body.items())
    return scalar_text(body)


def pretty_json(value: Any) -> Content:
    """Indented JSON, highlighted with the current theme's colours."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return highlight(text, language="json")


def event_title(event: AnyEvent) -> Content:
    """``#12  order O-7 · seq 3  ItemAdded@1.0``"""
    position = f"#{event.position}  " if event.position is not None else ""
    return Content.from_markup(
        "[b $text-accent]$position[/]$atype [b]$aid[/] · seq $seq  [b $text-primary]$etype[/]@$version",
        position=position,
        atype=event.aggregate_type,
        aid=event.aggregate_id,
        seq=str(event.sequence),
        etype=event.event_type,
        version=event.event_version,
    )


def event_facts(event: AnyEvent) -> Content:
    """recorded_at, correlation and causation ids, one per line."""
    lines = [
        Content.from_markup(
            "[$text-muted]recorded_at[/] $value", value=event.recorded_at or "(not recorded)"
        )
    ]
    metadata = event.metadata if isinstance(event.metadata, dict) else {}  # damaged: no ids
    for key in CORRELATION_KEYS:
        value = metadata.get(key)
        lines.append(
            Content.from_markup(f"[$text-muted]{key}[/] $value", value=value or "—")
            if value
            else Content.from_markup(f"[$text-muted]{key} —[/]")
        )
    return Content("\n").join(lines)
