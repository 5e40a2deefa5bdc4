"""The scenario lab (F6): provoke a conflict, a snapshot, drift, an upcast, a stale read or a
chain of commands on purpose, on a scratch copy of the store, and watch it step by step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    Tree,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_es.es.application import Application
from tui_es.es.errors import DomainError, UserError
from tui_es.es.lab import SCENARIOS
from tui_es.es.messages import Command, InvalidMessage
from tui_es.es.words import plural
from tui_es.tui.commands.history import RecentCommand
from tui_es.tui.lab.render import node_details, node_label, step_content, tree_size
from tui_es.tui.lab.runner import (
    DEFAULT_COMMANDS,
    DEFAULT_DELAY,
    DEFAULT_INTERVAL,
    PARAMETERS,
    LabInputError,
    LabRequest,
    LabResult,
    command_json,
    policy_named,
    run_on_scratch,
    scenario,
    suggest_command,
)
from tui_es.tui.threads import call_ui

HINT = (
    "Pick a scenario, check its parameters, then ctrl+s (or Run). It runs on a scratch copy "
    "of the store: the real one is never touched."
)
ALL_PARAMETERS = ("aggregate", "command", "interval", "view", "delay", "policy")
# Below this many columns the scenario list shows short titles, so the parameters have room.
NARROW = 110
SHORT_TITLES = {
    "conflict": "Conflict",
    "snapshot": "Snapshot",
    "drift": "Drift",
    "upcast": "Upcast",
    "consistency": "Consistency",
    "causation": "Causation",
}


def scratch_summary(result: LabResult) -> Content:
    """What the run did to the scratch copy's log, and that the real store's head did not move."""
    before, after = result.scratch_head_before, result.scratch_head_after
    if after == before:
        log = f"nothing was appended to its log (still at position {before})"
    else:
        log = (
            f"its log went from position {before} to {after} "
            f"({plural(after - before, 'event')} appended)"
        )
    return Content.assemble(
        ("On a scratch copy: ", "bold"),
        f"{log}, then the copy was thrown away. ",
        ("The real store is untouched: ", "bold"),
        f"its head is still {result.real_head}.",
    )


class StepView(Static):
    """One step of a run, drawn again for the width it gets (the bars and values fit it)."""

    def __init__(self, run: Any, index: int, width: int) -> None:
        super().__init__(step_content(run, index, width), classes="lab-step")
        self.lab_run = run
        self.index = index
        self.drawn_for = width

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        if width > 0 and width != self.drawn_for:
            self.drawn_for = width
            self.update(step_content(self.lab_run, self.index, width))


class CausationTree(Tree[dict[str, Any]]):
    """command → events → commands → events, as the policy made them happen."""

    def __init__(self, root: dict[str, Any], correlation_id: str) -> None:
        super().__init__(node_label(root), data=root, id="lab-tree")
        self.correlation_id = correlation_id
        self.parents: dict[int, dict[str, Any] | None] = {id(root): None}
        self._add(self.root, root)
        self.root.expand_all()
        self.show_root = True
        self.guide_depth = 3

    def _add(self, parent: Any, node: dict[str, Any]) -> None:
        for child in node.get("children") or []:
            self.parents[id(child)] = node
            branch = parent.add(node_label(child), data=child, expand=True)
            if child.get("children"):
                self._add(branch, child)
            else:
                branch.allow_expand = False


class LabScreen(Screen[None]):
    TITLE = "Scenario lab"
    CSS_PATH = Path(__file__).with_name("lab.tcss")
    HELP: ClassVar[str] = """\
The **scenario lab** makes the moments of event sourcing happen on purpose:
two writers in a conflict, a snapshot cutting the events a load reads, a view
drifting from the log and rebuilt, an old event upcast as it is read, a stale
read from an eventually consistent view, and a policy chaining commands with
correlation and causation ids.

Every run works on a **scratch copy** of the store, made for that run and
thrown away after: the real store is never written to. The result line says
how far the copy's log grew and that the real head did not move.

- Pick a scenario on the left (↑/↓); its explanation and parameters show,
  and the results of another scenario are cleared.
- **Command**: JSON as the Commands pane's raw JSON takes it. It is filled
  with a command the chosen aggregate accepts now (the last one you executed,
  if it still is accepted); edit it freely, empty it to get a suggestion back.
- ctrl+s or Run runs it; each step shows its values, then the conclusion.
- The causation tree is navigable: ↑/↓ move, enter folds, the ids of the
  highlighted command or event show under it.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run", "Run", tooltip="Run the scenario on a scratch copy"),
        # Many terminals send ctrl+enter as ctrl+j.
        Binding("ctrl+j", "run", "Run", show=False),
        Binding("escape", "close", "Close", tooltip="Back to the dashboard"),
    ]

    def __init__(
        self,
        application: Application,
        *,
        scenario: str | None = None,
        recent: RecentCommand | None = None,
    ) -> None:
        super().__init__()
        self.application = application
        self.recent = recent
        keys = [s.key for s in SCENARIOS]
        self.scenario = scenario if scenario in keys else keys[0]
        self.result: LabResult | None = None  # the run shown, always of ``scenario``
        self.error: str | None = None
        self.running = False
        self.narrow: bool | None = None
        self._suggested = ""  # the command last filled in; the user's own text is never replaced
        domain = application.domain
        first = recent.aggregate_type if recent else domain.aggregate().aggregate_type
        self._aggregate_type = first

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        domain = self.application.domain
        yield Header()
        with Horizontal(id="lab-body"):
            with Vertical(id="lab-side"):
                yield Label("Scenarios", classes="lab-heading")
                yield OptionList(
                    *(
                        Option(f"{n}. {s.title}", id=s.key)
                        for n, s in enumerate(SCENARIOS, start=1)
                    ),
                    id="lab-scenarios",
                )
                yield Static(
                    "Each run uses a scratch copy of the store: the real one is never touched.",
                    id="lab-scratch-note",
                    markup=False,
                )
            with VerticalScroll(id="lab-main"):
                yield Static("", id="lab-explanation")
                with Vertical(id="lab-params"):
                    with Horizontal(classes="form-field lab-param", id="param-aggregate"):
                        yield Label("Aggregate", classes="field-label")
                        yield Select(
                            [(a.aggregate_type, a.aggregate_type) for a in domain.aggregates],
                            value=self._aggregate_type,
                            allow_blank=False,
                            compact=True,
                            id="lab-aggregate-type",
                        )
                        yield Select[str]([], prompt="id", compact=True, id="lab-aggregate-id")
                    with Horizontal(classes="form-field lab-param", id="param-command"):
                        yield Label("Command", classes="field-label")
                        yield Input(
                            placeholder='{"Name": {"field": 1.0}}',
                            compact=True,
                            id="lab-command",
                        )
                    yield Static("", id="lab-command-status", classes="field-error", markup=False)
                    with Horizontal(classes="form-field lab-param", id="param-interval"):
                        yield Label("Snapshots", classes="field-label")
                        yield Label("every", classes="lab-unit -first")
                        yield Input(
                            str(DEFAULT_INTERVAL),
                            compact=True,
                            type="integer",
                            id="lab-interval",
                        )
                        yield Label("events, over", classes="lab-unit")
                        yield Input(
                            str(DEFAULT_COMMANDS),
                            compact=True,
                            type="integer",
                            id="lab-commands",
                        )
                        yield Label("commands", classes="lab-unit")
                    with Horizontal(classes="form-field lab-param", id="param-view"):
                        yield Label("View", classes="field-label")
                        yield Select(
                            [(v.name, v.name) for v in domain.views],
                            prompt="no view",
                            allow_blank=not domain.views,
                            compact=True,
                            id="lab-view",
                        )
                    with Horizontal(classes="form-field lab-param", id="param-delay"):
                        yield Label("Delay", classes="field-label")
                        yield Input(
                            f"{DEFAULT_DELAY:g}", compact=True, type="number", id="lab-delay"
                        )
                        yield Label("seconds before the view catches up", classes="lab-unit")
                    with Horizontal(classes="form-field lab-param", id="param-policy"):
                        yield Label("Policy", classes="field-label")
                        yield Select(
                            [(p.name, p.name) for p in domain.policies],
                            prompt="this domain has no policy",
                            allow_blank=not domain.policies,
                            compact=True,
                            id="lab-policy",
                        )
                with Horizontal(id="lab-actions"):
                    yield Button("Run", variant="primary", compact=True, id="lab-run")
                    yield Label("ctrl+s", id="lab-run-key")
                    yield Static("", id="lab-status", markup=False)
                with Vertical(id="lab-result"):
                    yield Static(HINT, classes="lab-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        scenarios = self.query_one("#lab-scenarios", OptionList)
        scenarios.highlighted = [s.key for s in SCENARIOS].index(self.scenario)
        scenarios.focus()
        self._fit(self.app.size.width)
        self._show_scenario()
        self._load_ids(self._aggregate_type, self.recent.aggregate_id if self.recent else None)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        """Short titles in the scenario list when the screen is narrow, full ones otherwise."""
        narrow = width < NARROW
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self.set_class(narrow, "-narrow")
        scenarios = self.query_one("#lab-scenarios", OptionList)
        for index, s in enumerate(SCENARIOS):
            title = SHORT_TITLES.get(s.key, s.title) if narrow else s.title
            scenarios.replace_option_prompt_at_index(index, f"{index + 1}. {title}")

    # -- choosing ---------------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#lab-scenarios")
    async def _scenario_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        key = event.option.id
        if key is None or key == self.scenario:
            return
        self.scenario = key
        self._show_scenario()
        await self._clear_result()
        self._suggest()

    @on(OptionList.OptionSelected, "#lab-scenarios")
    def _scenario_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_run()

    def _show_scenario(self) -> None:
        chosen = scenario(self.scenario)
        number = [s.key for s in SCENARIOS].index(chosen.key) + 1
        self.query_one("#lab-explanation", Static).update(
            Content.assemble((f"{number}. {chosen.title}\n", "bold $accent"), chosen.explanation)
        )
        wanted = PARAMETERS[self.scenario]
        for name in ALL_PARAMETERS:
            self.query_one(f"#param-{name}").display = name in wanted
        self.query_one("#lab-command-status").display = "command" in wanted
        self.query_one("#lab-params").display = bool(wanted)
        blocked = "policy" in wanted and not self.application.domain.policies
        self.query_one("#lab-run", Button).disabled = blocked or self.running

    async def _clear_result(self) -> None:
        """Back to the hint: what is shown belongs to another scenario."""
        self.result = None
        self.error = None
        if not self.running:  # a run still going says so until it ends
            self._set_status("")
        box = self.query_one("#lab-result", Vertical)
        await box.remove_children()
        await box.mount(Static(HINT, classes="lab-hint"))
        self.query_one("#lab-main", VerticalScroll).scroll_home(animate=False)

    @on(Select.Changed, "#lab-aggregate-type")
    def _type_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.select.value
        if isinstance(value, str) and value != self._aggregate_type:
            self._aggregate_type = value
            self._load_ids(value, None)

    @on(Select.Changed, "#lab-aggregate-id")
    def _id_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._suggest()

    @on(Select.Changed, "#lab-policy")
    def _policy_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._suggest()

    @work(thread=True, exclusive=True, group="lab-ids", exit_on_error=False)
    def _load_ids(self, aggregate_type: str, wanted: str | None) -> None:
        try:
            ids = self.application.store.aggregate_ids(aggregate_type, "", 200)
        except Exception as e:
            call_ui(self, self._set_status, f"Cannot read the ids: {type(e).__name__}: {e}")
            return
        if not get_current_worker().is_cancelled:
            call_ui(self, self._ids_loaded, ids, wanted)

    def _ids_loaded(self, ids: list[str], wanted: str | None) -> None:
        select = self.query_one("#lab-aggregate-id", Select)
        # Quietly: the suggestion below is the one looked for, not a second one on Changed.
        with select.prevent(Select.Changed):
            select.set_options([(i, i) for i in ids])
            if ids:
                select.value = wanted if wanted in ids else ids[0]
        if not ids:
            self._set_status(
                f"No {self._aggregate_type} in the store yet: execute a command first."
            )
        self._suggest()

    @property
    def aggregate_id(self) -> str:
        value = self.query_one("#lab-aggregate-id", Select).value
        return value if isinstance(value, str) else ""

    # -- the command ----------------------------------------------------------------------------
    def _suggest(self) -> None:
        """Fill the command in, unless the user typed their own."""
        if "command" not in PARAMETERS[self.scenario] or not self.aggregate_id:
            return
        text = self.query_one("#lab-command", Input).value.strip()
        if text and text != self._suggested:
            return
        policy = None
        if self.scenario == "causation" and self.application.domain.policies:
            value = self.query_one("#lab-policy", Select).value
            try:
                policy = policy_named(
                    self.application.domain, value if isinstance(value, str) else None
                )
            except LabInputError:
                policy = None
        preferred = [self.recent.command] if self.recent else []
        self._find_command(self._aggregate_type, self.aggregate_id, policy, preferred)

    @work(thread=True, exclusive=True, group="lab-suggest", exit_on_error=False)
    def _find_command(
        self, aggregate_type: str, aggregate_id: str, policy: Any, preferred: list[Command]
    ) -> None:
        try:
            command = suggest_command(
                self.application, aggregate_type, aggregate_id, policy=policy, preferred=preferred
            )
        except Exception:
            command = None
        if command is not None and not get_current_worker().is_cancelled:
            call_ui(self, self._fill_command, command_json(command))

    def _fill_command(self, text: str) -> None:
        box = self.query_one("#lab-command", Input)
        current = box.value.strip()
        if current and current != self._suggested:
            return  # typed while the suggestion was being looked for
        self._suggested = text
        box.value = text

    @on(Input.Changed, "#lab-command")
    def _command_edited(self, event: Input.Changed) -> None:
        event.stop()
        status = self.query_one("#lab-command-status", Static)
        text = event.value.strip()
        if not text:
            status.update("↳ empty: a suggestion follows")
            status.set_class(True, "-error")
            self._suggested = ""
            self._suggest()
            return
        try:
            _, command = self.application.parse_command(text, self._aggregate_type)
        except InvalidMessage as e:
            status.update(f"↳ {e}")
            status.set_class(True, "-error")
            return
        origin = "suggested: accepted by the aggregate now" if text == self._suggested else "yours"
        status.update(f"✓ {command.type_name()} ({origin})")
        status.set_class(False, "-error")

    # -- running --------------------------------------------------------------------------------
    def request(self) -> LabRequest:
        def select(selector: str) -> str | None:
            value = self.query_one(selector, Select).value
            return value if isinstance(value, str) else None

        return LabRequest(
            scenario=self.scenario,
            aggregate_type=self._aggregate_type,
            aggregate_id=self.aggregate_id,
            command_json=self.query_one("#lab-command", Input).value,
            interval=self.query_one("#lab-interval", Input).value,
            commands=self.query_one("#lab-commands", Input).value,
            view=select("#lab-view"),
            delay=self.query_one("#lab-delay", Input).value,
            policy=select("#lab-policy"),
        )

    def action_run(self) -> None:
        if self.running:
            return
        request = self.request()
        self.running = True
        self.query_one("#lab-run", Button).disabled = True
        self._set_status(f"Running “{scenario(request.scenario).title}” on a scratch copy…")
        self.query_one("#lab-result").loading = True
        self._run(request)

    @on(Button.Pressed, "#lab-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    @work(thread=True, exclusive=True, group="lab-run", exit_on_error=False)
    def _run(self, request: LabRequest) -> None:
        try:
            result = run_on_scratch(self.application, request)
        except LabInputError as e:
            call_ui(self, self._failed, request, str(e))
        except (DomainError, UserError) as e:
            call_ui(self, self._failed, request, f"the domain rejected the command: {e}")
        except Exception as e:
            call_ui(self, self._failed, request, f"{type(e).__name__}: {e}")
        else:
            call_ui(self, self._finished, result)

    def _done(self) -> None:
        self.running = False
        self.query_one("#lab-result").loading = False
        self._show_scenario()

    def _outdated(self, request: LabRequest) -> bool:
        """True for a run of a scenario no longer chosen: its steps would explain another one."""
        if request.scenario == self.scenario:
            return False
        self._set_status("")
        self.notify(
            f"“{scenario(request.scenario).title}” ended after you chose another scenario; "
            "choose it again and run it to see its steps.",
            title="Scenario lab",
        )
        return True

    async def _show_result(self, widgets: list[Widget]) -> None:
        box = self.query_one("#lab-result", Vertical)
        await box.remove_children()
        await box.mount_all(widgets)
        # Once laid out, the result at the top of the column (it only moves if it does not fit).
        self.call_after_refresh(self._reveal_result)

    def _reveal_result(self) -> None:
        main = self.query_one("#lab-main", VerticalScroll)
        main.scroll_to_widget(self.query_one("#lab-result"), animate=False, top=True)

    async def _failed(self, request: LabRequest, message: str) -> None:
        self._done()
        if self._outdated(request):
            return
        self.result = None
        self.error = message
        self._set_status("")
        await self._show_result(
            [
                Static(
                    Content.assemble(
                        (f"✘ {scenario(request.scenario).title}: not run to the end\n", "bold"),
                        message,
                        "\n\nThe scratch copy was thrown away; the real store is untouched.",
                    ),
                    classes="lab-error",
                )
            ]
        )

    async def _finished(self, result: LabResult) -> None:
        self._done()
        if self._outdated(result.request):
            return
        self.result = result
        self.error = None
        run = result.run
        self._set_status("Done.")
        # the width the steps get (the column keeps room for its scrollbar: it does not change)
        width = self.query_one("#lab-result").content_region.width or 80
        widgets: list[Widget] = [Static(scratch_summary(result), classes="lab-scratch")]
        for index, step in enumerate(run.steps):
            widgets.append(StepView(run, index, width))
            tree = step.values.get("tree")
            if isinstance(tree, dict):
                correlation = str(step.values.get("correlation_id", ""))
                widgets.append(
                    Static(
                        Content.assemble(
                            ("  correlation id: ", "bold"),
                            correlation,
                            (f"  · {tree_size(tree)}", "$foreground-muted"),
                        ),
                        classes="lab-correlation",
                    )
                )
                widgets.append(CausationTree(tree, correlation))
                widgets.append(Static("", id="lab-node", classes="lab-node"))
        if run.conclusion:
            widgets.append(Static(f"→ {run.conclusion}", classes="lab-conclusion", markup=False))
        await self._show_result(widgets)
        trees = self.query(CausationTree)
        if trees:
            trees.first().focus(scroll_visible=False)
            self._show_node(trees.first(), trees.first().root.data)

    @on(Tree.NodeHighlighted, "#lab-tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[dict[str, Any]]) -> None:
        event.stop()
        tree = event.control
        if isinstance(tree, CausationTree) and event.node.data is not None:
            self._show_node(tree, event.node.data)

    def _show_node(self, tree: CausationTree, node: dict[str, Any] | None) -> None:
        if node is None:
            return
        parent = tree.parents.get(id(node))
        self.query_one("#lab-node", Static).update(node_details(node, parent, tree.correlation_id))

    def _set_status(self, text: str) -> None:
        self.query_one("#lab-status", Static).update(text)

    # -- closing --------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss()
