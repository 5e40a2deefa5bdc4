"""The Event stream pane: the global log, live, filtered, searchable by position."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tui_es.es.application import Application
from tui_es.es.check import gap_before
from tui_es.es.codec import describe_row
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.store import NO_FILTER, EventFilter
from tui_es.tui.event_view import EventView
from tui_es.tui.messages import ShowAggregate
from tui_es.tui.pane import StorePane
from tui_es.tui.steady import Steady
from tui_es.tui.stream.columns import Widths
from tui_es.tui.stream.filters import FilterBar
from tui_es.tui.stream.lines import EventLines
from tui_es.tui.stream.window import LogWindow
from tui_es.tui.threads import call_ui

EVENT_WIDTH_MAX = 32

HELP = """\
# Event stream

The global log of the store, oldest at the top, **newest at the bottom**. It
reads only the rows on screen, so it is as quick on a million events as on ten.

- **Tail**: while the `TAIL` lamp is lit the view follows new events as they
  are committed, by this app or any other process. Moving up turns it off; the
  status line then counts the new events. `end` (or a click on the hint) goes
  back to the newest and tails again; `t` toggles it.
- **Filter** (`/`): by aggregate id (`→` accepts the suggestion), by event type, and by
  text anywhere in the payload JSON. `a` keeps only the selected event's
  aggregate, `e` only its event type, `x` clears the filter.
- **Details**: `enter` or a click shows the selected event's payload and
  metadata with its correlation and causation ids; `d` hides them.
- **Go to a position** (`p`): type a global position; the view scrolls to it
  and selects it.
- **Time travel** (`o`): open the selected event's aggregate at that event's
  version.

Events this dashboard committed are highlighted. A row marked `⚠` cannot be
replayed: it does not decode (the reason follows), or sequences of its aggregate
are missing before it (`a gap: expected sequence n`, as `tui-es check` says).

| Key | Action |
|---|---|
| `↑` `↓` / `k` `j` | previous / next event |
| `pgup` `pgdn` | a page up / down |
| `home` `g` / `end` `G` | oldest / newest (and tail) |
| `enter` | show details |
| `d` | show / hide details |
| `t` | tail on / off |
| `/` | filter |
| `a` / `e` / `x` | filter by this aggregate / this event type / clear |
| `p` | go to a position |
| `o` | open in Time travel |
"""


class EventStreamPane(StorePane):
    TITLE: ClassVar[str] = "Event stream"
    HELP: ClassVar[str] = HELP
    DEFAULT_FOCUS: ClassVar[str] = "EventLines"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "toggle_tail", "Tail"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("p", "goto", "Go to #"),
        Binding("o", "open_aggregate", "Time travel"),
        Binding("d", "toggle_detail", "Details", show=False),
        Binding("a", "filter_aggregate", "This aggregate", show=False),
        Binding("e", "filter_event_type", "This type", show=False),
        Binding("x", "clear_filter", "Clear filter", show=False),
        Binding("escape", "back", "Back", show=False),
    ]

    DEFAULT_CSS = """
    EventStreamPane {
        layout: vertical;
        height: 1fr;
        #stream-detail {
            display: none;
            height: 45%;
            min-height: 8;
            border-top: solid $foreground 20%;
        }
        &.-detail #stream-detail { display: block; }
        #stream-goto { display: none; }
        #stream-status { height: 1; }
        #stream-count { width: 1fr; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
        #stream-hint { width: auto; color: $text-warning; text-style: bold; margin-right: 2; }
        #stream-tail { width: auto; color: $text-muted; }
        #stream-tail.-on { color: $text-success; text-style: bold; }
    }
    """

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(application, id=id, classes=classes)
        self.window: LogWindow | None = None
        self._known_head = 0
        self._unseen = 0  # events that arrived while the tail was off
        self._indexing: int | None = None  # rows indexed so far, while a filtered view is indexed
        self._pending_jump: int | None = None
        self._jump_focus = False

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        domain = self.application.domain
        # The rows come first so that they are first in the focus chain; the bar docks on top.
        yield EventLines(self._widths(), check=self._damage, gap_check=self._gap, id="stream-lines")
        yield FilterBar(domain, self.application.store, id="stream-filter")
        yield EventView(id="stream-detail")
        with Horizontal(id="stream-status"):
            yield Steady(id="stream-count")
            yield Steady(id="stream-hint")
            yield Steady(id="stream-tail", classes="-on")
        yield Input(placeholder="go to position", type="integer", compact=True, id="stream-goto")

    def _widths(self) -> Widths:
        aggregates = self.application.domain.aggregates
        events_ = [f"{t.type_name()}@{t.event_version}" for a in aggregates for t in a.events]
        return Widths(
            aggregate_type=max((len(a.aggregate_type) for a in aggregates), default=4),
            event=min(max((len(e) for e in events_), default=12), EVENT_WIDTH_MAX),
        )

    def _damage(self, event: SerializedEvent) -> str | None:
        """Why a stored row cannot be decoded (upcasters applied), or None if it can."""
        try:
            self.application.codec.check(event)
        except Exception as e:
            return str(e).removeprefix(describe_row(event) + ": ")
        if not isinstance(event.metadata, dict):
            return "the metadata is not valid JSON"
        if not all(isinstance(v, str) for v in event.metadata.values()):
            return "the metadata is not a JSON object of strings"
        return None

    def _gap(self, event: SerializedEvent) -> str | None:
        """The gap in its aggregate's sequences the row follows, as ``check`` names it.

        One indexed lookup of the sequence before (a worker thread calls this).
        """
        return gap_before(
            self.application.store, event.aggregate_type, event.aggregate_id, event.sequence
        )

    @property
    def lines(self) -> EventLines:
        return self.query_one(EventLines)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def selected(self) -> SerializedEvent | None:
        """The event under the cursor, if it is in memory."""
        lines = self.lines
        if self.window is None or lines.cursor is None:
            return None
        return self.window.get(lines.cursor)

    def on_mount(self) -> None:
        self._update_status()
        self._reopen(NO_FILTER)

    # -- the app's hooks ---------------------------------------------------------------------
    def store_changed(self, head: int) -> None:
        self._known_head = max(self._known_head, head)
        window = self.window
        if window is not None and window.opened and head > window.head:
            self._extend(window, head)

    def events_committed(self, envelopes: list[EventEnvelope]) -> None:
        positions = {e.position for e in envelopes if e.position is not None}
        if positions:
            self.lines.mark_committed(positions)
            self.store_changed(max(positions))

    def show_position(self, position: int, *, focus: bool = False) -> None:
        """Scroll to the event at a global position and select it (focus stays where it is)."""
        self._pending_jump = position
        self._jump_focus = focus
        window = self.window
        if window is not None and window.opened:
            self._jump(window, position, focus)

    # -- opening a view ----------------------------------------------------------------------
    def _reopen(self, filter: EventFilter, keep: int | None = None) -> None:
        """Open a new window on ``filter``; select position ``keep`` in it if it is there."""
        self._open(LogWindow(self.application.store, filter), keep)

    @work(thread=True, exclusive=True, group="stream-open", exit_on_error=False)
    def _open(self, window: LogWindow, keep: int | None) -> None:
        worker = get_current_worker()
        try:
            window.open()
            if worker.is_cancelled:
                return
            call_ui(self, self._opened, window, keep is not None)
            if not window.indexed:
                window.scan(
                    lambda: worker.is_cancelled, lambda n: call_ui(self, self._scanning, window, n)
                )
            if worker.is_cancelled:
                return
            located = window.locate(keep) if keep is not None and window.indexed else None
        except Exception as error:
            self._failed("Could not read the log", error)
            return
        call_ui(self, self._scanned, window, located)

    def _opened(self, window: LogWindow, keeping: bool) -> None:
        self.window = window
        self._indexing = None if window.indexed else 0
        # While the selected event is being looked for, show the newest rows: most
        # often it is among them, and the newest are readable before the index is.
        self.lines.show_window(window, at_end=keeping)
        self._update_status()
        if self._known_head > window.head:
            self._extend(window, self._known_head)
        if self._pending_jump is not None:
            self._jump(window, self._pending_jump, self._jump_focus)

    def _scanning(self, window: LogWindow, scanned: int) -> None:
        if window is self.window:
            self._indexing = scanned
            self._update_status()

    def _scanned(self, window: LogWindow, located: tuple[int, bool] | None) -> None:
        if window is not self.window:
            return
        self._indexing = None
        self.lines.rows_changed()
        if located is not None and not self.lines.tail:
            index, exact = located
            if exact:
                self.lines.move_cursor(index, center=True)
            else:
                # the selected event is filtered out: stay at the same place in the log
                self.lines.scroll_to_row(index, center=True)
        self._update_status()

    # -- growing -----------------------------------------------------------------------------
    @work(thread=True, group="stream-extend", exit_on_error=False)
    def _extend(self, window: LogWindow, head: int) -> None:
        try:
            added = window.extend(head)
        except Exception as error:
            self._failed("Could not read new events", error)
            return
        call_ui(self, self._extended, window, added)

    def _extended(self, window: LogWindow, added: int | None) -> None:
        if window is not self.window:
            return
        if added is None:
            # Too much arrived at once (or the log has a gap): recount rather than read it all.
            selected = self.selected
            self._reopen(window.filter, selected.position if selected else None)
            return
        if added:
            if not self.lines.tail:
                self._unseen += added
            self.lines.grew(added)
            self._update_status()

    # -- jumping -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="stream-jump", exit_on_error=False)
    def _jump(self, window: LogWindow, position: int, focus: bool) -> None:
        worker = get_current_worker()
        try:
            if position > window.head:
                # just committed (the app jumps to what a command wrote): take it in first
                added = window.extend(self.application.store.head_position())
                call_ui(self, self._extended, window, added)
            if not window.scan(lambda: worker.is_cancelled):
                return
            located = window.locate(position)
            if located is not None:
                # Read here the rows the jump brings on screen (those the rows would ask
                # for themselves): the first frame after the jump then draws them, instead
                # of a frame without them and, a frame or two later, another with them.
                lines = self.lines
                first, last = lines.rows_wanted(lines.centred_top(located[0]))
                window.load(first, last, lambda: worker.is_cancelled)
        except Exception as error:
            self._failed(f"Could not go to position {position}", error)
            if focus:
                call_ui(self, self._goto_done)
            return
        if not worker.is_cancelled:
            call_ui(self, self._jumped, window, position, located, focus)

    def _goto_done(self) -> None:
        """The jump the go-to field asked for is over: the field goes, the rows take the focus."""
        self._show_goto(False)
        self.lines.focus()

    def _jumped(
        self, window: LogWindow, position: int, located: tuple[int, bool] | None, focus: bool
    ) -> None:
        if focus and (window is not self.window or located is None):
            self._goto_done()
        if window is not self.window:
            return
        self._pending_jump = None
        if located is None:
            self.notify("No events in this view.", title="Go to position", severity="warning")
            return
        index, exact = located
        if not exact:
            where = "in the log" if window.filter.empty else "in this filtered view"
            self.notify(
                f"No event at position {position} {where}; selected the nearest.",
                title="Go to position",
                severity="warning",
                markup=False,
            )
        lines = self.lines
        lines.tail = index == window.count - 1 and lines.tail
        lines.move_cursor(index, center=True)
        self.add_class("-detail")
        self._show_detail()
        if focus:
            self._goto_done()

    # -- selection and details ---------------------------------------------------------------
    @on(EventLines.CursorMoved)
    def _cursor_moved(self, event: EventLines.CursorMoved) -> None:
        event.stop()
        self._show_detail()
        self._update_status()

    @on(EventLines.RowsLoaded)
    def _rows_loaded(self, event: EventLines.RowsLoaded) -> None:
        event.stop()
        self._show_detail()
        self._update_status()

    @on(EventLines.Activated)
    def _activated(self, event: EventLines.Activated) -> None:
        event.stop()
        self.add_class("-detail")
        self._show_detail()

    @on(EventLines.TailChanged)
    def _tail_changed(self, event: EventLines.TailChanged) -> None:
        event.stop()
        if event.tail:
            self._unseen = 0
        self._update_status()

    @on(EventLines.LoadFailed)
    def _load_failed(self, event: EventLines.LoadFailed) -> None:
        event.stop()
        self._failed("Could not read events", event.error)

    def _show_detail(self) -> None:
        if not self.has_class("-detail"):
            return
        view = self.query_one(EventView)
        event = self.selected
        if event is not None:
            lines = self.lines
            problem = lines.unreadable(event)
            view.show(event, problem=problem, gap=None if problem else lines.gap(event))
        elif self.lines.cursor is None:
            view.show(None, "Select an event (↑ ↓ or a click) to see its payload and metadata.")
        elif view.has_class("-empty"):
            view.show(None, "Reading…")
        # else: the event shown stays until the selected one is read (a few milliseconds):
        # blanking it in between would lay the screen out twice per move

    # -- status line -------------------------------------------------------------------------
    def _update_status(self) -> None:
        window = self.window
        count = self.query_one("#stream-count", Static)
        if window is None or not window.opened:
            count.update(Content("Reading the log…"))
        else:
            noun = "event" if window.count == 1 else "events"
            text = f"{window.count:,} {noun}" + ("" if window.filter.empty else " match the filter")
            if self._indexing is not None:
                text += f" · indexing {self._indexing:,}…"
            cursor = self.lines.cursor
            selected = window.get(cursor) if cursor is not None else None
            if selected is not None:
                text += f" · #{selected.position} selected"
            count.update(Content(text))
        tail = self.lines.tail
        lamp = self.query_one("#stream-tail", Static)
        lamp.set_class(tail, "-on")
        lamp.update(Content("● TAIL" if tail else "○ tail off"))
        hint = self.query_one("#stream-hint", Static)
        unseen = 0 if tail else self._unseen
        hint.display = unseen > 0
        hint.update(Content(f"▼ {unseen:,} new event{'s' if unseen != 1 else ''} (end)"))

    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        if widget is None:
            return
        if widget.id == "stream-tail":
            self.action_toggle_tail()
        elif widget.id == "stream-hint":
            self.lines.action_last()

    # -- filtering ---------------------------------------------------------------------------
    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        event.stop()
        selected = self.selected
        self._reopen(event.filter, selected.position if selected else None)

    def action_focus_filter(self) -> None:
        self.query_one("#filter-aggregate", Input).focus()

    def action_filter_aggregate(self) -> None:
        event = self.selected
        if event is None:
            self.app.bell()
            return
        self.filter_bar.set_filter(
            aggregate_id=event.aggregate_id, aggregate_type=event.aggregate_type
        )

    def action_filter_event_type(self) -> None:
        event = self.selected
        if event is None:
            self.app.bell()
            return
        self.filter_bar.set_filter(event_type=(event.aggregate_type, event.event_type))

    def action_clear_filter(self) -> None:
        self.filter_bar.clear()

    # -- other actions -----------------------------------------------------------------------
    def action_toggle_tail(self) -> None:
        lines = self.lines
        if lines.tail:
            lines.tail = False
        else:
            lines.action_last()

    def action_toggle_detail(self) -> None:
        self.toggle_class("-detail")
        self._show_detail()

    @property
    def goto_field(self) -> Input:
        return self.query_one("#stream-goto", Input)

    def _show_goto(self, shown: bool) -> None:
        # The field's own display, not a class on the pane: a class change on the pane
        # restyles every widget in it.
        self.goto_field.display = shown

    def action_goto(self) -> None:
        goto = self.goto_field
        goto.value = ""
        self._show_goto(True)
        goto.focus()

    @on(Input.Submitted, "#stream-goto")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self._goto_done()
            return
        try:
            position = int(text)
        except ValueError:
            self._show_goto(False)
            self.notify(
                f"{text!r} is not a position.",
                title="Go to position",
                severity="error",
                markup=False,
            )
            return
        # The field stays, showing the position asked for, until the jump lands: the row,
        # the field going and the focus moving to the rows then come in the same frame.
        self.show_position(position, focus=True)

    @on(Input.Blurred, "#stream-goto")
    def _goto_blurred(self, event: Input.Blurred) -> None:
        self._show_goto(False)

    def action_back(self) -> None:
        if self.goto_field.display:
            self._goto_done()
        elif isinstance(self.app.focused, Input):
            self.lines.focus()
        elif self.has_class("-detail"):
            self.remove_class("-detail")

    def action_open_aggregate(self) -> None:
        event = self.selected
        if event is None:
            self.app.bell()
            return
        self.post_message(ShowAggregate(event.aggregate_type, event.aggregate_id, event.sequence))

    # -- errors ------------------------------------------------------------------------------
    def _failed(self, what: str, error: Exception) -> None:
        """Report a failed read from any thread; the pane keeps what it shows."""
        self.notify(f"{what}: {error}", title=self.TITLE, severity="error", timeout=8, markup=False)
