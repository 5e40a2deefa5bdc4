"""A domain: what tui-es needs to know to run and show one bounded context.

The dashboard and the CLI read everything from here (aggregates, their
commands and events, views, upcasters, services, demo data), so a new domain
plugs in without touching them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_es.es.aggregate import Aggregate
from tui_es.es.envelope import EventEnvelope
from tui_es.es.messages import Command, InvalidMessage, read_json
from tui_es.es.upcasting import EventUpcaster
from tui_es.es.views import ViewProjection


@dataclass(frozen=True, slots=True)
class DemoCommand:
    """One step of a synthetic history: a command at a moment, with its metadata."""

    aggregate_type: str
    aggregate_id: str
    command: Command
    time: str
    metadata: dict[str, str] = field(default_factory=dict)


DemoScript = Callable[[int, int, int], Iterator[DemoCommand]]  # (aggregates, events each, seed)


@dataclass(frozen=True, slots=True)
class Reaction:
    """A command a policy issues in reaction to an event."""

    aggregate_type: str
    aggregate_id: str
    command: Command


@dataclass(frozen=True)
class Policy:
    """Reacts to events by commanding (other) aggregates: cqrs-es's advice for
    aggregates that must talk to each other, as a query that issues commands.

    ``react`` returns the commands an event calls for (often none).
    """

    name: str
    description: str
    react: Callable[[EventEnvelope], list[Reaction]]


@dataclass(frozen=True)
class Domain:
    name: str
    title: str
    description: str
    aggregates: tuple[type[Aggregate], ...]
    views: tuple[ViewProjection, ...] = ()
    upcasters: tuple[EventUpcaster, ...] = ()
    make_services: Callable[[], Any] = lambda: None
    demo_history: Path | None = None
    demo_script: DemoScript | None = None
    policies: tuple[Policy, ...] = ()

    def aggregate(self, aggregate_type: str | None = None) -> type[Aggregate]:
        if aggregate_type is None:
            return self.aggregates[0]
        for aggregate in self.aggregates:
            if aggregate.aggregate_type == aggregate_type:
                return aggregate
        known = ", ".join(a.aggregate_type for a in self.aggregates)
        raise InvalidMessage(f"unknown aggregate type {aggregate_type!r} (known: {known})")

    def parse_command(
        self, text: str, aggregate_type: str | None = None
    ) -> tuple[type[Aggregate], Command]:
        """Find the aggregate whose commands include the JSON's tag, and decode it."""
        if aggregate_type is not None:
            aggregate = self.aggregate(aggregate_type)
            return aggregate, aggregate.commands.parse_json(text)
        first = self.aggregates[0].commands
        try:
            data = read_json(text)
        except json.JSONDecodeError as e:
            raise InvalidMessage(
                f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
            ) from None
        name, _ = first.split_tag(data)
        for aggregate in self.aggregates:
            if name in aggregate.commands:
                return aggregate, aggregate.commands.decode(data)
        known = ", ".join(n for a in self.aggregates for n in a.commands.names())
        raise InvalidMessage(f"unknown command {name!r} (known: {known})")
