"""Messages between the dashboard's panes.

Panes never call each other: they post these to the app, which hands them to
the panes that care (see ``StorePane.store_changed`` and friends).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui_es.es.envelope import EventEnvelope


@dataclass
class EventsCommitted(Message):
    """This dashboard committed events (the Commands pane executed a command)."""

    envelopes: list[EventEnvelope]


@dataclass
class StoreChanged(Message):
    """The head of the log moved (this app or another process appended events)."""

    head: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


@dataclass
class ShowAggregate(Message):
    """Open an aggregate in the Time travel pane, optionally at a version."""

    aggregate_type: str
    aggregate_id: str
    version: int | None = None


@dataclass
class ShowPosition(Message):
    """Select a position in the Event stream pane."""

    position: int
