"""The Commands pane: build a command from the domain's schema, execute it, see what it did."""

from __future__ import annotations

import json
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from tui_es.es.aggregate import Aggregate
from tui_es.es.application import Application
from tui_es.es.envelope import EventEnvelope
from tui_es.es.errors import AggregateError, UserError
from tui_es.es.importing import key_problem
from tui_es.es.messages import Command, InvalidMessage
from tui_es.es.trace import CommandTrace
from tui_es.tui.commands.form import CommandForm
from tui_es.tui.commands.history import CommandHistory, RecentCommand
from tui_es.tui.commands.metadata import MetadataEditor
from tui_es.tui.commands.outcome import Outcome
from tui_es.tui.commands.schema import RawValue, body_values, command_fields, skeleton_body
from tui_es.tui.commands.suggest import AggregateIdSuggester
from tui_es.tui.commands.trace import TraceScreen, TraceView
from tui_es.tui.messages import EventsCommitted
from tui_es.tui.palette import PaletteCommand
from tui_es.tui.pane import StorePane
from tui_es.tui.threads import call_ui

HINT = "Fill in the command, then ctrl+s (or Execute). The events it commits show here."
READ_ONLY_HINT = (
    "The store is open read-only: the form and raw JSON show what a command looks like, "
    "but nothing can be executed."
)


class CommandsPane(StorePane):
    TITLE: ClassVar[str] = "Commands"
    HELP: ClassVar[str] = """\
Send a **command** to an aggregate. The aggregate loads its events, decides,
and either commits new **events** or rejects the command with the domain's
own message; a rejected command writes nothing.

- **Aggregate** and **Id**: an existing id completes as you type (→ accepts
  the suggestion); a new id starts a new aggregate at version 0. An id is
  at most 255 characters, without NUL, as every store can hold it.
- **Command**: its form is generated from the command's schema. `*` marks a
  required field; each field shows its error as you type. Once the command
  that creates the aggregate (the first, e.g. OpenAccount) has committed,
  the form moves on to the next one (DepositMoney) for the same id.
- **raw JSON**: type the body as a cqrs-es HTTP API takes it: the command's
  name as the only key, its fields inside, e.g. `{"Name": {"field": 1.0}}`.
- **Metadata**: key=value entries stored with every event of the command.
- **Recent**: commands sent in this session; pick one to fill the form again.

After Execute, enter on a committed event selects it in the Event stream,
`t` opens its aggregate in Time travel.

Under the outcome, the **trace** shows what Execute did, step by step, with
the time each step took: **load** (snapshot + events → state), **handle**
(the events emitted, or the error), **commit** (the expected version, the
sequences and positions written), **dispatch** (each view's rows before and
after, changed fields highlighted, and its checkpoint moving). ctrl+o (or
enter on the trace) opens it full screen with every value.
"""

    DEFAULT_FOCUS: ClassVar[str] = "#aggregate-id"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "execute", "Execute", tooltip="Execute the command"),
        # Many terminals send ctrl+enter as ctrl+j.
        Binding("ctrl+j", "execute", "Execute", show=False),
        Binding(
            "ctrl+t", "toggle_json", "Form/JSON", tooltip="Switch between the form and raw JSON"
        ),
        Binding("ctrl+r", "recent", "Recent", tooltip="Recall a command sent in this session"),
        Binding(
            "ctrl+o", "open_trace", "Trace", tooltip="Open the last command's trace full screen"
        ),
    ]

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(application, id=id, classes=classes)
        self.history = CommandHistory()
        self._drafts: dict[tuple[str, str], dict[str, RawValue]] = {}
        self._aggregate: type[Aggregate] = application.domain.aggregate()
        self._form = CommandForm(self._first_command(self._aggregate))
        self._busy = False

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        domain = self.application.domain
        with VerticalScroll(id="command-editor"):
            with Horizontal(classes="form-field"):
                yield Label("Aggregate", classes="field-label")
                yield Select(
                    [(a.aggregate_type, a.aggregate_type) for a in domain.aggregates],
                    value=self._aggregate.aggregate_type,
                    allow_blank=False,
                    compact=True,
                    id="aggregate-type",
                )
            with Horizontal(classes="form-field"):
                yield Label("Id *", classes="field-label")
                yield Input(
                    placeholder="an existing id (→ completes it) or a new one",
                    suggester=AggregateIdSuggester(self.application.store, self._aggregate_type),
                    compact=True,
                    id="aggregate-id",
                )
                yield Static("", id="aggregate-status", markup=False)
            yield Static("", id="aggregate-id-error", classes="field-error", markup=False)
            with Horizontal(classes="form-field"):
                yield Label("Command", classes="field-label")
                yield Select(
                    self._command_options(self._aggregate),
                    value=self._form.model.type_name(),
                    allow_blank=False,
                    compact=True,
                    id="command-name",
                )
                yield Checkbox("raw JSON", compact=True, id="json-mode")
            with Vertical(id="form-slot"):
                yield self._form
            with Vertical(id="json-slot"):
                yield TextArea(
                    "",
                    id="json-body",
                    soft_wrap=True,
                    tab_behavior="focus",
                    show_line_numbers=False,
                )
                yield Static("", id="json-error", classes="field-error", markup=False)
            yield MetadataEditor(id="metadata")
        with Horizontal(id="command-actions"):
            if self.read_only:
                yield Static("Read-only store: no Execute", id="read-only-notice", markup=False)
            else:
                yield Button("Execute", variant="primary", compact=True, id="execute")
                yield Label("ctrl+s", id="execute-key")
            yield Select[int]([], prompt="Recent commands", compact=True, id="recent")
        yield Outcome(id="outcome")

    def on_mount(self) -> None:
        self.query_one("#json-slot").display = False
        self.query_one("#aggregate-id-error").display = False
        self.query_one(Outcome).show_hint(READ_ONLY_HINT if self.read_only else HINT)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _first_command(aggregate: type[Aggregate]) -> type[Command]:
        return next(iter(aggregate.commands.types.values()))

    @staticmethod
    def _command_options(aggregate: type[Aggregate]) -> list[tuple[str, str]]:
        return [(name, name) for name in aggregate.commands.names()]

    def _aggregate_type(self) -> str:
        return self._aggregate.aggregate_type

    @property
    def json_mode(self) -> bool:
        return self.query_one("#json-mode", Checkbox).value

    @property
    def form(self) -> CommandForm:
        return self._form

    async def _show_command(self, name: str, values: dict[str, RawValue] | None = None) -> None:
        """Replace the form by the one of ``name``, keeping what was typed in each command."""
        old = self._form
        self._drafts[(self._aggregate_type(), old.model.type_name())] = old.raw_values()
        model = self._aggregate.commands.get(name)
        if values is None:
            values = self._drafts.get((self._aggregate_type(), name), {})
        self._form = CommandForm(model, values)
        slot = self.query_one("#form-slot")
        await slot.remove_children()
        await slot.mount(self._form)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_trace":
            return self.last_trace is not None
        return not (action == "execute" and self.read_only)

    @property
    def last_trace(self) -> CommandTrace | None:
        """The trace of the last command executed, if it got as far as loading."""
        return self.query_one(Outcome).trace

    # -- choosing -----------------------------------------------------------------------------
    @on(Select.Changed, "#aggregate-type")
    async def _aggregate_chosen(self, event: Select.Changed) -> None:
        event.stop()
        # The select's value now, not the event's: a recall may have moved it on since.
        value = event.select.value
        if not isinstance(value, str) or value == self._aggregate_type():
            return
        self._aggregate = self.application.domain.aggregate(value)
        first = self._first_command(self._aggregate)
        commands = self.query_one("#command-name", Select)
        await self._show_command(first.type_name())
        commands.set_options(self._command_options(self._aggregate))
        commands.value = first.type_name()
        self._refresh_status()

    @on(Select.Changed, "#command-name")
    async def _command_chosen(self, event: Select.Changed) -> None:
        event.stop()
        value = event.select.value
        if isinstance(value, str) and value != self._form.model.type_name():
            chosen_here = event.select.has_focus_within
            await self._show_command(value)
            if chosen_here and not self.json_mode:
                # the user picked it: what comes next is its first field, not the JSON switch
                self._focus_first_field()

    @on(Input.Changed, "#aggregate-id")
    def _id_changed(self, event: Input.Changed) -> None:
        event.stop()
        # the CLI's rule for ids (key_problem): what one store cannot hold is refused everywhere
        problem = key_problem(event.value.strip())
        self._show_id_error("" if problem is None else f"the id {problem}")
        self._refresh_status()

    @on(Input.Submitted, "#aggregate-id")
    def _id_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    def _show_id_error(self, message: str) -> None:
        error = self.query_one("#aggregate-id-error", Static)
        error.update(f"↳ {message}" if message else "")
        error.display = bool(message)
        self.query_one("#aggregate-id", Input).set_class(bool(message), "-invalid")

    def _refresh_status(self) -> None:
        aggregate_id = self.query_one("#aggregate-id", Input).value.strip()
        if key_problem(aggregate_id) is not None:
            aggregate_id = ""  # no store can hold it: there is no version to look up
        self._load_status(self._aggregate_type(), aggregate_id)

    @work(thread=True, exclusive=True, group="aggregate-status", exit_on_error=False)
    def _load_status(self, aggregate_type: str, aggregate_id: str) -> None:
        if not aggregate_id:
            text = ""
        else:
            try:
                version = self.application.store.last_sequence(aggregate_type, aggregate_id)
            except Exception:
                text = ""
            else:
                text = f"version {version}" if version else "new"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.query_one("#aggregate-status", Static).update, text)

    # -- raw JSON -------------------------------------------------------------------------------
    @on(Checkbox.Changed, "#json-mode")
    async def _mode_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        await self._set_json_mode(event.value)

    async def _set_json_mode(self, on_: bool) -> None:
        body = self.query_one("#json-body", TextArea)
        if on_:
            result = self._form.check()
            shape = skeleton_body(self._form.specs, result.body)
            body.text = json.dumps({self._form.model.type_name(): shape}, ensure_ascii=False)
            self._check_json()
        else:
            try:
                _, command = self.application.parse_command(body.text, self._aggregate_type())
            except InvalidMessage:
                pass  # keep the form as it was: half-typed JSON is not lost, only not carried over
            else:
                await self._fill_form(command)
        self.query_one("#form-slot").display = not on_
        self.query_one("#json-slot").display = on_
        self.query_one("#command-name", Select).disabled = on_

    async def _fill_form(self, command: Command) -> None:
        name = command.type_name()
        specs = command_fields(type(command))
        await self._show_command(name, body_values(specs, command.model_dump(mode="json")))
        self.query_one("#command-name", Select).value = name

    @on(TextArea.Changed, "#json-body")
    def _json_edited(self, event: TextArea.Changed) -> None:
        event.stop()
        self._check_json()

    def _check_json(self) -> Command | None:
        error = self.query_one("#json-error", Static)
        try:
            _, command = self.application.parse_command(
                self.query_one("#json-body", TextArea).text, self._aggregate_type()
            )
        except InvalidMessage as e:
            error.update(f"↳ {e}")
            error.set_class(True, "-error")
            return None
        error.update(f"✓ {command.type_name()}")
        error.set_class(False, "-error")
        return command

    def action_toggle_json(self) -> None:
        checkbox = self.query_one("#json-mode", Checkbox)
        checkbox.value = not checkbox.value

    # -- executing ------------------------------------------------------------------------------
    def _request(self) -> RecentCommand | None:
        """Everything Execute sends, or None after showing what is wrong."""
        outcome = self.query_one(Outcome)
        aggregate_id = self.query_one("#aggregate-id", Input).value.strip()
        problems = []
        if not aggregate_id:
            self._show_id_error("required: the aggregate the command is for")
            problems.append("the aggregate id is missing")
        elif (problem := key_problem(aggregate_id)) is not None:
            self._show_id_error(f"the id {problem}")
            problems.append(f"the aggregate id {problem}")
        command: Command | None
        if self.json_mode:
            command = self._check_json()
            if command is None:
                problems.append(
                    str(self.query_one("#json-error", Static).content).removeprefix("↳ ")
                )
        else:
            result = self._form.check(show_all=True)
            command = result.command if result.ok and isinstance(result.command, Command) else None
            if command is None:
                problems.append("fix the fields marked ↳")
        metadata, metadata_error = self.query_one(MetadataEditor).entries()
        if self.query_one(MetadataEditor).check():
            problems.append(f"metadata: {metadata_error}")
        if problems or command is None:
            outcome.show_invalid("; ".join(problems))
            return None
        return RecentCommand(self._aggregate_type(), aggregate_id, command, metadata)

    def action_execute(self) -> None:
        if self.read_only:
            self.notify("The store is open read-only.", severity="warning")
            return
        if self._busy:
            return
        request = self._request()
        if request is not None:
            self.run_command(request)

    @on(Button.Pressed, "#execute")
    def _execute_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_execute()

    def run_command(self, request: RecentCommand) -> None:
        self._busy = True
        self.history.add(request)
        self._refresh_recent()
        self.query_one(Outcome).show_hint(f"Executing {request.name} on {request.aggregate_id}…")
        self._execute(request)

    @work(thread=True, exclusive=True, group="execute", exit_on_error=False)
    def _execute(self, request: RecentCommand) -> None:
        trace, envelopes, error = self.application.trace(
            request.aggregate_id,
            request.command,
            request.metadata or None,
            aggregate_type=request.aggregate_type,
        )
        if error is None:
            call_ui(self, self._finished, request, envelopes, None, trace)
            return
        if isinstance(error, UserError):
            failure = ("rejected", str(error))
        elif isinstance(error, InvalidMessage):
            failure = ("invalid", str(error))
        elif isinstance(error, AggregateError):
            failure = ("failed", f"{type(error).__name__}: {error}")
        else:
            failure = ("failed", f"unexpected {type(error).__name__}: {error}")
        call_ui(self, self._finished, request, None, failure, trace)

    async def _finished(
        self,
        request: RecentCommand,
        envelopes: list[EventEnvelope] | None,
        error: tuple[str, str] | None,
        trace: CommandTrace | None = None,
    ) -> None:
        self._busy = False
        outcome = self.query_one(Outcome)
        if envelopes is not None:
            following = self._command_after(request) if envelopes else None
            note = (
                f"{request.aggregate_type} {request.aggregate_id} exists now: "
                f"the form moved on to {following}."
                if following is not None
                else ""
            )
            outcome.show_committed(request.aggregate_type, request.aggregate_id, envelopes, note)
            if envelopes:
                self.post_message(EventsCommitted(envelopes))
            if following is not None:
                await self._move_on_to(following)
        elif error is not None:
            kind, message = error
            if kind == "rejected":
                outcome.show_rejected(message)
            elif kind == "invalid":
                outcome.show_invalid(message)
            else:
                outcome.show_failed(message)
                self.notify(message, title="Command failed", severity="error")
        outcome.show_trace(trace)
        self.refresh_bindings()
        self._refresh_status()

    def _command_after(self, request: RecentCommand) -> str | None:
        """The command the form moves on to once ``request`` has created its aggregate, if any.

        An aggregate's first command is the one that creates it: the form starts there, for a
        new id. Once it has committed, the same again is no longer what the user wants (in
        cqrs-demo, OpenAccount again records a second AccountOpened for an open account):
        the form moves on to the aggregate's next command, on the same id, unless the user
        has already changed the id, the command or the aggregate type meanwhile.
        """
        aggregate = self._aggregate
        names = aggregate.commands.names()
        opening = self._first_command(aggregate)
        if (
            len(names) < 2
            or request.aggregate_type != self._aggregate_type()
            or type(request.command) is not opening
            or self._form.model is not opening
            or self.query_one("#aggregate-id", Input).value.strip() != request.aggregate_id
        ):
            return None
        return names[1]

    async def _move_on_to(self, name: str) -> None:
        in_form = self._form.has_focus_within
        await self._show_command(name)
        self.query_one("#command-name", Select).value = name
        if self.json_mode:
            await self._set_json_mode(True)  # the JSON of the form shown now
        if in_form:
            self._focus_first_field()

    # -- the trace ------------------------------------------------------------------------------
    def action_open_trace(self) -> None:
        trace = self.last_trace
        if trace is None:
            self.notify("No command executed yet: its trace shows after Execute.")
            return
        self.app.push_screen(TraceScreen(trace))

    @on(TraceView.Open)
    def _trace_opened(self, event: TraceView.Open) -> None:
        event.stop()
        self.action_open_trace()

    # -- recalling ------------------------------------------------------------------------------
    def _refresh_recent(self) -> None:
        recent = self.query_one("#recent", Select)
        recent.set_options([(r.label, i) for i, r in enumerate(self.history.items())])

    @on(Select.Changed, "#recent")
    async def _recent_chosen(self, event: Select.Changed) -> None:
        event.stop()
        index = event.value
        if not isinstance(index, int) or not 0 <= index < len(self.history):
            return
        await self.recall(self.history[index])
        event.select.clear()

    async def recall(self, recent: RecentCommand) -> None:
        """Fill the pane with a command sent before, ready to be executed again."""
        if recent.aggregate_type != self._aggregate_type():
            self._aggregate = self.application.domain.aggregate(recent.aggregate_type)
            commands = self.query_one("#command-name", Select)
            commands.set_options(self._command_options(self._aggregate))
            self.query_one("#aggregate-type", Select).value = recent.aggregate_type
        self.query_one("#aggregate-id", Input).value = recent.aggregate_id
        await self._fill_form(recent.command)
        self.query_one("#json-body", TextArea).text = recent.body_json
        await self.query_one(MetadataEditor).set_entries(recent.metadata)
        self.query_one(Outcome).show_hint(
            f"Recalled {recent.name} on {recent.aggregate_id}: ctrl+s executes it again."
        )

    async def execute_recent(self, index: int) -> None:
        """Run a command of the history again, as it was (the palette's "Execute again")."""
        recent = self.history[index]
        await self.recall(recent)
        if not self.read_only:
            self.run_command(recent)

    def action_recent(self) -> None:
        recent = self.query_one("#recent", Select)
        if not len(self.history):
            self.notify("No command sent yet in this session.")
            return
        recent.focus()
        recent.expanded = True

    # -- palette ---------------------------------------------------------------------------------
    async def choose_command(self, name: str) -> None:
        """Show the form of ``name`` and put the cursor in its first field."""
        if self.json_mode:
            self.query_one("#json-mode", Checkbox).value = False
            await self._set_json_mode(False)
        if name != self._form.model.type_name():
            await self._show_command(name)
            self.query_one("#command-name", Select).value = name
        if not self._focus_first_field():
            self.query_one("#aggregate-id", Input).focus()

    def _focus_first_field(self) -> bool:
        """Put the cursor in the form's first field; False if the command has none."""
        inputs = self._form.query(".field-input")
        if inputs:
            inputs.first().focus()
        return bool(inputs)

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                f"New command: {name}",
                f"Fill in the form of {name} ({self._aggregate_type()})",
                partial(self.choose_command, name),
            )
            for name in self._aggregate.commands.names()
        ]
        if not self.read_only:
            commands.append(
                PaletteCommand(
                    "Execute the command", "Send what the form holds", self.action_execute
                )
            )
        commands.append(
            PaletteCommand(
                "Switch form / raw JSON", "Type the command as JSON", self.action_toggle_json
            )
        )
        if self.last_trace is not None:
            commands.append(
                PaletteCommand(
                    "Command trace: the last command, full screen",
                    "What load, handle, commit and dispatch did (ctrl+o)",
                    self.action_open_trace,
                )
            )
        for index, recent in enumerate(self.history.items()):
            commands.append(
                PaletteCommand(
                    f"Execute again: {recent.label}",
                    "Run a command of this session again, as it was",
                    partial(self.execute_recent, index),
                    discover=index < 3,
                )
            )
        return commands
