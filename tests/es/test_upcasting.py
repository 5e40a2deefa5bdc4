"""Semantic versions, upcasters and the codec's decoding errors (cqrs-es §1.13)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tui_es.es import (
    Aggregate,
    Command,
    DeserializationError,
    DomainEvent,
    EventCodec,
    EventSink,
    MessageSet,
    SemanticVersion,
    SemanticVersionUpcaster,
    SerializedEvent,
    UpcasterChain,
)
from tui_es.es.upcasting import SemanticVersionError

# -- SemanticVersion --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", (2, 0, 0)),
        ("2.3", (2, 3, 0)),
        ("2.3.4", (2, 3, 4)),
        ("2.3.4.5", (2, 3, 4)),
        ("0.2.3", (0, 2, 3)),
        ("1.0", (1, 0, 0)),
        ("10.20.30", (10, 20, 30)),
    ],
)
def test_semantic_version_parsing(text: str, expected: tuple[int, int, int]) -> None:
    version = SemanticVersion.parse(text)
    assert (version.major, version.minor, version.patch) == expected
    assert str(version) == "{}.{}.{}".format(*expected)


@pytest.mark.parametrize(
    "text", ["", "2.", "2.3.", "not_a_version", ".2", "2..3", "v2", "2.x", "2\n", "2.3\n", " 2"]
)
def test_invalid_semantic_versions(text: str) -> None:
    with pytest.raises(SemanticVersionError):
        SemanticVersion.parse(text)


def test_semantic_versions_compare_numerically() -> None:
    parse = SemanticVersion.parse
    assert parse("0.2.10") > parse("0.2.9")
    assert parse("1.10") > parse("1.9")
    assert parse("2") == parse("2.0.0")
    assert parse("1.0") < parse("2.0")


def test_configured_version_must_parse() -> None:
    with pytest.raises(SemanticVersionError):
        SemanticVersionUpcaster("E", "not_a_version", lambda p: p)


# -- can_upcast / upcast ------------------------------------------------------------------


def row(event_type: str, version: str, payload: dict[str, Any] | None = None) -> SerializedEvent:
    return SerializedEvent(
        aggregate_type="thing",
        aggregate_id="t-1",
        sequence=1,
        event_type=event_type,
        event_version=version,
        payload=payload if payload is not None else {event_type: {}},
        metadata={"m": "1"},
        position=7,
        recorded_at="2030-01-01T00:00:00.000000+00:00",
    )


@pytest.mark.parametrize(
    ("event_type", "stored", "can"),
    [
        ("NameAdded", "1.0", True),
        ("NameAdded", "0.9.9", True),
        ("NameAdded", "1", True),
        ("NameAdded", "1.0.1", False),  # equal
        ("NameAdded", "1.0.1.9", False),  # equal: the fourth part is ignored
        ("NameAdded", "1.0.2", False),  # greater
        ("NameAdded", "2", False),
        ("NameRemoved", "1.0", False),  # other type
        ("nameadded", "1.0", False),  # the type matches exactly
        ("NameAdded", "garbage", False),  # unparsable
        ("NameAdded", "", False),
    ],
)
def test_can_upcast(event_type: str, stored: str, can: bool) -> None:
    upcaster = SemanticVersionUpcaster("NameAdded", "1.0.1", lambda p: p)
    assert upcaster.can_upcast(event_type, stored) is can


def test_upcast_changes_payload_and_version_only() -> None:
    def add_name(payload: dict[str, Any]) -> dict[str, Any]:
        return {"NameAdded": {**payload["NameAdded"], "name": "UNKNOWN"}}

    upcaster = SemanticVersionUpcaster("NameAdded", "1.0.1", add_name)
    stored = row("NameAdded", "1.0")
    upcast = upcaster.upcast(stored)
    assert upcast.payload == {"NameAdded": {"name": "UNKNOWN"}}
    assert upcast.event_version == "1.0.1"
    assert upcast.aggregate_type == stored.aggregate_type
    assert upcast.aggregate_id == stored.aggregate_id
    assert upcast.sequence == stored.sequence
    assert upcast.event_type == stored.event_type
    assert upcast.metadata == stored.metadata
    assert upcast.position == stored.position
    assert upcast.recorded_at == stored.recorded_at
    assert stored.payload == {"NameAdded": {}}  # the stored row is not touched
    assert stored.event_version == "1.0"
    assert SemanticVersionUpcaster("E", "2", lambda p: p).upcast(row("E", "1")).event_version == (
        "2.0.0"
    )


# -- chains -----------------------------------------------------------------------------


def step_023(payload: dict[str, Any]) -> dict[str, Any]:
    body = dict(payload["Renamed"])
    body["first"] = body.pop("name")
    return {"Renamed": body}


def step_024(payload: dict[str, Any]) -> dict[str, Any]:
    body = dict(payload["Renamed"])
    body["names"] = [body.pop("first")]  # needs what 0.2.3 produced
    return {"Renamed": body}


CHAIN = [
    SemanticVersionUpcaster("Renamed", "0.2.3", step_023),
    SemanticVersionUpcaster("Renamed", "0.2.4", step_024),
]


def test_chain_applies_in_order_each_seeing_the_previous_output() -> None:
    chain = UpcasterChain(CHAIN)
    stored = row("Renamed", "0.2.2", {"Renamed": {"name": "Ada"}})
    upcast, applied = chain.trace(stored)
    assert upcast.payload == {"Renamed": {"names": ["Ada"]}}
    assert upcast.event_version == "0.2.4"
    assert applied == ["Renamed -> 0.2.3", "Renamed -> 0.2.4"]
    assert chain.apply(stored) == upcast


def test_chain_starts_where_the_stored_version_is() -> None:
    chain = UpcasterChain(CHAIN)
    stored = row("Renamed", "0.2.3", {"Renamed": {"first": "Ada"}})
    upcast, applied = chain.trace(stored)
    assert applied == ["Renamed -> 0.2.4"]
    assert upcast.payload == {"Renamed": {"names": ["Ada"]}}
    current = row("Renamed", "0.2.4", {"Renamed": {"names": ["Ada"]}})
    assert chain.trace(current) == (current, [])


def test_chain_order_matters() -> None:
    reversed_chain = UpcasterChain(list(reversed(CHAIN)))
    stored = row("Renamed", "0.2.2", {"Renamed": {"name": "Ada"}})
    with pytest.raises(KeyError):
        # 0.2.4 runs first, on a payload 0.2.3 has not produced yet
        reversed_chain.apply(stored)


def test_chain_leaves_other_types_and_unparsable_versions_alone() -> None:
    chain = UpcasterChain(CHAIN)
    other = row("Other", "0.0.1")
    assert chain.trace(other) == (other, [])
    garbage = row("Renamed", "garbage", {"Renamed": {"name": "Ada"}})
    assert chain.trace(garbage) == (garbage, [])
    assert not UpcasterChain()
    assert UpcasterChain(CHAIN)


class AnyTypeUpcaster:
    """An upcaster without a fixed event_type: it may touch any event."""

    name = "tag everything"

    def can_upcast(self, event_type: str, event_version: str) -> bool:
        return event_version == "1.0"

    def upcast(self, event: SerializedEvent) -> SerializedEvent:
        ((tag, body),) = event.payload.items()
        return event.with_payload({tag: {**body, "tagged": True}}, "1.1")


def test_chain_with_an_upcaster_for_any_type() -> None:
    chain = UpcasterChain([*CHAIN, AnyTypeUpcaster()])
    upcast, applied = chain.trace(row("Other", "1.0"))
    assert applied == ["tag everything"]
    assert upcast.payload == {"Other": {"tagged": True}}


# -- the codec -------------------------------------------------------------------------


class Renamed(DomainEvent):
    event_version: ClassVar[str] = "0.2.4"
    names: list[str]


class Touched(DomainEvent):
    count: int


class Thing(Aggregate):
    aggregate_type: ClassVar[str] = "thing"
    commands: ClassVar[MessageSet[Command]] = MessageSet("command", [])
    events: ClassVar[MessageSet[DomainEvent]] = MessageSet("event", [Renamed, Touched])

    names: list[str] = []

    def handle(self, command: Command, services: Any, sink: EventSink[Any]) -> None:
        pass

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, Renamed):
            self.names = event.names


def codec(upcasters: Any = CHAIN) -> EventCodec:
    return EventCodec([Thing], upcasters)


def test_codec_decodes_through_the_chain() -> None:
    envelope = codec().decode(row("Renamed", "0.2.2", {"Renamed": {"name": "Ada"}}))
    assert envelope.payload == Renamed(names=["Ada"])
    assert envelope.event_version == "0.2.4"
    assert envelope.position == 7
    assert envelope.metadata == {"m": "1"}
    assert envelope.recorded_at == "2030-01-01T00:00:00.000000+00:00"


def test_codec_accepts_the_current_version_in_any_spelling() -> None:
    for version in ("0.2.4", "0.2.4.0"):
        payload = {"Renamed": {"names": ["Ada"]}}
        assert codec([]).decode(row("Renamed", version, payload)).payload == Renamed(names=["Ada"])
    assert codec([]).decode(row("Touched", "1", {"Touched": {"count": 1}})).payload == Touched(
        count=1
    )


@pytest.mark.parametrize(
    ("stored", "fragments"),
    [
        # a version it has no upcaster for
        (row("Renamed", "0.2.2", {"Renamed": {"name": "Ada"}}), ["0.2.2", "no upcaster"]),
        (row("Renamed", "0.3.0", {"Renamed": {"names": []}}), ["0.3.0", "no upcaster"]),
        (row("Touched", "2.0", {"Touched": {"count": 1}}), ["2.0", "no upcaster"]),
        # a version that does not parse
        (row("Touched", "garbage", {"Touched": {"count": 1}}), ["garbage"]),
        # an invalid payload
        (row("Touched", "1.0", {"Touched": {"count": "one"}}), ["Touched.count"]),
        (row("Touched", "1.0", {"Touched": {}}), ["Touched.count"]),
        (row("Touched", "1.0", {"Touched": [1]}), ["Touched", "JSON object"]),
        (row("Touched", "1.0", {"Touched": {"count": 1}, "Renamed": {}}), ["exactly one key"]),
        # the payload's tag and the event_type column disagree
        (row("Touched", "1.0", {"Renamed": {"names": []}}), ["'Renamed'", "'Touched'"]),
        # an unknown event type
        (row("Vanished", "1.0", {"Vanished": {}}), ["Vanished"]),
    ],
)
def test_codec_raises_deserialization_error_naming_the_position(
    stored: SerializedEvent, fragments: list[str]
) -> None:
    chain = [] if stored.event_version == "0.2.2" else CHAIN
    with pytest.raises(DeserializationError) as excinfo:
        codec(chain).decode(stored)
    message = str(excinfo.value)
    assert "position 7" in message
    assert excinfo.value.position == 7
    for fragment in fragments:
        assert fragment in message


def test_codec_error_for_an_unknown_aggregate_type() -> None:
    stored = SerializedEvent("ghost", "g", 1, "Touched", "1.0", {"Touched": {"count": 1}}, {}, 3)
    with pytest.raises(DeserializationError, match=r"position 3.*ghost"):
        codec().decode(stored)


def test_codec_error_without_a_position_names_the_row() -> None:
    stored = SerializedEvent("thing", "t-9", 4, "Touched", "1.0", {"Touched": {}}, {})
    with pytest.raises(DeserializationError, match=r"thing 't-9' sequence 4") as excinfo:
        codec().decode(stored)
    assert excinfo.value.position is None


def test_an_upcaster_that_fails_on_a_stored_payload_is_a_deserialization_error() -> None:
    stored = row("Renamed", "0.2.2", {"Renamed": {"no_name": "Ada"}})  # step_023 needs "name"
    with pytest.raises(DeserializationError, match=r"position 7") as excinfo:
        codec().decode(stored)
    assert "Renamed" in str(excinfo.value)
    assert excinfo.value.position == 7
