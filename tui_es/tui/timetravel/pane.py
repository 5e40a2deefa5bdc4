"""The Time travel pane: one aggregate at any version, the event that led there, what it changed."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from tui_es.es.application import Application
from tui_es.es.envelope import EventEnvelope
from tui_es.es.replay import AggregateHistory
from tui_es.tui.event_view import EventView
from tui_es.tui.id_suggester import AggregateIdSuggester
from tui_es.tui.messages import ShowPosition
from tui_es.tui.pane import StorePane
from tui_es.tui.threads import call_ui
from tui_es.tui.timetravel.diff import describe, diff, flatten, render_state
from tui_es.tui.timetravel.slider import VersionSlider

HELP = """\
# Time travel

Replay one aggregate to any version and see what each event did.

1. **Pick an aggregate**: type its id (`→` accepts the suggestion from the
   store) and press `enter`, or choose it in the list under the field (`↓`,
   `enter`, or a click); or press `o` on an event in the Event stream.
2. **Move through its versions**: version *n* is the state after its first *n*
   events; version 0 is the state before any event.
   - `←` `→` step one version, `pgup` `pgdn` a tenth of the way,
     `home` `end` go to version 0 and to the latest;
   - type a number (or press `v`) and `enter` to go to that version;
   - with the mouse: click or drag along the track, or click `◀` `▶`.

The **state** lists every field at that version. Fields the event changed are
highlighted: `~` changed (with the value it had before), `+` added,
`-` removed. Next to it is the **event that led to this version**: its type,
version, payload, metadata and when it was recorded. `s` selects that event in
the Event stream.

When the aggregate gets new events, the latest version grows; the pane stays
at the version you are looking at, unless you were at the latest.

| Key | Action |
|---|---|
| `←` `→` | previous / next version |
| `home` `end` | version 0 / latest |
| `pgup` `pgdn` | back / forward a tenth |
| `0`-`9`, `v` | type a version |
| `i` | pick another aggregate |
| `s` | show the event in the Event stream |
"""

NO_AGGREGATE = "Pick an aggregate: type its id above, choose it below, or press o on an event in the Event stream."
IDS_SHOWN = 50


class TimeTravelPane(StorePane):
    TITLE: ClassVar[str] = "Time travel"
    HELP: ClassVar[str] = HELP
    DEFAULT_FOCUS: ClassVar[str] = "VersionSlider"  # hidden until an aggregate is open

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Back", show=False),
        Binding("right", "step(1)", "Forward", show=False),
        Binding("home", "first", "v0", show=False),
        Binding("end", "last", "Latest", show=False),
        Binding("v", "type_version", "Version #"),
        Binding("i", "pick", "Aggregate"),
        Binding("s", "show_in_stream", "In stream"),
    ]

    DEFAULT_CSS = """
    TimeTravelPane {
        layout: vertical;
        height: 1fr;
        #tt-pick, #tt-controls { height: 1; }
        #tt-pick { margin-bottom: 1; }
        #tt-pick > Select { width: 24; margin-right: 1; }
        #tt-id { width: 1fr; }
        #tt-pick-label { width: auto; margin-right: 1; color: $text-muted; }
        #tt-controls > Button { min-width: 3; width: auto; margin: 0; }
        #tt-controls > VersionSlider { margin: 0 1; }
        #tt-version { width: 9; margin-left: 1; }
        #tt-of { width: auto; min-width: 6; color: $text-muted; }
        #tt-body { height: 1fr; margin-top: 1; }
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
        &.-empty #tt-body { display: none; }
        &.-empty #tt-controls { display: none; }
        #tt-empty { display: none; color: $text-muted; text-style: italic; padding: 0 0 1 0; }
        &.-empty #tt-empty { display: block; }
        #tt-ids { display: none; height: auto; max-height: 12; border: none; padding: 0; }
        &.-empty #tt-ids, &.-picking #tt-ids { display: block; }
        &.-picking #tt-body, &.-picking #tt-controls { display: none; }
    }
    """

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(application, id=id, classes=classes)
        self.history: AggregateHistory | None = None
        self.aggregate_type: str | None = None
        self.version = 0
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
            yield Static(id="tt-of")
        with Horizontal(id="tt-body"):
            with Vertical(id="tt-state-box"):
                yield Static(id="tt-state-title")
                yield Static(id="tt-changes")
                with VerticalScroll(id="tt-state-scroll", can_focus=False):
                    yield Static(id="tt-state")
            with Vertical(id="tt-event-box"):
                yield Static(id="tt-event-title")
                yield EventView(id="tt-event")

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
        history = self.history
        if history is not None and self.aggregate_type is not None:
            self._check_growth(self.aggregate_type, history.aggregate_id, history.version)

    def events_committed(self, envelopes: list[EventEnvelope]) -> None:
        history, aggregate_type = self.history, self.aggregate_type
        if history is None or aggregate_type is None:
            return
        if any(
            e.aggregate_type == aggregate_type and e.aggregate_id == history.aggregate_id
            for e in envelopes
        ):
            self._check_growth(aggregate_type, history.aggregate_id, history.version)

    def on_resize(self) -> None:
        # side by side only when the state and the event each get a readable width
        self.set_class(self.size.width < 100, "-narrow")

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
        call_ui(self, self._set_loading, True)
        try:
            history = self.application.history(aggregate_id, aggregate_type)
        except Exception as error:
            self._failed(f"Could not load {aggregate_type} {aggregate_id!r}", error)
            call_ui(self, self._set_loading, False)
            return
        call_ui(self, self._loaded, aggregate_type, history, version, focus)

    def _set_loading(self, loading: bool) -> None:
        self.query_one("#tt-body").loading = loading

    def _loaded(
        self, aggregate_type: str, history: AggregateHistory, version: int | None, focus: bool
    ) -> None:
        self._set_loading(False)
        if history.version == 0:
            self.notify(
                f"{aggregate_type} {history.aggregate_id!r} has no events.",
                title=self.TITLE,
                severity="warning",
                markup=False,
            )
        self.history = history
        self.aggregate_type = aggregate_type
        self.remove_class("-empty", "-picking")
        self.slider.maximum = history.version
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

    @work(thread=True, exclusive=True, group="tt-grow", exit_on_error=False)
    def _check_growth(self, aggregate_type: str, aggregate_id: str, known: int) -> None:
        try:
            if self.application.store.last_sequence(aggregate_type, aggregate_id) <= known:
                return
            history = self.application.history(aggregate_id, aggregate_type)
        except Exception as error:
            self._failed(f"Could not reload {aggregate_type} {aggregate_id!r}", error)
            return
        call_ui(self, self._grown, aggregate_type, history)

    def _grown(self, aggregate_type: str, history: AggregateHistory) -> None:
        current = self.history
        if (
            current is None
            or aggregate_type != self.aggregate_type
            or history.aggregate_id != current.aggregate_id
            or history.version <= current.version
        ):
            return
        at_latest = self.version == current.version
        self.history = history
        self.slider.maximum = history.version
        self.set_version(history.version if at_latest else self.version)

    # -- showing a version -------------------------------------------------------------------
    def set_version(self, version: int) -> None:
        """Show the state at ``version`` (clamped), the event that led to it and its changes."""
        history = self.history
        if history is None:
            return
        version = min(max(version, 0), history.version)
        self.version = version
        self.slider.value = version
        self.query_one("#tt-version", Input).value = str(version)
        self.query_one("#tt-of", Static).update(Content(f"/ {history.version}"))
        event = history.event_at(version)
        # Build v from v-1 with one apply: the diff needs both and state_at is a copy anyway.
        before = history.state_at(version - 1) if event is not None else None
        if before is not None and event is not None:
            state = before.model_copy(deep=True)
            state.apply(event.payload)
        else:
            state = history.state_at(version)
        after = flatten(state.state_json())
        changes = diff(flatten(before.state_json()), after) if before is not None else {}
        name = f"{self.aggregate_type} {history.aggregate_id}"
        self.query_one("#tt-state-title", Static).update(
            Content.from_markup(
                "State of [b]$name[/b] at version [b $text-accent]$v[/] of $n",
                name=name,
                v=str(version),
                n=str(history.version),
            )
        )
        self.query_one("#tt-changes", Static).update(
            Content(describe(changes) if event is not None else "version 0: before any event")
        )
        self.query_one("#tt-state", Static).update(render_state(after, changes))
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

    # -- input -------------------------------------------------------------------------------
    @on(Input.Submitted, "#tt-id")
    def _id_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        aggregate_id = event.value.strip()
        if not aggregate_id:
            self.notify("Type an aggregate id first.", title=self.TITLE, severity="warning")
            return
        self._load(self._chosen_type(), aggregate_id, None)

    @on(Input.Submitted, "#tt-version")
    def _version_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.history is None:
            return
        try:
            version = int(event.value)
        except ValueError:
            self.notify(
                f"{event.value!r} is not a version.",
                title=self.TITLE,
                severity="error",
                markup=False,
            )
            return
        if not 0 <= version <= self.history.version:
            self.notify(
                f"Versions go from 0 to {self.history.version}.",
                title=self.TITLE,
                severity="warning",
                markup=False,
            )
        self.slider.focus()
        self.set_version(version)

    @on(VersionSlider.Changed)
    def _slid(self, event: VersionSlider.Changed) -> None:
        event.stop()
        self.set_version(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        steps = {"tt-first": self.action_first, "tt-last": self.action_last}
        if event.button.id in steps:
            steps[event.button.id]()
        elif event.button.id in ("tt-prev", "tt-next"):
            self.action_step(-1 if event.button.id == "tt-prev" else 1)

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

    # -- errors ------------------------------------------------------------------------------
    def _failed(self, what: str, error: Exception) -> None:
        """Report a failed read from any thread; the pane keeps what it shows."""
        self.notify(f"{what}: {error}", title=self.TITLE, severity="error", timeout=8, markup=False)
