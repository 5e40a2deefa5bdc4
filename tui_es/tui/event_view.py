"""One event in full: what it is, when, why (correlation, causation), its payload and metadata."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui_es.tui.eventtext import AnyEvent, event_facts, event_title, pretty_json, stored_payload
from tui_es.tui.steady import Steady


class EventView(VerticalScroll, can_focus=False):
    """Shows an event, or a line saying why there is none."""

    DEFAULT_CSS = """
    EventView {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        &.-stacked #event-json { layout: vertical; }
        #event-facts { color: $text; }
        #event-json { height: auto; }
        .event-json {
            width: 1fr;
            height: auto;
            border: round $foreground 30%;
            border-title-color: $text-muted;
            padding: 0 1;
        }
        &.-empty #event-json { display: none; }
        &.-empty #event-facts { display: none; }
        #event-title.-message { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # the usual width (half a terminal): on_resize then changes nothing at the start
        self.add_class("-stacked")

    def compose(self) -> ComposeResult:
        yield Steady(id="event-title")
        yield Steady(id="event-facts")
        with Horizontal(id="event-json"):
            payload = Steady(id="event-payload", classes="event-json")
            payload.border_title = "payload"
            yield payload
            metadata = Steady(id="event-metadata", classes="event-json")
            metadata.border_title = "metadata"
            yield metadata

    def on_resize(self) -> None:
        # side by side only when each JSON block gets a readable width
        self.set_class(self.size.width < 100, "-stacked")

    def show(
        self,
        event: AnyEvent | None,
        message: str = "",
        *,
        problem: str | None = None,
        gap: str | None = None,
    ) -> None:
        """Show ``event``; with None, show ``message`` instead.

        ``problem`` says why the event cannot be decoded, ``gap`` which
        sequences of its aggregate are missing before it: shown first.
        """
        title = self.query_one("#event-title", Static)
        self.set_class(event is None, "-empty")
        title.set_class(event is None, "-message")
        if event is None:
            title.update(Content(message))
            return
        title.update(event_title(event))
        facts = event_facts(event)
        if problem is not None:
            warning = Content.from_markup("[b $text-error]⚠ cannot be read:[/] $p", p=problem)
            facts = Content("\n").join([warning, facts])
        elif gap is not None:
            warning = Content.from_markup(
                "[b $text-error]⚠ $g[/] — sequences are missing before this event, "
                "so its aggregate cannot be replayed past it",
                g=gap,
            )
            facts = Content("\n").join([warning, facts])
        self.query_one("#event-facts", Static).update(facts)
        self.query_one("#event-payload", Static).update(pretty_json(stored_payload(event)))
        self.query_one("#event-metadata", Static).update(pretty_json(event.metadata))
