"""Screenshots of the command trace (full screen) and of the scenario lab after a run.

The demo history (fixed timestamps) in a file named relatively, so the header's
store URL is the same on every machine; timings are drawn as placeholders
(``tests/tui/conftest.py``); no scenario shown here prints a generated id.

The lab is shot once it is at rest (``lab_at_rest``): every worker done, the
command suggested, the run's result mounted and brought into view.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from tests.tui.dashboard_support import PaneHost, demo_application, steady
from tests.tui.test_commands_pane import ACCOUNT, fill
from tests.tui.test_lab import result_in_view
from tui_es.es.lab import SCENARIOS
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.lab import LabScreen
from tui_es.tui.lab.runner import PARAMETERS

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


# -- the scenario lab -------------------------------------------------------------------------------
def at_rest(app: Dashboard) -> bool:
    """Nothing left that would change the lab's screen."""
    screen = app.screen
    if not isinstance(screen, LabScreen) or app.head is None:
        return False  # the poller's first report starts reloads: wait for them too
    if any(not w.is_finished for w in app.workers if w.group != "poll"):
        return False
    if screen.running or not result_in_view(screen):
        return False
    command = screen.query_one("#lab-command", Input).value
    return "command" not in PARAMETERS[screen.scenario] or bool(command)


async def lab_at_rest(pilot: Pilot[None]) -> None:
    """Until the lab is at rest: its state, not the time taken, says when to shoot."""
    app = pilot.app
    assert isinstance(app, Dashboard)
    for _ in range(500):
        if at_rest(app):
            break
        busy = [w for w in app.workers if w.group != "poll" and not w.is_finished]
        for worker in busy:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        await pilot.pause(None if busy else 0.02)
    assert at_rest(app)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    assert at_rest(app)


async def run_scenario(pilot: Pilot[None], key: str) -> None:
    """F6, ↓ to the scenario, ctrl+s once its parameters are filled in, as a user would."""
    await pilot.press("f6")
    await lab_at_rest(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LabScreen)
    for _ in range([s.key for s in SCENARIOS].index(key)):
        await pilot.press("down")
    await lab_at_rest(pilot)
    await pilot.press("ctrl+s")
    await lab_at_rest(pilot)
    assert screen.result is not None and screen.result.run.scenario == key


def test_snapshot_the_lab_after_a_conflict(snap_compare: SnapCompare, here: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await run_scenario(pilot, "conflict")

    app = Dashboard(demo_application(here))
    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_snapshot_the_lab_snapshot_scenario(snap_compare: SnapCompare, here: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await run_scenario(pilot, "snapshot")

    app = Dashboard(demo_application(here))
    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_snapshot_the_lab_at_80x24(snap_compare: SnapCompare, here: Path) -> None:
    """The smallest size: short titles, the bars fit, the result scrolled into view."""

    async def run_before(pilot: Pilot[None]) -> None:
        await run_scenario(pilot, "snapshot")

    app = Dashboard(demo_application(here))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
