"""The log as a Line-API widget: it draws only the rows on screen and reads only their pages.

In the style of Toolong's ``LogLines``: the virtual height is the number of
events in the view, ``render_line`` draws one row from the window's memory,
and rows not in memory show as placeholders while a thread worker reads their
page (and a page either side) by keyset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollTo, ScrollUp
from textual.strip import Strip
from textual.worker import get_current_worker

from tui_es.es.envelope import SerializedEvent
from tui_es.tui.stream.columns import Column, Widths, header, layout, placeholder, row
from tui_es.tui.stream.window import LogWindow
from tui_es.tui.threads import call_ui

HEADER_LINES = 1
ID_WIDTH_MAX = 24


class EventLines(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of a :class:`LogWindow` under a header line, with a cursor and a tail mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "Oldest", show=False),
        Binding("end,G", "last", "Newest + tail", show=False),
        Binding("enter", "activate", "Details"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-lines--header",
        "event-lines--cursor",
        "event-lines--cursor-blurred",
        "event-lines--committed",
        "event-lines--placeholder",
        "event-lines--position",
        "event-lines--time",
        "event-lines--aggregate",
        "event-lines--event",
        "event-lines--summary",
        "event-lines--damaged",
    }

    DEFAULT_CSS = """
    EventLines {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        & > .event-lines--header { color: $text-muted; text-style: bold; background: $panel; }
        & > .event-lines--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
        & > .event-lines--cursor-blurred { background: $block-cursor-blurred-background; }
        & > .event-lines--committed { background: $success-muted; }
        & > .event-lines--placeholder { color: $text-disabled; }
        & > .event-lines--position { color: $text-accent; }
        & > .event-lines--time { color: $text-muted; }
        & > .event-lines--aggregate { color: $text; }
        & > .event-lines--event { color: $text-primary; }
        & > .event-lines--summary { color: $text-secondary; }
        & > .event-lines--damaged { color: $text-error; text-style: bold; }
    }
    """

    tail: reactive[bool] = reactive(True, init=False)
    """Follow the newest event as events arrive."""

    @dataclass
    class CursorMoved(Message):
        lines: EventLines
        index: int | None

    @dataclass
    class Activated(Message):
        """Enter or a click on a row: show its details."""

        lines: EventLines
        index: int

    @dataclass
    class TailChanged(Message):
        lines: EventLines
        tail: bool

    @dataclass
    class RowsLoaded(Message):
        lines: EventLines

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EventLines.RowsLoaded)

    @dataclass
    class LoadFailed(Message):
        lines: EventLines
        error: Exception

    def __init__(
        self,
        widths: Widths,
        *,
        check: Callable[[SerializedEvent], str | None] | None = None,
        gap_check: Callable[[SerializedEvent], str | None] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.check = check
        """Why a row cannot be decoded (None if it can): such rows are marked."""
        self.gap_check = gap_check
        """The gap in its aggregate's sequences a row follows (None if none): marked too.

        It reads the store, so it runs in a worker, once per row drawn (remembered).
        """
        self._damage: LRUCache[int, str | None] = LRUCache(4096)
        self._gaps: LRUCache[int, str | None] = LRUCache(4096)
        self._gaps_wanted: dict[int, SerializedEvent] = {}  # drawn, not yet checked
        self._gaps_asked: set[int] = set()  # being checked by a worker
        self.window: LogWindow | None = None
        self.cursor: int | None = None
        self.committed: set[int] = set()
        """Positions this app committed: highlighted."""
        self._widths = widths
        self._columns: tuple[tuple[int, Widths], list[Column]] | None = None
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(512)
        self._attempted: tuple[Any, ...] | None = None
        self._styles: dict[str, Style] = {}

    # -- what is shown ---------------------------------------------------------------
    def damage(self, event: SerializedEvent) -> str | None:
        """Why ``event`` is marked: it cannot be decoded, or it follows a gap; else None."""
        problem = self.unreadable(event)
        return self.gap(event) if problem is None else problem

    def gap(self, event: SerializedEvent) -> str | None:
        """The gap ``event`` follows in its aggregate's sequences, if known (None until checked).

        A row drawn whose answer is not known yet is checked by a worker after
        the frame; the row is drawn again when the answer comes.
        """
        key = event.position
        if self.gap_check is None or key is None or event.sequence <= 1:
            return None
        if key in self._gaps:
            return self._gaps[key]
        if key not in self._gaps_asked:
            self._gaps_wanted[key] = event
        return None

    def unreadable(self, event: SerializedEvent) -> str | None:
        """Why ``event`` cannot be decoded, or None (remembered by position)."""
        if self.check is None:
            return None
        key = event.position
        if key is not None and key in self._damage:
            return self._damage[key]
        try:
            problem = self.check(event)
        except Exception as e:  # a check that fails still marks the row, never the app
            problem = f"{type(e).__name__}: {e}"
        if key is not None:
            self._damage[key] = problem
        return problem

    def show_window(
        self, window: LogWindow, cursor: int | None = None, *, at_end: bool = False
    ) -> None:
        """Show another window (a new filter, or a recount); the cursor moves to ``cursor``.

        Without the tail and a cursor the view starts at the top, or at the end if ``at_end``.
        """
        self.window = window
        self._attempted = None
        self._strips.clear()
        self._gaps.clear()  # a new look at the log: rows may have gone (or come back) since
        self._widen(position=len(str(window.head)))
        self._update_virtual_size()
        if cursor is None or window.count == 0:
            self.cursor = None
        else:
            self.cursor = min(max(cursor, 0), window.count - 1)
        if self.tail:
            self.scroll_end(animate=False, immediate=True)
        elif self.cursor is not None:
            self.scroll_to_row(self.cursor, center=True)
        elif at_end:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_home(animate=False, immediate=True)
        self.refresh()
        self.post_message(self.CursorMoved(self, self.cursor))

    def grew(self, added: int) -> None:
        """The window took in ``added`` events at its end."""
        if self.window is None or added <= 0:
            return
        was_last = self.cursor is not None and self.cursor == self.window.count - added - 1
        self._widen(position=len(str(self.window.head)))
        self._update_virtual_size()
        if self.tail:
            if was_last:
                self.cursor = self.window.count - 1
                self.post_message(self.CursorMoved(self, self.cursor))
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    def rows_changed(self) -> None:
        """Rows arrived in memory, or the window was indexed: draw them."""
        self._update_virtual_size()
        self._strips.clear()
        self.refresh()

    def mark_committed(self, positions: set[int]) -> None:
        self.committed |= positions
        self._strips.clear()
        self.refresh()

    @property
    def rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_LINES)

    def centred_top(self, index: int) -> int:
        """The first row on screen when row ``index`` is shown in the middle."""
        return max(0, index - self.rows_visible // 2)

    def rows_wanted(self, top: int) -> tuple[int, int]:
        """The rows worth having read with ``top`` first on screen: a screen either side too."""
        height = self.rows_visible
        return top - height, top + 2 * height

    def scroll_to_row(self, index: int, *, center: bool = False) -> None:
        top = self.scroll_offset.y
        height = self.rows_visible
        if center:
            self.scroll_to(y=self.centred_top(index), animate=False, immediate=True)
        elif index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def move_cursor(self, index: int | None, *, center: bool = False) -> None:
        if self.window is None or self.window.count == 0:
            index = None
        elif index is not None:
            index = min(max(index, 0), self.window.count - 1)
        if index is not None:
            self.scroll_to_row(index, center=center)
            # read the rows now, not when the next frame draws: after a jump that frame
            # may wait for a layout (a field hidden, the footer's keys) before it draws
            self._request_rows()
        if index != self.cursor:
            self.cursor = index
            self._strips.clear()
            self.refresh()
            self.post_message(self.CursorMoved(self, index))

    # -- tail --------------------------------------------------------------------------------
    def watch_tail(self, tail: bool) -> None:
        if tail:
            self.scroll_end(animate=False, immediate=True)
        self.post_message(self.TailChanged(self, tail))

    def _leave_tail(self) -> None:
        self.tail = False

    # -- actions -----------------------------------------------------------------------------
    def _start_row(self) -> int:
        """Where the cursor starts when there is none: the newest row on screen."""
        window_count = self.window.count if self.window else 0
        return min(self.scroll_offset.y + self.rows_visible - 1, window_count - 1)

    def action_cursor_up(self) -> None:
        self._leave_tail()
        start = self._start_row() + 1 if self.cursor is None else self.cursor
        self.move_cursor(start - 1)

    def action_cursor_down(self) -> None:
        if self.cursor is None:
            self.move_cursor(self._start_row())
        else:
            self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self._leave_tail()
        start = self._start_row() if self.cursor is None else self.cursor
        self.scroll_to(
            y=max(0, self.scroll_offset.y - self.rows_visible), animate=False, immediate=True
        )
        self.move_cursor(start - self.rows_visible)

    def action_page_down(self) -> None:
        start = self._start_row() if self.cursor is None else self.cursor
        self.scroll_to(y=self.scroll_offset.y + self.rows_visible, animate=False, immediate=True)
        self.move_cursor(start + self.rows_visible)

    def action_first(self) -> None:
        self._leave_tail()
        self.scroll_home(animate=False, immediate=True)
        self.move_cursor(0)

    def action_last(self) -> None:
        if self.window is not None and self.window.count:
            self.move_cursor(self.window.count - 1)
        self.tail = True

    def action_activate(self) -> None:
        if self.cursor is None:
            self.move_cursor(self._start_row())
        if self.cursor is not None:
            self.post_message(self.Activated(self, self.cursor))

    # -- mouse -------------------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        if self.window is None or event.y < HEADER_LINES:
            return
        index = self.scroll_offset.y + event.y - HEADER_LINES
        if 0 <= index < self.window.count:
            if index != self.window.count - 1:
                self._leave_tail()
            self.move_cursor(index)
            self.post_message(self.Activated(self, index))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._leave_tail()

    def on_scroll_up(self, event: ScrollUp) -> None:
        self._leave_tail()

    def on_scroll_to(self, event: ScrollTo) -> None:
        if event.y is not None and event.y < self.max_scroll_y:
            self._leave_tail()

    def on_focus(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._update_virtual_size()
        if self.tail:
            self.scroll_end(animate=False, immediate=True)
        elif self.cursor is not None:
            # the details opening below must not hide the row they describe
            self.scroll_to_row(self.cursor)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    # -- drawing -----------------------------------------------------------------------------
    def _update_virtual_size(self) -> None:
        count = self.window.count if self.window else 0
        self.virtual_size = Size(self.scrollable_content_region.width, count + HEADER_LINES)

    def _widen(self, *, position: int = 0, aggregate_id: int = 0) -> None:
        widths = self._widths
        grown = Widths(
            position=max(widths.position, position),
            aggregate_type=widths.aggregate_type,
            aggregate_id=max(widths.aggregate_id, min(aggregate_id, ID_WIDTH_MAX)),
            sequence=widths.sequence,
            event=widths.event,
        )
        if grown != widths:
            self._widths = grown
            self._strips.clear()

    def columns(self) -> list[Column]:
        width = self.scrollable_content_region.width
        key = (width, self._widths)
        if self._columns is None or self._columns[0] != key:
            self._columns = (key, layout(width, self._widths))
        return self._columns[1]

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(
                f"event-lines--{name}", partial=True
            )
        return style

    def _cell_style(self, key: str) -> Style:
        name = {"aggregate_type": "aggregate", "aggregate_id": "aggregate", "sequence": "time"}
        return self._style(name.get(key, key))

    def render_lines(self, crop: Any) -> list[Strip]:
        self._request_rows()
        lines = super().render_lines(crop)
        self._request_gaps()
        return lines

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < HEADER_LINES:
            text = header(self.columns())
            text.stylize_before(base + self._style("header"))
            return Strip(list(text.render(self.app.console))).adjust_cell_length(
                width, base + self._style("header")
            )
        window = self.window
        index = self.scroll_offset.y + y - HEADER_LINES
        if window is None or index >= window.count:
            return Strip.blank(width, base)
        event = window.get(index)
        is_cursor = index == self.cursor
        committed = event is not None and event.position in self.committed
        key = (
            id(window),
            index,
            None if event is None else event.position,
            width,
            is_cursor,
            self.has_focus,
            committed,
        )
        strip = self._strips.get(key)
        if strip is not None:
            return strip
        columns = self.columns()
        if event is None:
            text = placeholder(
                index + 1 if window.dense else None, columns, self._style("placeholder")
            )
        else:
            if len(event.aggregate_id) > self._widths.aggregate_id < ID_WIDTH_MAX:
                self._widen(aggregate_id=len(event.aggregate_id))
                self.call_after_refresh(self.refresh)
            damaged = self.damage(event)
            text = row(event, columns, self._cell_style, damaged)
            if damaged is not None:
                text.stylize(self._style("damaged"))
        text.stylize_before(base)
        pad = base
        if committed:
            highlight = Style(bgcolor=self._style("committed").bgcolor)
            text.stylize(highlight)
            pad += highlight
        if is_cursor:
            cursor = self._style("cursor" if self.has_focus else "cursor-blurred")
            text.stylize(cursor)
            pad += cursor
        strip = Strip(list(text.render(self.app.console))).adjust_cell_length(width, pad)
        self._strips[key] = strip
        return strip

    # -- reading -----------------------------------------------------------------------------
    def _request_rows(self) -> None:
        """Ask for the rows on screen and a page either side, unless already asked."""
        window = self.window
        if window is None or window.count == 0:
            return
        first, last = self.rows_wanted(self.scroll_offset.y)
        if not window.missing(first, last):
            return
        page = window.page_size
        key = (id(window), first // page, last // page, window.indexed, window.count)
        if key == self._attempted:
            return
        self._attempted = key
        self.call_later(self._fetch, window, first, last)

    @work(thread=True, exclusive=True, group="event-lines-rows", exit_on_error=False)
    def _fetch(self, window: LogWindow, first: int, last: int) -> None:
        worker = get_current_worker()
        try:
            changed = window.load(first, last, lambda: worker.is_cancelled)
        except Exception as error:
            self.post_message(self.LoadFailed(self, error))
            return
        if changed and not worker.is_cancelled:
            call_ui(self, self._fetched, window)

    def _fetched(self, window: LogWindow) -> None:
        if window is self.window:
            self._strips.clear()
            self.refresh()
            self.post_message(self.RowsLoaded(self))

    # -- gaps ---------------------------------------------------------------------------------
    def _request_gaps(self) -> None:
        """Check the rows just drawn whose gap is not known: one worker for them all."""
        if not self._gaps_wanted:
            return
        events = list(self._gaps_wanted.values())
        self._gaps_wanted.clear()
        self._gaps_asked.update(e.position for e in events if e.position is not None)
        self.call_later(self._check_gaps, events)

    @work(thread=True, group="event-lines-gaps", exit_on_error=False)
    def _check_gaps(self, events: list[SerializedEvent]) -> None:
        """One lookup per row (see ``gap_check``), in a thread: the store may be a server.

        Not exclusive: each worker checks only rows no other is checking, and
        rows scrolled past are cheap to finish.
        """
        worker = get_current_worker()
        check = self.gap_check
        # a row whose sequence before is checked with it needs no lookup
        checking = {(e.aggregate_type, e.aggregate_id, e.sequence) for e in events}
        found: dict[int, str | None] = {}
        for event in events:
            if check is None or worker.is_cancelled:
                break  # the app is closing
            if event.position is None:
                continue
            if (event.aggregate_type, event.aggregate_id, event.sequence - 1) in checking:
                found[event.position] = None
                continue
            try:
                found[event.position] = check(event)
            except Exception:
                continue  # the store cannot be read now: asked again when next drawn
        call_ui(self, self._gaps_checked, events, found)

    def _gaps_checked(self, events: list[SerializedEvent], found: dict[int, str | None]) -> None:
        for event in events:
            self._gaps_asked.discard(event.position or 0)
        for position, problem in found.items():
            self._gaps[position] = problem
        if any(found.values()):
            self._strips.clear()
            self.refresh()
            self.post_message(self.RowsLoaded(self))  # the details may show a marked row
