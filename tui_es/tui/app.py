"""The dashboard: four panes over one application, a grid on big terminals, tabs on small ones."""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Container
from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Header, Tab, Tabs

from tui_es.es.application import Application
from tui_es.es.lab import SCENARIOS
from tui_es.es.store import EventStore
from tui_es.store.sql import SqlEventStore
from tui_es.store.watch import HeadWatcher
from tui_es.tui.commands import CommandsPane
from tui_es.tui.commands.trace import TraceScreen
from tui_es.tui.footer import DashboardFooter
from tui_es.tui.help import HelpScreen, describe_bindings, pane_bindings
from tui_es.tui.lab import LabScreen
from tui_es.tui.messages import EventsCommitted, ShowAggregate, ShowPosition, StoreChanged
from tui_es.tui.palette import DashboardCommands, PaletteCommand, binding_commands
from tui_es.tui.pane import StorePane
from tui_es.tui.projections import ProjectionsPane
from tui_es.tui.stream import EventStreamPane
from tui_es.tui.timetravel import TimeTravelPane

# Below this, four panes are too cramped to read: show one at a time, as tabs.
GRID_MIN_SIZE = Size(120, 36)

LayoutMode = Literal["auto", "grid", "tabs"]
LAYOUTS: tuple[tuple[LayoutMode, str], ...] = (
    ("grid", "All four panes at once"),
    ("tabs", "One pane at a time"),
    ("auto", "Grid from 120x36, tabs below"),
)

DASHBOARD_HELP = """\
**tui-es** shows one event-sourced domain on one event store.

- **Commands** sends commands to aggregates; what they decide is stored as events.
- **Event stream** is the global log, live: events written by any program show up.
- **Projections** are the read models folded from the events.
- **Time travel** replays one aggregate to any version.

Every command executed shows its **trace** under the outcome: load, handle,
commit and dispatch, with their values and timings (ctrl+o: full screen).
F6 opens the **scenario lab**: a conflict, a snapshot, drift, an upcast, a
stale read and a chain of commands, provoked on a scratch copy of the store.

On a terminal of 120x36 or more the four panes share the screen; on a smaller
one they are tabs. F2-F5 go to a pane, ctrl+p opens the command palette
(themes, rebuilds, time travel to any aggregate...), F1 shows the help of
the pane that has focus. Everything can be clicked.
"""


@dataclass(frozen=True, slots=True)
class PaneSlot:
    pane_id: str
    key: str


SLOTS = (
    PaneSlot("commands", "f2"),
    PaneSlot("stream", "f3"),
    PaneSlot("projections", "f4"),
    PaneSlot("timetravel", "f5"),
)
PANE_TITLES = ("Commands", "Event stream", "Projections", "Time travel")
PANES_GROUP = Binding.Group("Panes", compact=False)


class Dashboard(App[None]):
    """Four panes over one application; see ``DASHBOARD_HELP``."""

    # Absolute, so that a subclass defined elsewhere (tests, other front ends) finds it too.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tui-es"
    COMMANDS: ClassVar[set[type[Provider] | Any]] = App.COMMANDS | {DashboardCommands}

    # Priority: text areas bind f5-f7 for themselves, and the pane keys must work everywhere.
    # The footer shows the pane keys as one group, "f2 f3 f4 f5 Panes": each pane (or its tab)
    # shows its key, and the room is better spent on the keys of the focused pane.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True, tooltip="Help for the focused pane"),
        *(
            Binding(
                slot.key,
                f"show_pane('{slot.pane_id}')",
                title,
                priority=True,
                tooltip=f"Go to {title}",
                group=PANES_GROUP,
            )
            for slot, title in zip(SLOTS, PANE_TITLES, strict=True)
        ),
        Binding(
            "f6",
            "lab",
            "Lab",
            priority=True,
            tooltip="The scenario lab: conflicts, snapshots, upcasts... on a scratch copy",
        ),
    ]

    narrow: reactive[bool] = reactive(False, init=False)
    """Panes are tabs (the terminal is under 120x36, or the user asked for tabs)."""

    def __init__(
        self,
        application: Application,
        *,
        read_only: bool | None = None,
        poll_interval: float = 0.25,
    ) -> None:
        super().__init__()
        self.application = application
        self.read_only = application.store.read_only if read_only is None else read_only
        self.poll_interval = poll_interval
        self.head: int | None = None
        self.layout_mode: LayoutMode = "auto"
        self.current_pane = SLOTS[0].pane_id
        self._last_focus: dict[str, Widget] = {}
        self._stop_polling = threading.Event()
        # Kept, not queried: the app handles resizes while a modal screen (help, palette) is on top.
        self._panes: list[StorePane] = []
        self._tabs = Tabs(id="pane-tabs")
        self._container = Container(id="panes")
        self.title = f"tui-es · {application.domain.title}"
        location = getattr(application.store, "display_url", type(application.store).__name__)
        self.sub_title = f"{location} · read-only" if self.read_only else str(location)

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        self._panes = self.make_panes()
        self._tabs = Tabs(
            *(
                Tab(Content.assemble(p.TITLE, (f" {s.key.upper()}", "dim")), id=f"tab-{p.id}")
                for p, s in zip(self._panes, SLOTS, strict=True)
            ),
            id="pane-tabs",
        )
        yield self._tabs
        # the layout's classes before the first styling, not in a second pass over every widget
        self._apply_layout(self.size)
        with self._container:
            yield from self._panes
        yield DashboardFooter(compact=True)

    def make_panes(self) -> list[StorePane]:
        app = self.application
        return [
            CommandsPane(app, id="commands"),
            EventStreamPane(app, id="stream"),
            ProjectionsPane(app, id="projections"),
            TimeTravelPane(app, id="timetravel"),
        ]

    @property
    def panes(self) -> list[StorePane]:
        return list(self._panes)

    def pane(self, pane_id: str) -> StorePane:
        for pane in self._panes:
            if pane.id == pane_id:
                return pane
        raise KeyError(pane_id)

    def on_mount(self) -> None:
        for slot in SLOTS:
            pane = self.pane(slot.pane_id)
            pane.border_title = pane.TITLE
            pane.border_subtitle = slot.key.upper()
        self._apply_layout(self.size)
        self.call_after_refresh(self._focus_pane, self.current_pane)
        self._report_catch_up()
        self._poll()

    def _report_catch_up(self) -> None:
        """Say so if the projections could not catch up when the store was opened."""
        problem = self.application.catch_up_problem
        if problem is None:
            return
        self.notify(
            f"{problem}\nEach command first folds what the views miss, and fails while it "
            "cannot; the log can still be read.",
            title="The views are behind",
            severity="error",
            timeout=30,
            markup=False,
        )

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size)

    def _apply_layout(self, size: Size) -> None:
        if self.layout_mode == "auto":
            self.narrow = size.width < GRID_MIN_SIZE.width or size.height < GRID_MIN_SIZE.height
        else:
            self.narrow = self.layout_mode == "tabs"
        # Only classes change: every pane stays mounted, so a resize loses nothing typed or selected.
        self._container.set_class(self.narrow, "-tabs")
        self._container.set_class(not self.narrow, "-grid")
        self._tabs.display = self.narrow
        self._mark_active()

    def watch_narrow(self, narrow: bool) -> None:
        if narrow:
            # The focused widget may sit in a pane that is now hidden behind a tab.
            self.call_after_refresh(self._reveal_focus)

    def _mark_active(self) -> None:
        for pane in self.panes:
            pane.set_class(pane.id == self.current_pane, "-active")
        tabs = self._tabs
        wanted = f"tab-{self.current_pane}"
        if tabs.active != wanted and tabs.query(f"#{wanted}"):
            tabs.active = wanted

    def _reveal_focus(self) -> None:
        pane = self.pane_of(self.focused)
        if pane is not None and pane.id is not None and pane.id != self.current_pane:
            self.reveal(pane.id)

    def set_layout(self, mode: LayoutMode) -> None:
        self.layout_mode = mode
        self._apply_layout(self.size)

    # -- panes and focus --------------------------------------------------------------------------
    @staticmethod
    def pane_of(widget: Widget | None) -> StorePane | None:
        node: Any = widget
        while node is not None:
            if isinstance(node, StorePane):
                return node
            node = node.parent
        return None

    def reveal(self, pane_id: str) -> None:
        """Make the pane visible (its tab, when panes are tabs), without moving focus."""
        self.current_pane = pane_id
        self._mark_active()

    def _close_overlays(self) -> None:
        """Back to the panes: close the help, the lab and the full-screen trace."""
        while len(self.screen_stack) > 1 and isinstance(
            self.screen, HelpScreen | LabScreen | TraceScreen
        ):
            self.pop_screen()

    def action_show_pane(self, pane_id: str) -> None:
        self._close_overlays()
        self.reveal(pane_id)
        self.call_after_refresh(self._focus_pane, pane_id)

    def _focus_pane(self, pane_id: str) -> None:
        """Focus where the user was in the pane, else its main widget, else its first input."""
        if self.screen is not self.screen_stack[0]:
            return  # a dialog is open: its focus is not ours to move
        pane = self.pane(pane_id)
        chain = self.screen.focus_chain
        remembered = self._last_focus.get(pane_id)
        if remembered is not None and remembered in chain:
            remembered.focus()
            return
        selector = getattr(pane, "DEFAULT_FOCUS", None)
        if isinstance(selector, str):
            target = next(iter(pane.query(selector)), None)
            if target is not None and target in chain:
                target.focus()
                return
        inside = [w for w in chain if pane in w.ancestors]
        if inside:
            inside[0].focus()
        else:
            self.set_focus(None)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = self.pane_of(event.widget)
        if pane is None or pane.id is None:
            return
        self._last_focus[pane.id] = event.widget
        if pane.id != self.current_pane:
            self.reveal(pane.id)

    def on_click(self, event: events.Click) -> None:
        # A click on a pane's background (a title, a hint) still means "work here".
        pane = self.pane_of(event.widget)
        if pane is not None and pane.id is not None and self.pane_of(self.focused) is not pane:
            self.action_show_pane(pane.id)

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        tab_id = event.tab.id or ""
        if tab_id != self._tabs.active:
            return  # stale: the pane keys moved the tabs on since this was posted
        pane_id = tab_id.removeprefix("tab-")
        if pane_id == self.current_pane:
            return
        self.reveal(pane_id)
        focused = self.focused
        if focused is not None and not isinstance(focused, Tabs):
            self.call_after_refresh(self._focus_pane, pane_id)

    # -- help ---------------------------------------------------------------------------------------
    def focused_pane(self) -> StorePane:
        return self.pane_of(self.focused) or self.pane(self.current_pane)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        if isinstance(self.screen, LabScreen | TraceScreen):
            screen = self.screen
            inside, everywhere = pane_bindings(self, screen)
            self.push_screen(
                HelpScreen(
                    screen.TITLE or "Dashboard",
                    screen.HELP,
                    describe_bindings(self, inside),
                    describe_bindings(self, everywhere),
                    about=DASHBOARD_HELP,
                )
            )
            return
        pane = self.focused_pane()
        inside, everywhere = pane_bindings(self, pane)
        text = pane.HELP or ""
        self.push_screen(
            HelpScreen(
                pane.TITLE or "Dashboard",
                text,
                describe_bindings(self, inside),
                describe_bindings(self, everywhere),
                about=DASHBOARD_HELP,
            )
        )

    # -- the scenario lab ----------------------------------------------------------------------------
    def action_lab(self, scenario: str | None = None) -> None:
        """Open the scenario lab (F6 again closes it), on a scenario if one is named."""
        if isinstance(self.screen, LabScreen) and scenario is None:
            self.screen.dismiss()
            return
        self._close_overlays()
        commands = self.pane("commands")
        history = getattr(commands, "history", None)
        recent = history[0] if history is not None and len(history) else None
        self.push_screen(LabScreen(self.application, scenario=scenario, recent=recent))

    # -- the store ----------------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="poll", description="watch the head of the log")
    def _poll(self) -> None:
        """Follow the head of the log; another process may be writing to it.

        On PostgreSQL a LISTEN wakes this at once when anyone commits;
        elsewhere (and as a fallback) it reads the head four times a second (one
        indexed lookup each): a follower sees a commit within a quarter of a second.
        """
        store = self.application.store
        watcher = HeadWatcher(store) if isinstance(store, SqlEventStore) else None
        if watcher is not None and watcher.mode != "listen/notify":
            watcher.close()
            watcher = None
        try:
            self._follow(store, watcher)
        finally:
            if watcher is not None:
                watcher.close()

    def _follow(self, store: EventStore, watcher: HeadWatcher | None) -> None:
        last: int | None = None
        failing: str | None = None
        while not self._stop_polling.is_set():
            try:
                head = store.head_position()
            except Exception as e:
                message = f"{type(e).__name__}: {e}"
                if message != failing:
                    failing = message
                    self.call_from_thread(
                        self.notify, message, title="Cannot read the store", severity="error"
                    )
            else:
                if failing is not None:
                    failing = None
                    self.call_from_thread(self.notify, "The store can be read again.")
                if head != last:
                    last = head
                    self.post_message(StoreChanged(head))
            if watcher is not None and last is not None and failing is None:
                try:
                    watcher.wait(last, self.poll_interval, self._stop_polling)
                    continue
                except Exception:
                    watcher = None  # the LISTEN connection is gone: poll from now on
            self._stop_polling.wait(self.poll_interval)

    def on_unmount(self) -> None:
        self._stop_polling.set()

    def on_store_changed(self, message: StoreChanged) -> None:
        self._head_moved(message.head)

    def _head_moved(self, head: int) -> None:
        if head == self.head:
            return
        self.head = head
        for pane in self.panes:
            self._safely(pane, "store_changed", head)

    def on_events_committed(self, message: EventsCommitted) -> None:
        envelopes = message.envelopes
        positions = [e.position for e in envelopes if e.position is not None]
        if positions:
            self._head_moved(max(max(positions), self.head or 0))
        for pane in self.panes:
            self._safely(pane, "events_committed", envelopes)
        if positions:
            stream = self.pane("stream")
            self._safely(stream, "show_position", positions[-1])

    def on_show_position(self, message: ShowPosition) -> None:
        self.reveal("stream")
        self._safely(self.pane("stream"), "show_position", message.position)

    def on_show_aggregate(self, message: ShowAggregate) -> None:
        self.reveal("timetravel")
        self._safely(
            self.pane("timetravel"),
            "show_aggregate",
            message.aggregate_type,
            message.aggregate_id,
            message.version,
        )

    def _safely(self, pane: StorePane, method: str, *args: Any) -> None:
        """Call a pane hook; a bug in one pane becomes a notification, not a crash."""
        try:
            getattr(pane, method)(*args)
        except Exception as e:
            self.notify(
                f"{type(e).__name__}: {e}", title=f"{pane.TITLE}: {method}", severity="error"
            )

    # -- command palette ------------------------------------------------------------------------
    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                f"Go to {self.pane(s.pane_id).TITLE}",
                f"Focus the pane ({s.key.upper()})",
                partial(self.action_show_pane, s.pane_id),
            )
            for s in SLOTS
        ]
        for slot in SLOTS:
            pane = self.pane(slot.pane_id)
            offered = getattr(pane, "palette_commands", None)
            own = offered() if callable(offered) else binding_commands(pane, pane.TITLE)
            commands += [self._in_pane(slot.pane_id, c) for c in own]
        commands.append(
            PaletteCommand(
                "Scenario lab",
                "Provoke a conflict, a snapshot, an upcast... on a scratch copy (F6)",
                self.action_lab,
            )
        )
        commands += [
            PaletteCommand(
                f"Lab: {s.title}",
                s.explanation.split(". ")[0].rstrip(".") + ".",
                partial(self.action_lab, s.key),
                discover=False,
            )
            for s in SCENARIOS
        ]
        commands += [
            PaletteCommand(
                "Change theme", "Pick one of Textual's themes", self.action_change_theme
            ),
            PaletteCommand("Help", "Help for the focused pane (F1)", self.action_help),
        ]
        commands += [
            PaletteCommand(
                f"Layout: {mode}",
                description,
                partial(self.set_layout, mode),
                discover=False,
            )
            for mode, description in LAYOUTS
        ]
        return commands

    def _in_pane(self, pane_id: str, command: PaletteCommand) -> PaletteCommand:
        async def run() -> None:
            self.reveal(pane_id)
            result = command.callback()
            if inspect.isawaitable(result):
                await result

        return PaletteCommand(command.title, command.help, run, command.discover)

    def slow_palette_commands(self) -> list[PaletteCommand]:
        """Time travel to any aggregate: reads the ids from the store (in the palette's thread)."""
        commands = []
        for aggregate in self.application.domain.aggregates:
            kind = aggregate.aggregate_type
            for aggregate_id in self.application.store.aggregate_ids(kind, "", 200):
                commands.append(
                    PaletteCommand(
                        f"Time travel: {kind} {aggregate_id}",
                        "Replay this aggregate version by version",
                        partial(self._time_travel, kind, aggregate_id),
                        discover=False,
                    )
                )
        return commands

    def _time_travel(self, aggregate_type: str, aggregate_id: str) -> None:
        self.post_message(ShowAggregate(aggregate_type, aggregate_id))
        self.action_show_pane("timetravel")


def run_dashboard(application: Application) -> None:
    Dashboard(application).run()
