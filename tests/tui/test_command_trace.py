"""The command trace in the Commands pane: every Execute shows load, handle, commit, dispatch."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from tests.tui.dashboard_support import settle
from tests.tui.test_commands_pane import ACCOUNT, execute, fill, host, pane_of
from tui_es.es.application import Application
from tui_es.es.trace import CommandTrace, TraceStep
from tui_es.tui.app import Dashboard
from tui_es.tui.commands.outcome import Outcome
from tui_es.tui.commands.trace import (
    HIDE_TIMINGS,
    TraceScreen,
    TraceView,
    compact,
    full,
    load_summary,
)


def shown(view: TraceView) -> str:
    assert view.trace is not None
    return compact(view.trace, 100).plain


async def test_a_committed_command_shows_its_four_steps(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 50)) as pilot:
        await fill(pilot, ACCOUNT, "DepositMoney", amount="250.5")
        outcome = await execute(pilot)

        assert outcome.status == "committed"
        trace = outcome.trace
        assert trace is not None and trace.outcome == "committed"
        assert [s.name for s in trace.steps] == ["load", "handle", "commit", "dispatch"]
        view = outcome.query_one(TraceView)
        assert view.display
        text = shown(view)
        lines = text.splitlines()
        assert lines[0].startswith("Trace · committed in #.## ms")
        assert [line.split()[0] for line in lines[1:] if not line.startswith(" ")] == [
            "load",
            "handle",
            "commit",
            "dispatch",
        ]
        assert "no snapshot · 14 events read → version 14" in text
        assert "DepositMoney → 1 event" in text
        assert "CustomerDepositedMoney amount=250.5 balance=1158.91" in text
        assert "state: ~ balance  908.41 → 1158.91" in text
        assert "expected version 14 ✓ → sequence 15 at position 85" in text
        assert "account_query checkpoint 84 → 85" in text
        assert f"account_query row {ACCOUNT}  v14 → v15" in text
        assert "~ balance  908.41 → 1158.91" in text.split("dispatch")[1]
        assert '+ ledger[13].description  "deposit"' in text
        # what the screen draws is what the trace says
        rendered = view.render().plain
        assert "expected version 14 ✓ → sequence 15 at position 85" in rendered


async def test_a_rejected_command_shows_the_error_and_no_commit(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 50)) as pilot:
        await fill(pilot, ACCOUNT, "WithdrawMoney", amount="1000000", atm_id="ATM-1")
        outcome = await execute(pilot)

        assert outcome.status == "rejected"
        assert "funds not available" in str(outcome.message.content)
        trace = outcome.trace
        assert trace is not None
        assert (trace.outcome, trace.error) == ("rejected", "funds not available")
        assert [s.name for s in trace.steps] == ["load", "handle"]
        text = shown(outcome.query_one(TraceView))
        assert "Trace · rejected, nothing written" in text
        assert "WithdrawMoney ✘ rejected: funds not available" in text
        assert "commit and dispatch: not reached, nothing was written" in text
        assert demo_app.store.head_position() == 84


async def test_invalid_input_is_not_traced(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 50)) as pilot:
        await fill(pilot, "", "DepositMoney", amount="1")
        outcome = await execute(pilot)
        assert outcome.status == "invalid"
        assert outcome.trace is None
        assert not outcome.query_one(TraceView).display


async def test_ctrl_o_opens_the_trace_full_screen(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 50)) as pilot:
        pane = pane_of(pilot)
        await pilot.press("ctrl+o")  # nothing executed yet: a notice, no screen
        await settle(pilot)
        assert not isinstance(pilot.app.screen, TraceScreen)

        await fill(pilot, ACCOUNT, "DepositMoney", amount="5")
        await execute(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TraceScreen)
        blocks = [str(s.content) for s in screen.query(".trace-block").results(Static)]
        assert blocks[0].startswith(f"DepositMoney amount=5.0 on account {ACCOUNT}")
        assert [b.split("\n")[0] for b in blocks[1:]] == [
            "1. load · #.## ms",
            "2. handle · #.## ms",
            "3. commit · #.## ms",
            "4. dispatch · #.## ms (inside the commit's transaction)",
        ]
        assert "recorded at: (hidden)" in blocks[3]
        assert "~ balance" in blocks[4] and "was 908.41" in blocks[4]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, TraceScreen)

        # enter on the trace in the pane opens it too
        pane.query_one(TraceView).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TraceScreen)


async def test_timings_are_shown_in_milliseconds(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HIDE_TIMINGS)
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await fill(pilot, ACCOUNT, "DepositMoney", amount="1")
        outcome = await execute(pilot)
        text = shown(outcome.query_one(TraceView))
        assert re.search(r"committed in \d+\.\d\d ms", text)
        for name in ("load", "handle", "commit", "dispatch"):
            assert re.search(rf"^{name} +\d+\.\d\d ms", text, re.MULTILINE), name
        assert "#.## ms" not in text
        titles = [c.title for c in pilot.app.palette_commands()]  # type: ignore[attr-defined]
        assert "Command trace: the last command, full screen" in titles


def test_a_load_from_a_snapshot_says_so() -> None:
    values = {"snapshot": {"version": 20, "number": 4}, "events_read": 3, "version": 23}
    assert load_summary(values) == "snapshot at version 20 + 3 events read → version 23"


def test_a_conflict_shows_the_expected_version_and_the_error() -> None:
    trace = CommandTrace("account", "a", {"DepositMoney": {"amount": 1.0}})
    trace.steps = [
        TraceStep("load", {"snapshot": None, "events_read": 2, "version": 2, "state": {}}),
        TraceStep("handle", {"command": {"DepositMoney": {"amount": 1.0}}, "events": []}),
        TraceStep(
            "commit",
            {
                "expected_version": 2,
                "error": "aggregate conflict: version 3 was taken by another writer since the load",
            },
        ),
    ]
    trace.outcome, trace.error = "conflict", "aggregate conflict"
    text = compact(trace, 120).plain
    assert "Trace · conflict, nothing written" in text
    assert "expected version 2 ✘ aggregate conflict: version 3 was taken" in text
    assert "dispatch: not reached, nothing was written" in text
    blocks = [b.plain for b in full(trace)]
    assert "expected version: 2" in blocks[3]
    assert "error: aggregate conflict: version 3 was taken" in blocks[3]


def test_long_changes_are_cut_in_the_pane_not_full_screen() -> None:
    before = {f"f{i}": i for i in range(10)}
    after = {f"f{i}": i + 1 for i in range(10)}
    trace = CommandTrace("account", "a", {"X": {}})
    row = {"view_id": "a", "version_before": 1, "before": before, "version_after": 2}
    row["after"] = after
    trace.steps = [
        TraceStep("dispatch", {"views": [{"view": "v", "checkpoint": {"before": 1, "after": 2}}]})
    ]
    trace.steps[0].values["views"][0]["rows"] = [row]
    text = compact(trace, 100).plain
    assert text.count("~ f") == 4
    assert "… 6 more changed (ctrl+o)" in text
    assert full(trace)[1].plain.count("~ f") == 10


async def test_the_pane_trace_is_reset_by_the_next_command(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 50)) as pilot:
        await fill(pilot, ACCOUNT, "DepositMoney", amount="5")
        outcome = await execute(pilot)
        first = outcome.trace
        await fill(pilot, ACCOUNT, "DepositMoney", amount="6")
        outcome = await execute(pilot)
        assert outcome.trace is not first
        assert "sequence 16 at position 86" in shown(outcome.query_one(TraceView))
        assert isinstance(outcome, Outcome)
