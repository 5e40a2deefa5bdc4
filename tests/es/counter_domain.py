"""A tiny counter domain for the framework tests.

Its ``apply`` *increments*, so an event applied twice (or skipped) shows up in
the state; ``Step`` writes two events where the second depends on the state the
first one produced, so it sees whether ``EventSink.write`` applies at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from tui_es.es import (
    Aggregate,
    Command,
    Domain,
    DomainError,
    DomainEvent,
    EventEnvelope,
    EventSink,
    MessageSet,
    View,
    ViewProjection,
)


class Add(Command):
    """Write ``times`` Incremented events."""

    times: int = 1


class Step(Command):
    """Increment, then record the count the increment produced."""


class Noop(Command):
    """Write nothing."""


class Reject(Command):
    """Write an event, then reject the command."""


class Explode(Command):
    """A bug in the domain: not a DomainError."""


class Incremented(DomainEvent):
    pass


class Recorded(DomainEvent):
    value: int


class CounterError(DomainError):
    pass


COUNTER_COMMANDS: MessageSet[Command] = MessageSet("command", [Add, Step, Noop, Reject, Explode])
COUNTER_EVENTS: MessageSet[DomainEvent] = MessageSet("event", [Incremented, Recorded])


class Counter(Aggregate):
    aggregate_type: ClassVar[str] = "counter"
    commands: ClassVar[MessageSet[Command]] = COUNTER_COMMANDS
    events: ClassVar[MessageSet[DomainEvent]] = COUNTER_EVENTS

    count: int = 0
    recorded: list[int] = []

    def handle(self, command: Command, services: Any, sink: EventSink[Any]) -> None:
        if callable(services):
            services(self, command)
        match command:
            case Add(times=times):
                for _ in range(times):
                    sink.write(Incremented())
            case Step():
                sink.write(Incremented())
                sink.write(Recorded(value=self.count))
            case Noop():
                pass
            case Reject():
                sink.write(Incremented())
                raise CounterError("counter says no")
            case Explode():
                raise ZeroDivisionError("boom")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case Incremented():
                self.count += 1
            case Recorded(value=value):
                self.recorded = [*self.recorded, value]


class CounterView(View):
    count: int = 0
    recorded: list[int] = []
    sequences: list[int] = []

    def update(self, envelope: EventEnvelope) -> None:
        if isinstance(envelope.payload, Incremented):
            self.count += 1
        elif isinstance(envelope.payload, Recorded):
            self.recorded.append(envelope.payload.value)
        self.sequences.append(envelope.sequence)


COUNTER_VIEW = ViewProjection(
    name="counter_view", view=CounterView, aggregate_types=frozenset({"counter"})
)


def counter_domain(make_services: Callable[[], Any] = lambda: None) -> Domain:
    return Domain(
        name="counter",
        title="Counter",
        description="a counter for tests",
        aggregates=(Counter,),
        views=(COUNTER_VIEW,),
        make_services=make_services,
    )


def replay(events: list[DomainEvent]) -> Counter:
    state = Counter()
    for event in events:
        state.apply(event)
    return state
