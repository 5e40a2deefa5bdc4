"""Screenshots of the command trace (full screen) and of the scenario lab after a run.

The demo history (fixed timestamps) in a file named relatively, so the header's
store URL is the same on every machine; timings are drawn as placeholders
(``tests/tui/conftest.py``); no scenario shown here prints a generated id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.dashboard_support import (
    PaneHost,
    demo_application,
    steady,
)
from tests.tui.test_commands_pane import ACCOUNT, fill
from tui_es.tui.commands import CommandsPane

SnapCompare = Callable[..., bool]


def test_snapshot_a_trace_full_screen(snap_compare: SnapCompare, here: Path) -> None:
    app = PaneHost(demo_application(here), lambda a: CommandsPane(a, id="commands"))

    async def run_before(pilot: Pilot[None]) -> None:
        await steady(pilot)
        await fill(pilot, ACCOUNT, "DepositMoney", amount="250.5")
        await pilot.press("ctrl+s")
        await steady(pilot)
        await pilot.press("ctrl+o")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(110, 60), run_before=run_before)
