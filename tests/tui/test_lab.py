"""The scenario lab: every scenario driven through the screen, on a scratch copy of the store."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select, Static, Tree

from tests.tui.dashboard_support import demo_application, settle, wait_until
from tests.tui.test_commands_pane import ACCOUNT, execute, fill
from tui_es.domains.bank import DOMAIN, DepositMoney, WithdrawMoney
from tui_es.domains.bank.policies import ROUND_UP_SAVINGS
from tui_es.es.application import Application
from tui_es.es.lab import SCENARIOS
from tui_es.tui.app import Dashboard
from tui_es.tui.lab import LabScreen
from tui_es.tui.lab import screen as lab_screen
from tui_es.tui.lab.render import loads_lines, tree_size
from tui_es.tui.lab.runner import (
    LabInputError,
    LabRequest,
    LabResult,
    arguments,
    run_on_scratch,
    sample_commands,
    suggest_command,
)
from tui_es.tui.lab.screen import CausationTree, StepView

FIRST = "ACCT-0bb47836"  # the first account id of the demo history


def database(app: Application) -> Path:
    return Path(str(app.store.url.database))  # type: ignore[attr-defined]


def texts(screen: LabScreen, selector: str) -> list[str]:
    return [str(w.content) for w in screen.query(selector).results(Static)]


async def open_lab(pilot: Pilot[None], scenario_index: int) -> LabScreen:
    """F6, then ↓ to the scenario, as a user would."""
    await settle(pilot)
    await pilot.press("f6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LabScreen)
    assert screen.focused is screen.query_one("#lab-scenarios", OptionList)
    for _ in range(scenario_index):
        await pilot.press("down")
    await settle(pilot)
    assert screen.scenario == SCENARIOS[scenario_index].key
    return screen


async def run(pilot: Pilot[None], screen: LabScreen) -> None:
    await pilot.press("ctrl+s")
    assert await wait_until(pilot, lambda: not screen.running)
    await settle(pilot)


EXPECTED: dict[str, tuple[list[str], str]] = {
    "conflict": (
        [
            "Writer A loads",
            "Writer B loads",
            "A commits",
            "B's commit is refused",
            "B reloads and retries",
        ],
        "Exactly one of two writers that loaded the same version commits first.",
    ),
    "snapshot": (
        ["12 commands with a snapshot every 5 events"],
        "At version 26 a load reads 1 event instead of 26.",
    ),
    "drift": (
        [
            "A live row is damaged",
            "Rebuilt into a scratch view",
            "Compared with the live view",
            "The live view is rebuilt",
        ],
        "A view can always be thrown away and rebuilt from the events.",
    ),
    "upcast": (
        [
            "A stored event at an old version",
            "The upcasters applied",
            "Read as the current version",
        ],
        "The stored row is unchanged: only what is read is upcast.",
    ),
    "consistency": (
        [
            "Synchronous dispatcher",
            "Asynchronous dispatcher: read right after the command",
            "The dispatcher catches up",
        ],
        "Eventually consistent: stale for a while, then right.",
    ),
    "causation": (
        ["round-up savings"],
        "Every command of the tree shares one correlation id; each names its cause.",
    ),
}

# What each run shows that only that scenario can: the values it saw.
DETAILS: dict[str, list[str]] = {
    "conflict": ["aggregate conflict: sequence 15 is taken", "expected version: 14"],
    "snapshot": ["events read per load", "without snapshots", "with snapshots"],
    "drift": [
        "1 row differs",
        f'~ account_id  "{FIRST}" → "{FIRST} (damaged)"',
        "no drift left",
    ],
    "upcast": [
        "+ CustomerWithdrewCash.atm_id  null  added by the upcaster",
        "version: 1.0",
        "CustomerWithdrewCash 1.0 → 2.0",
        "applied: 1 upcaster",
        "version: 2.0",
    ],
    "consistency": ["stale: true", "lag: 1", "lag: 0"],
    "causation": [],
}


# What the scratch copy's log did: nothing, or how many events the run appended.
SCRATCH: dict[str, str] = {
    "conflict": "its log went from position 84 to 86 (2 events appended)",
    "snapshot": "its log went from position 84 to 96 (12 events appended)",
    "drift": "nothing was appended to its log (still at position 84)",
    "upcast": "nothing was appended to its log (still at position 84)",
    "consistency": "its log went from position 84 to 86 (2 events appended)",
    "causation": "its log went from position 84 to 87 (3 events appended)",
}


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[s.key for s in SCENARIOS])
async def test_every_scenario_runs_on_a_scratch_copy(demo_app: Application, index: int) -> None:
    key = SCENARIOS[index].key
    path = database(demo_app)
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, index)
        assert texts(screen, "#lab-explanation")[0].startswith(
            f"{index + 1}. {SCENARIOS[index].title}\n{SCENARIOS[index].explanation[:40]}"
        )
        if key in ("conflict", "snapshot", "consistency", "causation"):
            assert await wait_until(
                pilot, lambda: bool(screen.query_one("#lab-command", Input).value)
            )
        before = path.read_bytes()
        head = demo_app.store.head_position()

        await run(pilot, screen)

        assert screen.error is None
        assert screen.result is not None
        titles, conclusion = EXPECTED[key]
        steps = texts(screen, ".lab-step")
        assert [s.split("\n")[0] for s in steps] == [
            f"{n}. {title}" for n, title in enumerate(titles, start=1)
        ]
        assert texts(screen, ".lab-conclusion") == [f"→ {conclusion}"]
        shown = "\n".join(steps)
        for detail in DETAILS[key]:
            assert detail in shown, detail
        assert "2.0.0" not in shown  # versions as the events declare them: "1.0", "2.0"
        (scratch,) = texts(screen, ".lab-scratch")
        assert SCRATCH[key] in scratch
        assert f"The real store is untouched: its head is still {head}." in scratch
        # the real store: not one byte written
        assert demo_app.store.head_position() == head == 84
        assert path.read_bytes() == before
        assert demo_app.store.load_view("account_query", f"{FIRST}-savings") is None


async def test_the_causation_tree_can_be_walked(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 5)
        assert await wait_until(
            pilot, lambda: "WithdrawMoney" in screen.query_one("#lab-command", Input).value
        )
        await run(pilot, screen)

        tree = screen.query_one(CausationTree)
        assert screen.focused is tree
        root = tree.root
        assert str(root.label).startswith("⌘ WithdrawMoney amount=1.0 atm_id=lab  → " + FIRST)
        (withdrawn,) = root.children
        assert "CustomerWithdrewCash" in str(withdrawn.label)
        opened, deposit = withdrawn.children
        assert str(opened.label).startswith(f"⌘ OpenAccount account_id={FIRST}-savings")
        assert str(deposit.label).startswith("⌘ DepositMoney amount=9.0")
        assert "CustomerDepositedMoney amount=9.0" in str(deposit.children[0].label)

        correlation = tree.correlation_id
        details = screen.query_one("#lab-node", Static)
        assert f"correlation id: {correlation}" in str(details.content)
        assert "(the root: its own id)" in str(details.content)
        await pilot.press("down", "down")  # the event, then the first command it caused
        await settle(pilot)
        assert tree.cursor_node is opened
        text = str(details.content)
        assert f"causation id: account/{FIRST}#15" in text
        assert f"correlation id: {correlation}" in text
        await pilot.press("up")
        await settle(pilot)
        assert "caused by command" in str(details.content)
        (header,) = texts(screen, ".lab-correlation")
        assert header.startswith(f"  correlation id: {correlation}")
        assert "3 commands, 3 events" in header


def test_counts_read_in_the_singular_too() -> None:
    event = {"kind": "event", "children": []}
    assert tree_size({"kind": "command", "children": [event]}) == "1 command, 1 event"
    assert tree_size({"kind": "command", "children": [event, event]}) == "1 command, 2 events"


async def test_the_last_command_executed_is_the_lab_command(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await fill(pilot, ACCOUNT, "DepositMoney", amount="2.5")
        await execute(pilot)
        screen = await open_lab(pilot, 0)
        box = screen.query_one("#lab-command", Input)
        assert await wait_until(pilot, lambda: bool(box.value))
        assert json.loads(box.value) == {"DepositMoney": {"amount": 2.5}}
        assert screen.aggregate_id == ACCOUNT
        status = str(screen.query_one("#lab-command-status", Static).content)
        assert status == "✓ DepositMoney (suggested: accepted by the aggregate now)"


async def test_a_command_typed_by_hand_is_kept_and_a_refusal_is_shown(
    demo_app: Application,
) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 0)
        box = screen.query_one("#lab-command", Input)
        assert await wait_until(pilot, lambda: bool(box.value))
        box.value = '{"WithdrawMoney": {"amount": 1e9, "atm_id": "A"}}'
        await settle(pilot)
        assert "(yours)" in str(screen.query_one("#lab-command-status", Static).content)
        screen.query_one("#lab-aggregate-id", Select).value = "ACCT-11fa23b0"
        await settle(pilot)
        assert box.value == '{"WithdrawMoney": {"amount": 1e9, "atm_id": "A"}}'

        await run(pilot, screen)
        assert screen.result is None
        assert screen.error == "the domain rejected the command: funds not available"
        (shown,) = texts(screen, ".lab-error")
        assert "not run to the end" in shown and "funds not available" in shown
        assert "the real store is untouched" in shown
        assert demo_app.store.head_position() == 84

        box.value = "{oops"
        await settle(pilot)
        status = str(screen.query_one("#lab-command-status", Static).content)
        assert status.startswith("↳ invalid JSON")
        await run(pilot, screen)
        assert screen.error is not None and screen.error.startswith("command: invalid JSON")

        box.value = ""  # empty: the suggestion comes back
        assert await wait_until(pilot, lambda: bool(box.value))
        assert json.loads(box.value) == {"DepositMoney": {"amount": 1.0}}


async def test_snapshot_parameters_are_checked_and_used(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 1)
        assert screen.query_one("#param-interval").display
        assert not screen.query_one("#param-policy").display
        screen.query_one("#lab-interval", Input).value = "3"
        screen.query_one("#lab-commands", Input).value = "4"
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        await run(pilot, screen)
        assert screen.result is not None
        loads = screen.result.run.steps[0].values["loads"]
        assert [r["snapshot_at"] for r in loads] == [15, 15, 15, 18]
        assert texts(screen, ".lab-step")[0].startswith("1. 4 commands with a snapshot every 3")

        screen.query_one("#lab-interval", Input).value = "0"
        await run(pilot, screen)
        assert screen.error == "snapshot interval: from 1 to 1000"


async def test_the_lab_opens_from_the_palette_and_closes(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, Dashboard)
        commands = {c.title: c for c in app.palette_commands()}
        assert "Scenario lab" in commands
        commands["Lab: An upcast"].callback()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LabScreen) and screen.scenario == "upcast"
        assert not screen.query_one("#lab-params").display

        await pilot.press("f1")
        await settle(pilot)
        assert "scratch copy" in app.screen.query_one("#help-text").source  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, LabScreen)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)
        await pilot.press("f6")  # F6 again closes it
        await settle(pilot)
        assert not isinstance(app.screen, LabScreen)
        await pilot.press("f6", "f4")  # a pane key goes back to the panes
        await settle(pilot)
        assert not isinstance(app.screen, LabScreen)
        assert app.current_pane == "projections"


async def test_a_read_only_dashboard_can_still_run_the_lab(tmp_path: Path) -> None:
    application = demo_application(tmp_path, read_only=True)
    async with Dashboard(application).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 0)
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        await run(pilot, screen)
        assert screen.result is not None and screen.result.scratch_head_after == 86
        assert application.store.head_position() == 84


# -- without a screen ------------------------------------------------------------------------------
def test_samples_and_suggestions_come_from_the_schema(demo_app: Application) -> None:
    aggregate = DOMAIN.aggregate("account")
    names = [type(c).type_name() for c in sample_commands(aggregate)]
    assert names[0] == "DepositMoney"  # no text field: it needs no real id
    assert set(names) == {"OpenAccount", "DepositMoney", "WithdrawMoney", "WriteCheck"}
    assert suggest_command(demo_app, "account", FIRST) == DepositMoney(amount=1.0)
    assert suggest_command(demo_app, "account", FIRST, policy=ROUND_UP_SAVINGS) == WithdrawMoney(
        amount=1.0, atm_id="lab"
    )
    refused = WithdrawMoney(amount=1e9, atm_id="x")
    kept = DepositMoney(amount=3.0)
    assert suggest_command(demo_app, "account", FIRST, preferred=[refused, kept]) == kept
    assert demo_app.store.head_position() == 84  # tried in memory, nothing written


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"aggregate_id": ""}, "aggregate id: pick one"),
        ({"command_json": ""}, "command: type one as JSON"),
        ({"command_json": '{"Nope": {}}'}, "command: unknown command 'Nope'"),
        ({"interval": "x"}, "snapshot interval: 'x' is not a whole number"),
        ({"commands": "1000"}, "commands: from 1 to 200"),
    ],
)
def test_bad_parameters_are_named(
    demo_app: Application, changes: dict[str, Any], message: str
) -> None:
    request = LabRequest(
        "snapshot",
        aggregate_type="account",
        aggregate_id=FIRST,
        command_json='{"DepositMoney": {"amount": 1.0}}',
    )
    with pytest.raises(LabInputError, match=message.replace("(", r"\(")):
        arguments(demo_app, LabRequest(**{**request.__dict__, **changes}))


def test_delay_and_policy_are_checked(demo_app: Application) -> None:
    base = {
        "aggregate_type": "account",
        "aggregate_id": FIRST,
        "command_json": '{"DepositMoney": {"amount": 1.0}}',
    }
    with pytest.raises(LabInputError, match="delay: from 0 to 10 seconds"):
        arguments(demo_app, LabRequest("consistency", delay="60", **base))
    with pytest.raises(LabInputError, match="unknown policy 'nope'"):
        arguments(demo_app, LabRequest("causation", policy="nope", **base))
    kwargs = arguments(demo_app, LabRequest("consistency", delay="0", view=None, **base))
    assert kwargs["view_name"] == "account_query" and kwargs["delay"] == 0.0


def test_run_on_scratch_leaves_the_store_alone(demo_app: Application) -> None:
    path = database(demo_app)
    before = path.read_bytes()
    result = run_on_scratch(demo_app, LabRequest("drift", view="account_query"))
    assert result.run.steps[0].title == "A live row is damaged"
    assert (result.scratch_head_before, result.scratch_head_after, result.real_head) == (84, 84, 84)
    assert path.read_bytes() == before
    row = demo_app.store.load_view("account_query", FIRST)
    assert row is not None and row.payload["account_id"] == FIRST


async def test_scenario_list_is_numbered_and_explains_itself(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 0)
        options = screen.query_one("#lab-scenarios", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == [f"{n}. {s.title}" for n, s in enumerate(SCENARIOS, start=1)]
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        await pilot.press("enter")  # enter on a scenario runs it
        assert await wait_until(pilot, lambda: screen.result is not None)
        assert screen.result is not None and screen.result.run.scenario == "conflict"
        assert not screen.query(Tree)


# -- the lab's size, and what it shows when the scenario changes -----------------------------------
def fits(screen: LabScreen, selector: str, least: int) -> bool:
    """The widget is on screen, at least ``least`` columns wide, and not cut at the right."""
    region = screen.query_one(selector).region
    return region.width >= least and region.right <= screen.size.width


def result_in_view(screen: LabScreen) -> bool:
    """The result's top at the top of the column, or the column scrolled as far as it goes."""
    main = screen.query_one("#lab-main", VerticalScroll)
    top = screen.query_one("#lab-result").virtual_region.y
    return main.scroll_y == min(top, main.max_scroll_y)


async def test_the_lab_is_usable_at_80x24(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(80, 24)) as pilot:
        screen = await open_lab(pilot, 1)
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        assert fits(screen, "#lab-aggregate-type", 10)
        assert fits(screen, "#lab-aggregate-id", 15)  # was 0 columns wide
        assert fits(screen, "#lab-command", 35)
        assert fits(screen, "#lab-interval", 5) and fits(screen, "#lab-commands", 5)
        assert fits(screen, "#lab-run", 6)
        options = screen.query_one("#lab-scenarios", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(6)]
        assert prompts[:2] == ["1. Conflict", "2. Snapshot"]  # short: the parameters get room

        await run(pilot, screen)
        assert screen.result is not None
        (step,) = screen.query(StepView)
        lines = str(step.content).split("\n")
        width = step.size.width
        assert [line for line in lines if cell_len(line) > width] == []  # no bar wraps
        assert step.size.height == len(lines)
        assert await wait_until(pilot, lambda: result_in_view(screen))
        assert screen.query_one("#lab-main", VerticalScroll).scroll_y > 0  # scrolled to it

        await pilot.resize_terminal(160, 48)  # wider: full titles, the bars drawn again
        await settle(pilot)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(6)]
        assert prompts == [f"{n}. {s.title}" for n, s in enumerate(SCENARIOS, start=1)]
        assert await wait_until(pilot, lambda: step.size.width > width)
        assert await wait_until(
            pilot, lambda: max(map(cell_len, str(step.content).split("\n"))) > 80
        )


def test_the_bars_fit_the_width_they_are_given() -> None:
    rows = [
        {"version": v, "events_read_without": v, "events_read_with": v % 5, "snapshot_at": 15}
        for v in range(15, 215)
    ]
    for width in (58, 80, 160):
        lines = loads_lines(rows, width)
        assert max(cell_len(str(line)) for line in lines) <= width
    # version 16 reads 16 events without snapshots, 1 with them: both get a bar, however short
    assert str(loads_lines(rows, 58)[2]).count("█") == 2


async def test_choosing_another_scenario_replaces_the_result(demo_app: Application) -> None:
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 0)
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        await run(pilot, screen)
        assert texts(screen, ".lab-step") and screen.result is not None

        await pilot.press("down")
        await settle(pilot)
        assert texts(screen, "#lab-explanation")[0].startswith("2. A snapshot kicking in\n")
        assert texts(screen, ".lab-step") == []  # the conflict's steps are gone
        assert texts(screen, ".lab-scratch") == [] and texts(screen, ".lab-conclusion") == []
        assert texts(screen, ".lab-hint")[0].startswith("Pick a scenario")
        assert texts(screen, "#lab-status") == [""]
        assert screen.result is None and screen.error is None

        await run(pilot, screen)  # its own result replaces the hint
        assert screen.result is not None and screen.result.run.scenario == "snapshot"
        assert texts(screen, ".lab-step")[0].startswith("1. 12 commands")
        await pilot.press("up")
        await settle(pilot)
        assert texts(screen, ".lab-step") == [] and screen.result is None


async def test_a_run_that_ends_after_another_scenario_is_chosen_is_not_shown(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def held(application: Application, request: LabRequest) -> LabResult:
        assert release.wait(30)
        return run_on_scratch(application, request)

    monkeypatch.setattr(lab_screen, "run_on_scratch", held)
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        screen = await open_lab(pilot, 0)
        assert await wait_until(pilot, lambda: bool(screen.query_one("#lab-command", Input).value))
        await pilot.press("ctrl+s")
        await pilot.press("down")  # while the conflict runs
        await pilot.pause()
        assert screen.running and screen.scenario == "snapshot"
        release.set()
        assert await wait_until(pilot, lambda: not screen.running)
        await settle(pilot)
        assert texts(screen, ".lab-step") == [] and screen.result is None
        assert texts(screen, "#lab-status") == [""]
        assert texts(screen, ".lab-hint")[0].startswith("Pick a scenario")
        assert not screen.query_one("#lab-run", Button).disabled
