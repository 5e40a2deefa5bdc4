"""Screenshots of the Commands and Projections panes and of the whole dashboard.

Every test runs on the shipped demo history (fixed timestamps) in a file
named relatively, so the header's store URL is the same on every machine;
cursors do not blink; nothing on screen shows the time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.tui.dashboard_support import PaneHost, demo_application, settle, steady
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.commands.metadata import MetadataEditor
from tui_es.tui.projections import ProjectionsPane

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


async def fill_withdrawal(pilot: Pilot[None], amount: str) -> None:
    await steady(pilot)
    pane = pilot.app.query_one(CommandsPane)
    pane.query_one("#aggregate-id", Input).value = "ACCT-3bafb51f"
    pane.query_one("#command-name", Select).value = "WithdrawMoney"
    await settle(pilot)
    for name, text in (("amount", amount), ("atm_id", "ATM-N468290")):
        widget = pane.form.input_for(name)
        assert isinstance(widget, Input)
        widget.value = text
    await pane.query_one(MetadataEditor).add_entry("channel", "branch", focus=False)
    await steady(pilot)


def test_commands_pane_with_a_field_error(snap_compare: SnapCompare, here: Path) -> None:
    app = PaneHost(demo_application(here), lambda a: CommandsPane(a, id="commands"))

    async def run_before(pilot: Pilot[None]) -> None:
        await fill_withdrawal(pilot, "12x")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_commands_pane_after_a_commit(snap_compare: SnapCompare, here: Path) -> None:
    app = PaneHost(demo_application(here), lambda a: CommandsPane(a, id="commands"))

    async def run_before(pilot: Pilot[None]) -> None:
        await fill_withdrawal(pilot, "60")
        await pilot.press("ctrl+s")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_commands_pane_after_a_rejection(snap_compare: SnapCompare, here: Path) -> None:
    app = PaneHost(demo_application(here), lambda a: CommandsPane(a, id="commands"))

    async def run_before(pilot: Pilot[None]) -> None:
        await fill_withdrawal(pilot, "5000")
        await pilot.press("ctrl+s")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_projections_pane(snap_compare: SnapCompare, here: Path) -> None:
    app = PaneHost(demo_application(here), lambda a: ProjectionsPane(a, id="projections"))

    async def run_before(pilot: Pilot[None]) -> None:
        await steady(pilot)
        pilot.app.query_one("#view-rows").focus()
        await pilot.press("down", "down")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_dashboard(snap_compare: SnapCompare, here: Path, size: tuple[int, int]) -> None:
    """The whole dashboard as it opens: four panes at 160x48, tabs at 80x24.

    ``steady`` waits for the head poller's first report and the reads it starts.
    """
    app = Dashboard(demo_application(here))
    assert snap_compare(app, terminal_size=size, run_before=steady)
