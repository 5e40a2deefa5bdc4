"""The stream's filter bar: aggregate id, event type, payload text (and type, for several aggregates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Select

from tui_es.es.domain import Domain
from tui_es.es.store import EventFilter, EventStore
from tui_es.tui.id_suggester import AggregateIdSuggester

# Typing waits this long for the next key before the view is recounted.
DEBOUNCE = 0.3

EventChoice = tuple[str | None, str]  # (aggregate type when the name is ambiguous, event type)


def event_choices(domain: Domain) -> list[tuple[str, EventChoice]]:
    """The domain's event types for a Select; a name two aggregates share carries its type."""
    names = [(a.aggregate_type, t.type_name()) for a in domain.aggregates for t in a.events]
    counts: dict[str, int] = {}
    for _, name in names:
        counts[name] = counts.get(name, 0) + 1
    return [
        (f"{name} ({atype})", (atype, name)) if counts[name] > 1 else (name, (None, name))
        for atype, name in names
    ]


class FilterBar(Horizontal):
    DEFAULT_CSS = """
    FilterBar {
        dock: top;
        height: 1;
        & > Input { width: 1fr; margin-right: 1; }
        & > Select { width: 1fr; margin-right: 1; }
        & > #filter-text { margin-right: 0; }
    }
    """

    @dataclass
    class Changed(Message):
        bar: FilterBar
        filter: EventFilter

    ANY: ClassVar[str] = "any"

    def __init__(self, domain: Domain, store: EventStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.domain = domain
        self.store = store
        self.aggregate_types = [a.aggregate_type for a in domain.aggregates]
        self._debounce: Timer | None = None
        self._posted: EventFilter | None = None

    def compose(self) -> ComposeResult:
        if len(self.aggregate_types) > 1:
            yield Select(
                [(t, t) for t in self.aggregate_types],
                prompt="any aggregate type",
                compact=True,
                id="filter-type",
            )
        yield Input(
            placeholder="aggregate id",
            compact=True,
            id="filter-aggregate",
            suggester=AggregateIdSuggester(self.store, self._suggest_types),
        )
        yield Select[EventChoice](
            event_choices(self.domain), prompt="any event type", compact=True, id="filter-event"
        )
        yield Input(placeholder="text in payload", compact=True, id="filter-text")

    def _suggest_types(self) -> list[str]:
        chosen = self._chosen_type()
        return [chosen] if chosen else self.aggregate_types

    def _chosen_type(self) -> str | None:
        if len(self.aggregate_types) == 1:
            return None
        value = self.query_one("#filter-type", Select).value
        return value if isinstance(value, str) else None

    @property
    def filter(self) -> EventFilter:
        aggregate_id = self.query_one("#filter-aggregate", Input).value.strip() or None
        text = self.query_one("#filter-text", Input).value or None
        choice = self.query_one("#filter-event", Select).value
        event_type = choice[1] if isinstance(choice, tuple) else None
        aggregate_type = self._chosen_type() or (choice[0] if isinstance(choice, tuple) else None)
        if aggregate_type is None and aggregate_id and len(self.aggregate_types) == 1:
            # (type, id) is the events' primary key: naming the type turns a scan into a seek
            aggregate_type = self.aggregate_types[0]
        return EventFilter(
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            event_type=event_type,
            text=text,
        )

    def set_filter(
        self,
        *,
        aggregate_id: str | None = None,
        event_type: EventChoice | None = None,
        text: str | None = None,
        aggregate_type: str | None = None,
    ) -> None:
        """Set the given parts (the others are kept) and apply at once."""
        if aggregate_id is not None:
            self.query_one("#filter-aggregate", Input).value = aggregate_id
        if event_type is not None:
            select = self.query_one("#filter-event", Select)
            options = {value for _, value in event_choices(self.domain)}
            if event_type not in options:
                event_type = (None, event_type[1])
            if event_type in options:
                select.value = event_type
        if text is not None:
            self.query_one("#filter-text", Input).value = text
        if aggregate_type is not None and len(self.aggregate_types) > 1:
            self.query_one("#filter-type", Select).value = aggregate_type
        self.apply()

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        for select in self.query(Select):
            select.clear()
        self.apply()

    def apply(self) -> None:
        """Post the filter now (if it changed)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        current = self.filter
        if current != self._posted:
            self._posted = current
            self.post_message(self.Changed(self, current))

    def on_mount(self) -> None:
        self._posted = self.filter

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self.apply)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()

    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        event.stop()
        self.apply()
