"""The aggregate: handles commands, applies events (cqrs-es 0.5 semantics)."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from tui_es.es.messages import Command, DomainEvent, MessageSet


class Aggregate(BaseModel):
    """Base of an aggregate; its fields are its state and its snapshot JSON.

    A subclass sets ``aggregate_type`` (persisted in the aggregate_type column),
    ``commands`` and ``events`` (the variants it understands), and implements
    ``handle`` and ``apply``. Every field needs a default: a new aggregate is the
    default instance at sequence 0, as ``A::default()`` is in cqrs-es.
    """

    model_config = ConfigDict(validate_assignment=False, extra="ignore")

    aggregate_type: ClassVar[str]
    commands: ClassVar[MessageSet[Command]]
    events: ClassVar[MessageSet[DomainEvent]]

    def handle(self, command: Command, services: Any, sink: EventSink[Any]) -> None:
        """Check the command against the current state and write events to the sink.

        Raise a :class:`~tui_es.es.errors.DomainError` to reject it; then nothing
        written to the sink is committed.
        """
        raise NotImplementedError

    def apply(self, event: DomainEvent) -> None:
        """Change the state by one event. No checks, no I/O, no failure."""
        raise NotImplementedError

    def state_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


A = TypeVar("A", bound=Aggregate)


class EventSink(Generic[A]):
    """Collects the events of one command, applying each at once.

    Writing applies the event to the aggregate immediately, so later logic in
    the same ``handle`` sees the new state (cqrs-es issue #224).
    """

    def __init__(self, aggregate: A) -> None:
        self._aggregate = aggregate
        self._events: list[DomainEvent] = []

    def write(self, event: DomainEvent) -> None:
        self._aggregate.apply(event)
        self._events.append(event)

    def collect(self) -> list[DomainEvent]:
        return list(self._events)
