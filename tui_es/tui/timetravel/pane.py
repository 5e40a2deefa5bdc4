"""The Time travel pane: the time machine for one aggregate.

Any version or moment, the diff between any two versions, a numeric field
plotted over the versions, play/pause, the snapshots and their check, and the
upcasting lens. What is read and worked out lives in :mod:`.machine` (no
Textual); this module only shows it.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Select, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_es.es.application import Application
from tui_es.es.diff import diff_flat, diff_states, flatten
from tui_es.es.envelope import CorruptJson, EventEnvelope
from tui_es.es.replay import AggregateHistory
from tui_es.es.words import plural
from tui_es.tui.event_view import EventView
from tui_es.tui.eventtext import pretty_json
from tui_es.tui.id_suggester import AggregateIdSuggester
from tui_es.tui.memory import keep_alive_as_is
from tui_es.tui.messages import ShowPosition
from tui_es.tui.palette import PaletteCommand, binding_commands
from tui_es.tui.pane import StorePane
from tui_es.tui.steady import Steady
from tui_es.tui.threads import call_ui
from tui_es.tui.timetravel.diff import describe, render_state
from tui_es.tui.timetravel.machine import (
    SnapshotCheck,
    Timeline,
    read_timeline,
    upcast_event,
    verify_snapshot,
)
from tui_es.tui.timetravel.plot import FieldPlot, PlotData
from tui_es.tui.timetravel.slider import VersionSlider
from tui_es.tui.values import format_scalar

HELP = """\
# Time travel

Replay one aggregate to any version and see what each event did: the
**time machine**.

1. **Pick an aggregate**: type its id (`→` accepts the suggestion from the
   store) and press `enter`, or choose it in the list under the field (`↓`,
   `enter`, or a click); or press `o` on an event in the Event stream. The
   beginning of an id is enough when no other id begins so; an id the store
   does not hold opens nothing.
2. **Move through its versions**: version *n* is the state after its first *n*
   events; version 0 is the state before any event.
   - `←` `→` step one version, `pgup` `pgdn` a tenth of the way,
     `home` `end` go to version 0 and to the latest;
   - type a number (or press `v`) and `enter` to go to that version;
   - press `t`, type a time (RFC 3339, e.g. `2026-11-04T12:00:00Z`) and
     `enter`: the version the aggregate had at that moment (the field
     shows when the version on screen was recorded);
   - `space` plays the events one by one, and pauses; `+` `-` change the
     speed (events per second);
   - with the mouse: click or drag along the track, or click the buttons.

Under the controls, four views of the same version:

- **State & diff**: every field of the state. Fields that differ from the
  previous version are highlighted: `~` changed (with the value it had
  before), `+` added, `-` removed. To compare any two versions, go to the
  first and press `a` (or type it in *diff from*), then move: the diff is
  from that version to the one shown. `a` again compares with the previous
  version. Beside it, the **event that led to this version**; `s` selects
  it in the Event stream.
- **Plot**: a numeric field of the state over all versions, the current one
  marked. `f` picks the next numeric field (or choose it in the list).
- **Upcasting**: the event as stored beside the event as the program reads
  it, and the upcasters applied on the way. Events stored at an older
  version of their schema are *upcast* when read; the store is never
  rewritten.
- **Snapshots**: where snapshots of the aggregate were taken (also marked
  `◆` on the version track). `c` checks the nearest snapshot at or before
  the version shown: the snapshot plus the events after it must give the
  same state as replaying every event; it says **equal** or **differs**.

When the aggregate gets new events, the latest version grows; the pane stays
at the version you are looking at, unless you were at the latest.

| Key | Action |
|---|---|
| `←` `→` | previous / next version |
| `home` `end` | version 0 / latest |
| `pgup` `pgdn` | back / forward a tenth |
| `0`-`9`, `v` | type a version |
| `t` | type a time |
| `space` | play / pause |
| `+` `-` | faster / slower |
| `a` | diff from this version (again: from the previous one) |
| `c` | verify the nearest snapshot |
| `f` | plot the next numeric field |
| `d` `p` `u` `n` | State & diff, Plot, Upcasting, Snapshots |
| `i` | pick another aggregate |
| `s` | show the event in the Event stream |
"""

NO_AGGREGATE = "Pick an aggregate: type its id above, choose it below, or press o on an event in the Event stream."
IDS_SHOWN = 50
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)  # events per second
DEFAULT_SPEED = 2
VIEWS = ("diff", "plot", "upcasting", "snapshots")


class TimeTravelPane(StorePane):
    TITLE: ClassVar[str] = "Time travel"
    HELP: ClassVar[str] = HELP
    DEFAULT_FOCUS: ClassVar[str] = "VersionSlider"  # hidden until an aggregate is open

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Back", show=False),
        Binding("right", "step(1)", "Forward", show=False),
        Binding("home", "first", "v0", show=False),
        Binding("end", "last", "Latest", show=False),
        Binding("space", "play", "Play/Pause", tooltip="Replay the events one by one, or pause"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+"),
        Binding("minus", "speed(-1)", "Slower", key_display="-"),
        Binding("v", "type_version", "Version #"),
        Binding("t", "type_time", "Time", tooltip="Go to the version at a time (RFC 3339)"),
        Binding("a", "pin", "Diff from", tooltip="Diff from this version (again: the previous)"),
        Binding("c", "verify", "Verify", tooltip="Nearest snapshot + later events = full replay?"),
        Binding("f", "next_field", "Plot field", tooltip="Plot the next numeric field"),
        Binding("i", "pick", "Aggregate"),
        Binding("s", "show_in_stream", "In stream"),
        Binding("d", "view('diff')", "State & diff", show=False),
        Binding("p", "view('plot')", "Plot", show=False),
        Binding("u", "view('upcasting')", "Upcasting", show=False),
        Binding("n", "view('snapshots')", "Snapshots", show=False),
    ]

    DEFAULT_CSS = """
    TimeTravelPane {
        layout: vertical;
        height: 1fr;
        #tt-pick, #tt-controls, #tt-travel { height: 1; }
        #tt-pick { margin-bottom: 1; }
        #tt-pick > Select { width: 24; margin-right: 1; }
        #tt-id { width: 1fr; }
        #tt-pick-label { width: auto; margin-right: 1; color: $text-muted; }
        #tt-controls > Button, #tt-travel > Button { min-width: 3; width: auto; margin: 0; }
        #tt-controls > VersionSlider { margin: 0 1; }
        #tt-version { width: 9; margin-left: 1; }
        #tt-of { width: auto; min-width: 6; color: $text-muted; }
        #tt-play { min-width: 9; }
        #tt-speed { width: auto; min-width: 6; margin: 0 1; color: $text-muted; }
        .tt-label { width: auto; margin-right: 1; color: $text-muted; }
        #tt-time { width: 1fr; min-width: 14; margin-right: 2; }
        #tt-from { width: 8; }
        #tt-tabs { height: 1fr; }
        #tt-tabs > ContentSwitcher { height: 1fr; }
        #tt-tabs TabPane { height: 1fr; padding: 0; }
        #tt-body { height: 1fr; }
        #tt-state-box { width: 1fr; min-width: 30; }
        #tt-state-title, #tt-event-title { height: 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
        #tt-changes { height: auto; color: $text-warning; text-wrap: nowrap; text-overflow: ellipsis; }
        #tt-state-scroll { height: 1fr; scrollbar-size-vertical: 1; }
        #tt-event-box { width: 1fr; border-left: solid $foreground 20%; padding-left: 1; }
        &.-narrow #tt-body { layout: vertical; }
        &.-narrow #tt-state-box { width: 1fr; height: auto; max-height: 45%; }
        &.-narrow #tt-state-scroll { height: auto; max-height: 100%; }
        &.-narrow #tt-event-box {
            height: 1fr;
            border-left: none;
            border-top: solid $foreground 20%;
            padding-left: 0;
        }
        #tt-event { padding: 0; }
        #tt-plot-bar { height: 1; }
        #tt-plot-field { width: 30; margin-right: 2; }
        #tt-plot-info { width: 1fr; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
        #tt-upcast, #tt-snapshots { height: 1fr; scrollbar-size-vertical: 1; }
        #tt-upcast-title, #tt-snap-title, #tt-verify-verdict { text-style: bold; }
        #tt-upcast-chain, #tt-upcast-changes { height: auto; }
        #tt-upcast-all, #tt-snap-list, #tt-snap-nearest { color: $text-muted; }
        .tt-json-row { height: auto; }
        .tt-json {
            width: 1fr;
            height: auto;
            border: round $foreground 30%;
            border-title-color: $text-muted;
            padding: 0 1;
        }
        &.-thin .tt-json-row { layout: vertical; }
        #tt-verify-bar { height: auto; margin-top: 1; }
        #tt-verify-bar > Button { min-width: 3; width: auto; margin: 0 2 0 0; }
        #tt-verify-verdict { width: 1fr; }
        #tt-verify-verdict.-equal { color: $text-success; }
        #tt-verify-verdict.-differs { color: $text-error; }
        .-no-check #tt-verify-states { display: none; }
        .-no-event .tt-json-row { display: none; }
        &.-empty #tt-tabs, &.-empty #tt-controls, &.-empty #tt-travel { display: none; }
        #tt-empty { display: none; color: $text-muted; text-style: italic; padding: 0 0 1 0; }
        &.-empty #tt-empty { display: block; }
        #tt-ids { display: none; height: auto; max-height: 12; border: none; padding: 0; }
        &.-empty #tt-ids, &.-picking #tt-ids { display: block; }
        &.-picking #tt-tabs, &.-picking #tt-controls, &.-picking #tt-travel { display: none; }
    }
    """

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(application, id=id, classes=classes)
        # as it is in the grid and in tabs below 100 columns: on_resize then changes nothing,
        # and the first frame need not style the whole pane twice
        self.add_class("-narrow")
        self.timeline: Timeline | None = None
        self.version = 0
        self.pinned: int | None = None  # the version the diff is from; None: the previous one
        self.plot_field: str | None = None
        self.check: SnapshotCheck | None = None
        self.speed_index = DEFAULT_SPEED
        self._player: Timer | None = None
        self._typing_version = False  # a digit moved focus to the version field, not there yet
        self._types = [a.aggregate_type for a in application.domain.aggregates]
        self.add_class("-empty")

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="tt-pick"):
            yield Static(
                "Aggregate" if len(self._types) > 1 else f"{self._types[0]} id", id="tt-pick-label"
            )
            if len(self._types) > 1:
                yield Select(
                    [(t, t) for t in self._types],
                    value=self._types[0],
                    allow_blank=False,
                    compact=True,
                    id="tt-type",
                )
            yield Input(
                placeholder="aggregate id (→ completes, enter loads)",
                compact=True,
                id="tt-id",
                suggester=AggregateIdSuggester(self.application.store, self._chosen_types),
            )
        yield Static(NO_AGGREGATE, id="tt-empty")
        yield OptionList(id="tt-ids")
        with Horizontal(id="tt-controls"):
            yield self._button("|◀", "tt-first", "Version 0 (home)")
            yield self._button("◀", "tt-prev", "Back one version (←)")
            yield VersionSlider(id="tt-slider")
            yield self._button("▶", "tt-next", "Forward one version (→)")
            yield self._button("▶|", "tt-last", "Latest version (end)")
            # no select-on-focus: a digit typed elsewhere starts the number and must stay
            yield Input(
                placeholder="version",
                type="integer",
                compact=True,
                select_on_focus=False,
                id="tt-version",
            )
            yield Steady(id="tt-of")
        with Horizontal(id="tt-travel"):
            yield self._button("▶ Play", "tt-play", "Play the events one by one, or pause (space)")
            yield Static(self._speed_text(), id="tt-speed")
            yield Static("at time", classes="tt-label")
            yield Input(placeholder="e.g. 2026-11-04T12:00:00Z", compact=True, id="tt-time")
            yield Static("diff from", classes="tt-label")
            yield Input(placeholder="prev", type="integer", compact=True, id="tt-from")
        with TabbedContent(id="tt-tabs"):
            with TabPane("State & diff", id="tt-tab-diff"), Horizontal(id="tt-body"):
                with Vertical(id="tt-state-box"):
                    yield Steady(id="tt-state-title")
                    yield Steady(id="tt-changes")
                    with VerticalScroll(id="tt-state-scroll", can_focus=False):
                        yield Steady(id="tt-state")
                with Vertical(id="tt-event-box"):
                    yield Steady(id="tt-event-title")
                    yield EventView(id="tt-event")
            with TabPane("Plot", id="tt-tab-plot"):
                with Horizontal(id="tt-plot-bar"):
                    yield Static("field", classes="tt-label")
                    yield Select[str]([], prompt="numeric field", compact=True, id="tt-plot-field")
                    yield Steady(id="tt-plot-info")
                yield FieldPlot(id="tt-plot")
            with (
                TabPane("Upcasting", id="tt-tab-upcasting"),
                VerticalScroll(id="tt-upcast", can_focus=False),
            ):
                yield Steady(id="tt-upcast-title")
                yield Steady(id="tt-upcast-chain")
                yield Steady(id="tt-upcast-changes")
                with Horizontal(classes="tt-json-row"):
                    yield Steady(id="tt-upcast-stored", classes="tt-json")
                    yield Steady(id="tt-upcast-read", classes="tt-json")
                yield Steady(id="tt-upcast-all")
            with (
                TabPane("Snapshots", id="tt-tab-snapshots"),
                VerticalScroll(id="tt-snapshots", can_focus=False, classes="-no-check"),
            ):
                yield Steady(id="tt-snap-title")
                yield Steady(id="tt-snap-list")
                yield Steady(id="tt-snap-nearest")
                with Horizontal(id="tt-verify-bar"):
                    yield self._button("Verify", "tt-verify", "Verify the nearest snapshot (c)")
                    yield Steady(id="tt-verify-verdict")
                with Horizontal(id="tt-verify-states", classes="tt-json-row"):
                    yield Steady(id="tt-verify-snapshot", classes="tt-json")
                    yield Steady(id="tt-verify-full", classes="tt-json")

    @staticmethod
    def _button(label: str, id: str, tooltip: str) -> Button:
        button = Button(label, id=id, compact=True, tooltip=tooltip)
        button.can_focus = False  # the keys do the same; keep tab for the fields
        # Clicked in quick succession, each click is a step: no dead time after a press
        # (the slider moving is the feedback).
        button.active_effect_duration = 0
        return button

    def _chosen_types(self) -> list[str]:
        return [self._chosen_type()]

    def _chosen_type(self) -> str:
        if len(self._types) == 1:
            return self._types[0]
        value = self.query_one("#tt-type", Select).value
        return value if isinstance(value, str) else self._types[0]

    @property
    def slider(self) -> VersionSlider:
        return self.query_one(VersionSlider)

    @property
    def history(self) -> AggregateHistory | None:
        return self.timeline.history if self.timeline is not None else None

    @property
    def aggregate_type(self) -> str | None:
        return self.timeline.aggregate_type if self.timeline is not None else None

    @property
    def playing(self) -> bool:
        return self._player is not None

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def active_view(self) -> str:
        active = self.query_one("#tt-tabs", TabbedContent).active
        return active.removeprefix("tt-tab-")

    # -- the app's hooks ---------------------------------------------------------------------
    def show_aggregate(
        self, aggregate_type: str, aggregate_id: str, version: int | None = None
    ) -> None:
        """Load an aggregate's history and show it at ``version`` (the latest if None)."""
        if len(self._types) > 1 and aggregate_type in self._types:
            self.query_one("#tt-type", Select).value = aggregate_type
        self.query_one("#tt-id", Input).value = aggregate_id
        self._load(aggregate_type, aggregate_id, version, focus=False)

    def store_changed(self, head: int) -> None:
        timeline = self.timeline
        if timeline is not None:
            self._check_growth(
                timeline.aggregate_type, timeline.aggregate_id, timeline.history.version
            )

    def events_committed(self, envelopes: list[EventEnvelope]) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        if any(
            e.aggregate_type == timeline.aggregate_type and e.aggregate_id == timeline.aggregate_id
            for e in envelopes
        ):
            self._check_growth(
                timeline.aggregate_type, timeline.aggregate_id, timeline.history.version
            )

    def palette_commands(self) -> list[PaletteCommand]:
        """The keys in the footer, and the four views."""
        views = [
            PaletteCommand(
                f"{self.TITLE}: {title}", help, partial(self.action_view, name), discover=False
            )
            for name, title, help in (
                ("diff", "State & diff", "The state at a version, diffed with another (d)"),
                ("plot", "Plot", "A numeric field of the state over the versions (p)"),
                ("upcasting", "Upcasting lens", "The event as stored beside the event as read (u)"),
                ("snapshots", "Snapshots", "Where snapshots were taken, and their check (n)"),
            )
        ]
        return binding_commands(self, self.TITLE) + views

    def on_resize(self) -> None:
        # side by side only when the state and the event each get a readable width
        self.set_class(self.size.width < 100, "-narrow")
        self.set_class(self.size.width < 64, "-thin")  # JSON side by side down to 30 columns each

    # -- the list of ids ---------------------------------------------------------------------
    def on_mount(self) -> None:
        self._list_ids("")

    @work(thread=True, exclusive=True, group="tt-ids", exit_on_error=False)
    def _list_ids(self, prefix: str) -> None:
        aggregate_type = self._chosen_type()
        try:
            ids = self.application.store.aggregate_ids(aggregate_type, prefix, limit=IDS_SHOWN)
        except Exception as error:
            self._failed("Could not list aggregates", error)
            return
        if get_current_worker().is_cancelled:
            return  # a cancelled thread runs on: the newer lookup's list is the one to show
        call_ui(self, self._show_ids, aggregate_type, ids)

    def _show_ids(self, aggregate_type: str, ids: list[str]) -> None:
        listing = self.query_one("#tt-ids", OptionList)
        listing.clear_options()
        listing.add_options(Option(i, id=i) for i in ids)
        if not ids:
            listing.add_option(Option(f"no {aggregate_type} id starts so", disabled=True))

    @on(Input.Changed, "#tt-id")
    def _id_typed(self, event: Input.Changed) -> None:
        event.stop()
        self._list_ids(event.value.strip())

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._typing_version = False
        self._update_picking()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # focus moves after the blur: look once it has landed
        self.call_after_refresh(self._update_picking)

    def _update_picking(self) -> None:
        """The id list shows while the id field or the list has focus (always when empty)."""
        focused = self.app.focused
        self.set_class(
            focused is not None and focused.id in ("tt-id", "tt-ids") and self in focused.ancestors,
            "-picking",
        )

    @on(OptionList.OptionSelected, "#tt-ids")
    def _id_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.query_one("#tt-id", Input).value = event.option.id
            self._load(self._chosen_type(), event.option.id, None)

    @on(Select.Changed, "#tt-type")
    def _type_chosen(self, event: Select.Changed) -> None:
        event.stop()
        self._list_ids(self.query_one("#tt-id", Input).value.strip())

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="tt-load", exit_on_error=False)
    def _load(
        self, aggregate_type: str, aggregate_id: str, version: int | None, focus: bool = True
    ) -> None:
        self._read(aggregate_type, aggregate_id, version, focus)

    @work(thread=True, exclusive=True, group="tt-load", exit_on_error=False)
    def _open_typed(self, aggregate_type: str, typed: str) -> None:
        """Open the aggregate typed in the field: that id, else the only id that begins so.

        An id with no event, or a beginning that several ids share, opens nothing:
        the pane says so and keeps what it shows.
        """
        store = self.application.store
        try:
            if store.last_sequence(aggregate_type, typed) > 0:
                matches = [typed]
            else:
                matches = store.aggregate_ids(aggregate_type, typed, limit=IDS_SHOWN)
        except Exception as error:
            self._failed(f"Could not look up {aggregate_type} {typed!r}", error)
            return
        if len(matches) != 1:
            call_ui(self, self._not_opened, aggregate_type, typed, matches)
            return
        if matches[0] != typed:
            call_ui(self, self._completed, matches[0])
        self._read(aggregate_type, matches[0], None, True)

    def _read(
        self, aggregate_type: str, aggregate_id: str, version: int | None, focus: bool
    ) -> None:
        """Read an aggregate's timeline and show it (in a worker's thread)."""
        call_ui(self, self._set_loading, True)
        try:
            timeline = read_timeline(self.application, aggregate_type, aggregate_id)
        except Exception as error:
            self._failed(f"Could not load {aggregate_type} {aggregate_id!r}", error)
            call_ui(self, self._set_loading, False)
            return
        if get_current_worker().is_cancelled:
            return  # another aggregate was asked for since: its read shows it
        call_ui(self, self._loaded, timeline, version, focus)

    def _completed(self, aggregate_id: str) -> None:
        self.query_one("#tt-id", Input).value = aggregate_id

    def _not_opened(self, aggregate_type: str, typed: str, matches: list[str]) -> None:
        if not matches:
            self.notify(
                f"No {aggregate_type} {typed!r} in the store, and no {aggregate_type} id "
                "begins so. Nothing was opened.",
                title=self.TITLE,
                severity="error",
                markup=False,
            )
            return
        more = "at least " if len(matches) >= IDS_SHOWN else ""
        listed = ", ".join(matches[:3]) + (", …" if len(matches) > 3 else "")
        self.notify(
            f"{more}{len(matches)} {aggregate_type} ids begin with {typed!r} ({listed}): "
            "type more of it, or choose one in the list. Nothing was opened.",
            title=self.TITLE,
            severity="warning",
            markup=False,
        )

    def _set_loading(self, loading: bool) -> None:
        self.query_one("#tt-tabs").loading = loading

    def _loaded(self, timeline: Timeline, version: int | None, focus: bool) -> None:
        self._set_loading(False)
        history = timeline.history
        if history.version == 0:
            self.notify(
                f"{timeline.aggregate_type} {history.aggregate_id!r} has no events.",
                title=self.TITLE,
                severity="warning",
                markup=False,
            )
        self._pause()
        self.pinned = None
        self.check = None
        self.query_one("#tt-from", Input).value = ""
        self._show_check(None)
        self._take(timeline)
        self.remove_class("-empty", "-picking")
        if version is not None and not 0 <= version <= history.version:
            self.notify(
                f"{history.aggregate_id!r} has versions 0 to {history.version}; showing the latest.",
                title=self.TITLE,
                severity="warning",
                markup=False,
            )
            version = None
        self.set_version(history.version if version is None else version)
        if focus or self.has_focus_within:
            self.slider.focus()
        keep_alive_as_is()

    def _take(self, timeline: Timeline) -> None:
        """Make ``timeline`` the one shown (not yet at any version)."""
        self.timeline = timeline
        for problem in timeline.problems:
            self.notify(problem, title=self.TITLE, severity="warning", timeout=8, markup=False)
        slider = self.slider
        slider.maximum = timeline.history.version
        slider.marks = tuple(s.last_sequence for s in timeline.snapshots)
        slider.tooltip = (
            "Snapshots (◆) at versions " + ", ".join(str(m) for m in slider.marks)
            if slider.marks
            else None
        )
        fields = list(timeline.series)
        if self.plot_field not in fields:
            self.plot_field = fields[0] if fields else None
        select = self.query_one("#tt-plot-field", Select)
        with select.prevent(Select.Changed):
            select.set_options((f, f) for f in fields)
            if self.plot_field is not None:
                select.value = self.plot_field

    @work(thread=True, exclusive=True, group="tt-grow", exit_on_error=False)
    def _check_growth(self, aggregate_type: str, aggregate_id: str, known: int) -> None:
        try:
            if self.application.store.last_sequence(aggregate_type, aggregate_id) <= known:
                return
            timeline = read_timeline(self.application, aggregate_type, aggregate_id)
        except Exception as error:
            self._failed(f"Could not reload {aggregate_type} {aggregate_id!r}", error)
            return
        call_ui(self, self._grown, timeline)

    def _grown(self, timeline: Timeline) -> None:
        current = self.timeline
        if (
            current is None
            or timeline.aggregate_type != current.aggregate_type
            or timeline.aggregate_id != current.aggregate_id
            or timeline.history.version <= current.history.version
        ):
            return
        at_latest = self.version == current.history.version
        self._take(timeline)
        self.set_version(timeline.history.version if at_latest else self.version)

    # -- showing a version -------------------------------------------------------------------
    def set_version(self, version: int) -> None:
        """Show ``version`` (clamped) in every view: state and diff, event, plot, lens, snapshots."""
        timeline = self.timeline
        if timeline is None:
            return
        history = timeline.history
        version = min(max(version, 0), history.version)
        self.version = version
        self.slider.value = version
        self.query_one("#tt-version", Input).value = str(version)
        self.query_one("#tt-of", Static).update(Content(f"/ {history.version}"))
        self._show_time(history, version)
        for show in (self._show_diff, self._show_plot, self._show_upcast, self._show_snapshots):
            try:
                show(timeline, version)
            except Exception as error:  # bad data in one view must not take the pane down
                self._failed(f"Could not show version {version}", error)

    def _show_time(self, history: AggregateHistory, version: int) -> None:
        """The time field holds when the version shown began (empty at version 0).

        Unless it is being typed in: what the user types stays until enter.
        """
        field = self.query_one("#tt-time", Input)
        if field.has_focus:
            return
        event = history.event_at(version)
        text = event.recorded_at if event is not None and event.recorded_at else ""
        if field.value != text:
            field.value = text
            field.cursor_position = 0  # the date, not the end of the fraction, when cut short

    def _show_diff(self, timeline: Timeline, version: int) -> None:
        history = timeline.history
        event = history.event_at(version)
        base = version - 1 if self.pinned is None else min(self.pinned, history.version)
        before = history.state_at(base) if base >= 0 else None
        if before is not None and event is not None and base == version - 1:
            # v from v-1 with one apply: the diff needs both and state_at is a copy anyway
            state = before.model_copy(deep=True)
            state.apply(event.payload)
        else:
            state = history.state_at(version)
        after = flatten(state.state_json())
        changes = diff_flat(flatten(before.state_json()), after) if before is not None else []
        name = f"{timeline.aggregate_type} {history.aggregate_id}"
        self.query_one("#tt-state-title", Static).update(
            Content.from_markup(
                "State of [b]$name[/b] at version [b $text-accent]$v[/] of $n",
                name=name,
                v=str(version),
                n=str(history.version),
            )
        )
        if self.pinned is not None:
            summary = f"diff from version {base}: {describe(changes)}"
        elif event is None:
            summary = "version 0: before any event"
        else:
            summary = describe(changes)
        self.query_one("#tt-changes", Static).update(Content(summary))
        was = "was" if self.pinned is None else f"v{base}:"
        self.query_one("#tt-state", Static).update(render_state(after, changes, was))
        self.query_one("#tt-event-title", Static).update(
            Content(
                f"Event that led to version {version}"
                if event is not None
                else "No event leads to version 0"
            )
        )
        view = self.query_one(EventView)
        if event is None:
            view.show(None, "The aggregate as newly created: its default state.")
        else:
            view.show(event)

    def _show_plot(self, timeline: Timeline, version: int) -> None:
        plot = self.query_one(FieldPlot)
        info = self.query_one("#tt-plot-info", Static)
        series = timeline.series.get(self.plot_field) if self.plot_field else None
        if series is None:
            plot.show(None)
            info.update(Content("no numeric field in this aggregate's state"))
            return
        value = series.value_at(version)
        plot.show(PlotData(series.path, series.versions, series.values, version, value))
        low, high = min(series.values), max(series.values)
        shown = "—" if value is None else format_scalar(value)
        info.update(
            Content(
                f"v{version}: {shown} · min {format_scalar(low)} · max {format_scalar(high)}"
                + (" · sampled" if len(series.versions) < timeline.history.version + 1 else "")
            )
        )

    def _show_upcast(self, timeline: Timeline, version: int) -> None:
        box = self.query_one("#tt-upcast")
        title = self.query_one("#tt-upcast-title", Static)
        chain = self.query_one("#tt-upcast-chain", Static)
        changes = self.query_one("#tt-upcast-changes", Static)
        stored_box = self.query_one("#tt-upcast-stored", Static)
        read_box = self.query_one("#tt-upcast-read", Static)
        self.query_one("#tt-upcast-all", Static).update(self._upcast_overview(timeline))
        stored = timeline.stored.get(version)
        box.set_class(stored is None, "-no-event")
        changes.update("")
        if version == 0:
            title.update(Content("Version 0: no event leads here, nothing is upcast."))
            chain.update("")
            return
        if stored is None:
            title.update(Content(f"The event at version {version} as stored could not be read."))
            chain.update("")
            return
        lens = upcast_event(self.application.codec, stored)
        read = lens.upcast
        title.update(
            Content.from_markup(
                "Event at version [b $text-accent]$v[/]: [b]$etype[/], stored at [b]$stored[/]"
                + (", read at [b]$read[/]" if read is not None else ""),
                v=str(version),
                etype=stored.event_type,
                stored=stored.event_version,
                read=read.event_version if read is not None else "",
            )
        )
        if lens.error is not None:
            chain.update(Content.styled(f"upcasting failed: {lens.error}", "$text-error"))
        elif lens.chain:
            steps = [Content.styled(stored.event_version, "bold")]
            for name in lens.chain:
                steps += [Content(" → "), Content.styled(f"[{name}]", "$text-warning")]
            assert read is not None
            steps += [Content(" → "), Content.styled(read.event_version, "bold")]
            chain.update(Content.assemble("upcasters applied: ", *steps))
        else:
            chain.update(
                Content.styled(
                    "no upcaster applies: the event is read as it is stored", "$text-muted"
                )
            )
        if read is not None and isinstance(stored.payload, dict) and isinstance(read.payload, dict):
            diff = diff_states(stored.payload, read.payload)
            if diff:
                parts = [Content("upcasting changed: ")]
                for change in diff:
                    sign = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
                    value = change.before if change.kind == "removed" else change.after
                    parts.append(
                        Content.styled(
                            f"{sign} {change.path} = {format_scalar(value)}  ", "$text-success"
                        )
                    )
                changes.update(Content.assemble(*parts))
        stored_box.border_title = f"stored · {stored.event_version}"
        stored_box.update(_json(stored.payload))
        read_box.border_title = f"read · {read.event_version}" if read is not None else "read"
        read_box.update(_json(read.payload) if read is not None else Content("(not readable)"))

    @staticmethod
    def _upcast_overview(timeline: Timeline) -> Content:
        total = timeline.history.version
        upcast = timeline.upcast_sequences
        if not timeline.stored and total:
            return Content("")
        if not upcast:
            return Content(
                "No event of this aggregate needs an upcaster: all are stored at the "
                "version the program reads."
            )
        listed = ", ".join(str(s) for s in upcast[:20]) + (", …" if len(upcast) > 20 else "")
        if len(upcast) == 1:
            return Content(
                f"1 of the {plural(total, 'event')} of this aggregate is upcast when read: "
                f"version {listed}."
            )
        return Content(
            f"{len(upcast)} of {total} events of this aggregate are upcast when read: "
            f"versions {listed}."
        )

    def _show_snapshots(self, timeline: Timeline, version: int) -> None:
        snapshots = timeline.snapshots
        self.query_one("#tt-snap-title", Static).update(
            Content(
                f"{plural(len(snapshots), 'snapshot')} of "
                f"{timeline.aggregate_type} {timeline.aggregate_id}"
            )
        )
        if snapshots:
            taken = ", ".join(f"#{s.current_snapshot} at v{s.last_sequence}" for s in snapshots)
            listing = f"Taken at: {taken} (◆ on the version track)."
        else:
            listing = (
                "None: every load replays all the events. The application takes snapshots "
                "when it runs with a snapshot policy."
            )
        self.query_one("#tt-snap-list", Static).update(Content(listing))
        nearest = timeline.snapshot_at_or_before(version)
        self.query_one("#tt-snap-nearest", Static).update(
            Content(
                f"At version {version} a load starts from snapshot #{nearest.current_snapshot} "
                f"(version {nearest.last_sequence}) and applies "
                f"{plural(version - nearest.last_sequence, 'event')} after it."
                if nearest is not None
                else f"At version {version} no snapshot precedes: a load replays "
                f"{plural(version, 'event')}."
            )
        )
        check = self.check
        if check is not None and check.version != version:
            if self.active_view == "snapshots":
                self.action_verify()  # following the version while the check is in view
            else:
                self._show_check(
                    None, f"checked at version {check.version}: press c to check {version}"
                )

    def _show_check(self, check: SnapshotCheck | None, message: str = "") -> None:
        box = self.query_one("#tt-snapshots")
        verdict = self.query_one("#tt-verify-verdict", Static)
        verdict.remove_class("-equal", "-differs")
        box.set_class(check is None or check.snapshot is None, "-no-check")
        if check is None:
            verdict.update(Content(message or "press c to verify the nearest snapshot"))
            return
        if check.snapshot is None:
            verdict.update(
                Content(f"Version {check.version}: no snapshot at or before it, nothing to verify.")
            )
            return
        snapshot = check.snapshot
        verdict.add_class("-equal" if check.equal else "-differs")
        taken = f"snapshot #{snapshot.current_snapshot} (v{snapshot.last_sequence})"
        if not check.usable:
            text = (
                f"differs · version {check.version}: {taken} no longer fits the aggregate; "
                "a load ignores it and replays every event"
            )
        elif check.equal:
            text = (
                f"equal · version {check.version}: {taken} + {plural(check.events_after, 'event')} "
                f"gives the state a full replay of {plural(check.full_events, 'event')} gives"
            )
        else:
            text = (
                f"differs · version {check.version}: {taken} + "
                f"{plural(check.events_after, 'event')} is not what a full replay of "
                f"{plural(check.full_events, 'event')} gives: "
                + ", ".join(c.path for c in check.changes)
            )
        verdict.update(Content(text))
        left = self.query_one("#tt-verify-snapshot", Static)
        right = self.query_one("#tt-verify-full", Static)
        left.border_title = (
            f"snapshot #{snapshot.current_snapshot} + {plural(check.events_after, 'event')}"
        )
        right.border_title = f"full replay · {plural(check.full_events, 'event')}"
        if check.from_snapshot is None:
            left.update(_json(snapshot.payload))
        else:
            left.update(render_state(flatten(check.from_snapshot), check.changes, "replay:"))
        right.update(render_state(flatten(check.full), []))

    # -- input -------------------------------------------------------------------------------
    @on(Input.Submitted, "#tt-id")
    def _id_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        aggregate_id = event.value.strip()
        if not aggregate_id:
            self.notify("Type an aggregate id first.", title=self.TITLE, severity="warning")
            return
        self._open_typed(self._chosen_type(), aggregate_id)

    @on(Input.Submitted, "#tt-version")
    def _version_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        version = self._typed_version(event.value)
        if version is None or self.history is None:
            return
        self.slider.focus()
        self.set_version(version)

    def _typed_version(self, text: str) -> int | None:
        """A version typed in a field, or None (with a notification) if it is not one."""
        history = self.history
        if history is None:
            return None
        try:
            version = int(text)
        except ValueError:
            self.notify(
                f"{text!r} is not a version.", title=self.TITLE, severity="error", markup=False
            )
            return None
        if not 0 <= version <= history.version:
            self.notify(
                f"Versions go from 0 to {history.version}.",
                title=self.TITLE,
                severity="warning",
                markup=False,
            )
        return min(max(version, 0), history.version)

    @on(Input.Submitted, "#tt-time")
    def _time_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.travel_to_time(event.value)

    def travel_to_time(self, text: str) -> None:
        """Go to the version the aggregate had at ``text`` (RFC 3339, any zone)."""
        history = self.history
        text = text.strip()
        if history is None or not text:
            return
        try:
            version = history.version_at(text)
        except ValueError as error:
            self.notify(
                f"{text!r} is not a time: {error}", title=self.TITLE, severity="error", markup=False
            )
            return
        self.slider.focus()
        self.set_version(version)
        # the moment asked for stays in the field: it belongs to the version now shown
        self.query_one("#tt-time", Input).value = text
        self.notify(
            f"At {text}, {history.aggregate_id} was at version {version}.",
            title=self.TITLE,
            markup=False,
        )

    @on(Input.Submitted, "#tt-from")
    def _from_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.pin(None)
        else:
            version = self._typed_version(event.value)
            if version is None:
                return
            self.pin(version)
        self.slider.focus()

    def pin(self, version: int | None) -> None:
        """Diff from ``version`` (None: from the version before the one shown)."""
        self.pinned = version
        self.query_one("#tt-from", Input).value = "" if version is None else str(version)
        self.set_version(self.version)

    @on(Select.Changed, "#tt-plot-field")
    def _field_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.plot_field = event.value
            self.set_version(self.version)

    @on(VersionSlider.Changed)
    def _slid(self, event: VersionSlider.Changed) -> None:
        event.stop()
        if event.value != self.version:  # a drag can ask again before its last move is shown
            self.set_version(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions: dict[str | None, Any] = {
            "tt-first": self.action_first,
            "tt-last": self.action_last,
            "tt-prev": lambda: self.action_step(-1),
            "tt-next": lambda: self.action_step(1),
            "tt-play": self.action_play,
            "tt-verify": self.action_verify,
        }
        action = actions.get(event.button.id)
        if action is not None:
            action()

    def on_key(self, event: events.Key) -> None:
        focused = self.app.focused
        if event.key == "down" and focused is not None and focused.id == "tt-id":
            event.stop()
            listing = self.query_one("#tt-ids", OptionList)
            if listing.option_count:
                listing.highlighted = 0
            listing.focus()
            return
        # A digit typed outside any field starts typing a version.
        if self.history is None or not event.character or not event.character.isdigit():
            return
        if isinstance(self.app.focused, Input | Select):
            return
        event.stop()
        field = self.query_one("#tt-version", Input)
        # Focus moves after this handler: digits typed fast (a paste, a quick typist)
        # still arrive here, and add to the number begun rather than restart it.
        field.value = field.value + event.character if self._typing_version else event.character
        self._typing_version = True
        field.cursor_position = len(field.value)
        field.focus()

    # -- actions -----------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        if self.history is not None:
            self.set_version(self.version + delta)

    def action_first(self) -> None:
        self.set_version(0)

    def action_last(self) -> None:
        if self.history is not None:
            self.set_version(self.history.version)

    def action_type_version(self) -> None:
        if self.history is not None:
            field = self.query_one("#tt-version", Input)
            field.focus()
            field.select_all()

    def action_type_time(self) -> None:
        """Focus the time field, filled with the time of the version shown (to edit)."""
        history = self.history
        if history is None:
            return
        field = self.query_one("#tt-time", Input)
        event = history.event_at(self.version) or history.event_at(1)
        if event is not None and event.recorded_at:
            field.value = event.recorded_at
        field.focus()
        field.select_all()

    def action_pick(self) -> None:
        self.add_class("-picking")
        self.query_one("#tt-id", Input).focus()

    def action_show_in_stream(self) -> None:
        history = self.history
        event = history.event_at(self.version) if history is not None else None
        if event is None or event.position is None:
            self.app.bell()
            return
        self.post_message(ShowPosition(event.position))

    def action_pin(self) -> None:
        if self.history is None:
            return
        self.pin(None if self.pinned is not None else self.version)
        self.action_view("diff")

    def action_view(self, name: str) -> None:
        if name in VIEWS:
            self.query_one("#tt-tabs", TabbedContent).active = f"tt-tab-{name}"

    def action_next_field(self) -> None:
        timeline = self.timeline
        if timeline is None or not timeline.series:
            self.app.bell()
            return
        fields = list(timeline.series)
        index = fields.index(self.plot_field) if self.plot_field in fields else -1
        self.plot_field = fields[(index + 1) % len(fields)]
        select = self.query_one("#tt-plot-field", Select)
        with select.prevent(Select.Changed):
            select.value = self.plot_field
        self.action_view("plot")
        self.set_version(self.version)

    # -- play --------------------------------------------------------------------------------
    def action_play(self) -> None:
        if self.playing:
            self._pause()
            return
        history = self.history
        if history is None or history.version == 0:
            self.app.bell()
            return
        if self.version >= history.version:
            self.set_version(0)  # at the end: play from the start
        self._player = self.set_interval(1 / self.speed, self._tick, name="tt-play")
        self._show_player()

    def _pause(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None
        self._show_player()

    def _tick(self) -> None:
        history = self.history
        if history is None or self.version >= history.version:
            self._pause()
            return
        self.set_version(self.version + 1)
        if self.version >= history.version:
            self._pause()

    def action_speed(self, delta: int) -> None:
        self.speed_index = min(max(self.speed_index + delta, 0), len(SPEEDS) - 1)
        if self._player is not None:
            self._player.stop()
            self._player = self.set_interval(1 / self.speed, self._tick, name="tt-play")
        self._show_player()

    def _speed_text(self) -> str:
        return f"{self.speed:g}/s"

    def _show_player(self) -> None:
        self.query_one("#tt-play", Button).label = "⏸ Pause" if self.playing else "▶ Play"
        self.query_one("#tt-speed", Static).update(Content(self._speed_text()))

    # -- snapshots ---------------------------------------------------------------------------
    def action_verify(self) -> None:
        timeline = self.timeline
        if timeline is None:
            self.app.bell()
            return
        self.action_view("snapshots")
        self._verify(timeline.aggregate_type, timeline.aggregate_id, self.version)

    @work(thread=True, exclusive=True, group="tt-verify", exit_on_error=False)
    def _verify(self, aggregate_type: str, aggregate_id: str, version: int) -> None:
        try:
            check = verify_snapshot(self.application, aggregate_type, aggregate_id, version)
        except Exception as error:
            self._failed(f"Could not verify the snapshot at version {version}", error)
            return
        call_ui(self, self._verified, aggregate_type, aggregate_id, check)

    def _verified(self, aggregate_type: str, aggregate_id: str, check: SnapshotCheck) -> None:
        timeline = self.timeline
        if (
            timeline is None
            or timeline.aggregate_type != aggregate_type
            or timeline.aggregate_id != aggregate_id
        ):
            return
        self.check = check
        self._show_check(check)

    # -- errors ------------------------------------------------------------------------------
    def _failed(self, what: str, error: Exception) -> None:
        """Report a failed read from any thread; the pane keeps what it shows."""
        self.notify(f"{what}: {error}", title=self.TITLE, severity="error", timeout=8, markup=False)


def _json(value: Any) -> Content:
    """A payload as indented JSON; stored text that is not JSON, as it is."""
    if isinstance(value, CorruptJson):
        return Content.styled(f"not JSON: {value}", "$text-error")
    return pretty_json(value)
