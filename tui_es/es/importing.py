"""Importing JSON Lines of envelopes: every line validated before anything is written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tui_es.es.codec import EventCodec
from tui_es.es.envelope import ENVELOPE_KEYS, SerializedEvent
from tui_es.es.errors import DeserializationError
from tui_es.es.framework import parse_time
from tui_es.es.messages import InvalidMessage, read_json
from tui_es.es.store import EventStore

_REQUIRED = (
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "event_type",
    "event_version",
    "payload",
    "metadata",
)


# The key columns are varchar(255), as in cqrs-es's MySQL schema.
MAX_KEY_LENGTH = 255


def key_problem(text: str) -> str | None:
    """Why an aggregate type or id cannot be stored in every database (None if it can)."""
    if len(text) > MAX_KEY_LENGTH:
        return f"is {len(text)} characters long, at most {MAX_KEY_LENGTH} can be stored"
    if "\x00" in text:
        return "contains a NUL character, which PostgreSQL cannot store"
    return None


class InvalidImport(ValueError):
    """A line that cannot be imported; the message starts with its line number."""


def _line_error(lineno: int, message: str) -> InvalidImport:
    return InvalidImport(f"line {lineno}: {message}")


def parse_envelope(obj: Any, lineno: int) -> SerializedEvent:
    if not isinstance(obj, dict):
        raise _line_error(lineno, "each line must be a JSON object")
    unknown = sorted(set(obj) - set(ENVELOPE_KEYS))
    if unknown:
        raise _line_error(lineno, f"unknown field {unknown[0]!r}")
    for key in _REQUIRED:
        if key not in obj:
            raise _line_error(lineno, f"missing field {key!r}")
    for key in ("aggregate_type", "aggregate_id", "event_type", "event_version"):
        if not isinstance(obj[key], str) or not obj[key]:
            raise _line_error(lineno, f"{key} must be a non-empty string")
    for key in ("aggregate_type", "aggregate_id"):
        problem = key_problem(obj[key])
        if problem is not None:
            raise _line_error(lineno, f"{key} {problem}")
    sequence = obj["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise _line_error(lineno, "sequence must be a whole number from 1")
    if not isinstance(obj["payload"], dict):
        raise _line_error(lineno, "payload must be a JSON object")
    metadata = obj["metadata"]
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _line_error(lineno, "metadata must be a JSON object of strings")
    recorded_at = obj.get("recorded_at")
    if recorded_at is not None:
        if not isinstance(recorded_at, str):
            raise _line_error(lineno, "recorded_at must be an RFC 3339 string")
        try:
            recorded_at = parse_time(recorded_at)
        except ValueError:
            raise _line_error(
                lineno, f"recorded_at {recorded_at!r} is not an RFC 3339 time with a zone"
            ) from None
    position = obj.get("position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        raise _line_error(lineno, "position must be a whole number")
    return SerializedEvent(
        aggregate_type=obj["aggregate_type"],
        aggregate_id=obj["aggregate_id"],
        sequence=sequence,
        event_type=obj["event_type"],
        event_version=obj["event_version"],
        payload=obj["payload"],
        metadata=dict(metadata),
        position=None,
        recorded_at=recorded_at,
    )


class _Continuity:
    """Checks that imported events continue their streams: no duplicate, no gap, no going back in time."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        # into an empty store every stream starts at 0: no need to ask for each one
        self.empty = store.head_position() == 0
        self.last: dict[tuple[str, str], int] = {}
        # the latest recorded_at of each stream: time travel by time needs it not to go back
        self.latest: dict[tuple[str, str], str] = {}

    def check(self, event: SerializedEvent) -> str | None:
        """None if the event continues its stream, else what is wrong."""
        key = (event.aggregate_type, event.aggregate_id)
        last = self.last.get(key)
        if last is None:
            last = 0 if self.empty else self.store.last_sequence(*key)
            if last:
                stored = self.store.load_events(*key, after_sequence=last - 1)
                self.latest[key] = (stored[-1].recorded_at or "") if stored else ""
        expected = last + 1
        if event.sequence != expected:
            if event.sequence < expected:
                return (
                    f"{event.aggregate_type} {event.aggregate_id!r} sequence {event.sequence} "
                    "already exists"
                )
            return (
                f"{event.aggregate_type} {event.aggregate_id!r} sequence {event.sequence} "
                f"leaves a gap: the next sequence is {expected}"
            )
        if event.recorded_at is not None:
            previous = self.latest.get(key, "")
            if event.recorded_at < previous:
                return (
                    f"recorded_at {event.recorded_at} is earlier than the previous event of "
                    f"{event.aggregate_type} {event.aggregate_id!r} ({previous})"
                )
            self.latest[key] = event.recorded_at
        self.last[key] = event.sequence
        return None


def validate_lines(
    lines: Iterable[str], codec: EventCodec, store: EventStore
) -> list[SerializedEvent]:
    """Parse and check every line: shape, payload against its type and version, sequences.

    The first problem raises ``InvalidImport`` naming its line; nothing is written.
    """
    events: list[SerializedEvent] = []
    continuity = _Continuity(store)
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = read_json(line)
        except json.JSONDecodeError as e:
            raise _line_error(lineno, f"invalid JSON at column {e.colno}: {e.msg}") from None
        except InvalidMessage as e:
            raise _line_error(lineno, str(e)) from None
        event = parse_envelope(obj, lineno)
        try:
            codec.check(event)
        except (DeserializationError, InvalidMessage) as e:
            raise _line_error(lineno, str(e)) from None
        problem = continuity.check(event)
        if problem is not None:
            raise _line_error(lineno, problem)
        events.append(event)
    return events


def validate_events(
    events: Iterable[SerializedEvent], codec: EventCodec, store: EventStore
) -> list[SerializedEvent]:
    """Check events made in memory as ``validate_lines`` checks lines; errors name the event's index."""
    checked: list[SerializedEvent] = []
    continuity = _Continuity(store)
    for index, event in enumerate(events, start=1):
        try:
            codec.check(event)
        except (DeserializationError, InvalidMessage) as e:
            raise InvalidImport(f"event {index}: {e}") from None
        problem = continuity.check(event)
        if problem is not None:
            raise InvalidImport(f"event {index}: {problem}")
        checked.append(event)
    return checked
