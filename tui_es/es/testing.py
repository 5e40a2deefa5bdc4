"""Given / when / then, in cqrs-es's vocabulary (``cqrs_es::test``).

TestFramework(BankAccount).with_services(services)
    .given_no_previous_events()          # or .given([...]) and .and_([...])
    .when(DepositMoney(amount=200.0))
    .then_expect_events([CustomerDepositedMoney(amount=200.0, balance=200.0)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from tui_es.es.aggregate import A, EventSink
from tui_es.es.errors import DomainError
from tui_es.es.messages import Command, DomainEvent

__all__ = ["AggregateResultValidator", "AggregateTestExecutor", "TestFramework"]


class TestFramework(Generic[A]):
    __test__ = False  # not a pytest test class

    def __init__(self, aggregate: type[A], services: Any = None) -> None:
        self.aggregate = aggregate
        self.services = services

    def with_services(self, services: Any) -> TestFramework[A]:
        return TestFramework(self.aggregate, services)

    def given_no_previous_events(self) -> AggregateTestExecutor[A]:
        return AggregateTestExecutor(self.aggregate, self.services, [])

    def given(self, events: Sequence[DomainEvent]) -> AggregateTestExecutor[A]:
        return AggregateTestExecutor(self.aggregate, self.services, list(events))


class AggregateTestExecutor(Generic[A]):
    def __init__(self, aggregate: type[A], services: Any, events: list[DomainEvent]) -> None:
        self.aggregate = aggregate
        self.services = services
        self.events = events

    def and_(self, events: Sequence[DomainEvent]) -> AggregateTestExecutor[A]:
        return AggregateTestExecutor(self.aggregate, self.services, self.events + list(events))

    def when(self, command: Command) -> AggregateResultValidator:
        state = self.aggregate()
        for event in self.events:
            state.apply(event)
        sink: EventSink[A] = EventSink(state)
        try:
            state.handle(command, self.services, sink)
        except DomainError as e:
            return AggregateResultValidator(None, e)
        return AggregateResultValidator(sink.collect(), None)


class AggregateResultValidator:
    def __init__(self, events: list[DomainEvent] | None, error: DomainError | None) -> None:
        self.events = events
        self.error = error

    def _events(self) -> list[DomainEvent]:
        if self.error is not None:
            raise AssertionError(f"expected success, received aggregate error: '{self.error}'")
        assert self.events is not None
        return self.events

    def then_expect_events(self, expected: Sequence[DomainEvent]) -> None:
        actual = self._events()
        if actual != list(expected):
            raise AssertionError(f"expected events {list(expected)!r}\n  found {actual!r}")

    def then_expect_events_matching(self, expected: Sequence[DomainEvent]) -> None:
        """Every expected event is present; order and extra events are ignored."""
        actual = self._events()
        missing = [e for e in expected if e not in actual]
        if missing:
            raise AssertionError(f"missing events: '{missing!r}'\n  found: '{actual!r}'")

    def _error(self) -> DomainError:
        if self.error is None:
            raise AssertionError(f"expected error, received events: '{self.events!r}'")
        return self.error

    def then_expect_error_message(self, message: str) -> None:
        actual = str(self._error())
        if actual != message:
            raise AssertionError(f"expected error message {message!r}, found {actual!r}")

    def then_expect_error(self, error: DomainError) -> None:
        actual = self._error()
        if type(actual) is not type(error) or actual.args != error.args:
            raise AssertionError(f"expected error {error!r}, found {actual!r}")

    def inspect_result(self) -> list[DomainEvent] | DomainError:
        return self.error if self.error is not None else list(self.events or [])
