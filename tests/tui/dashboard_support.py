"""Helpers for the dashboard's tests: a host app for one pane, and ways to wait for workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Footer, Input, TextArea
from textual.worker import WorkerCancelled

from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.messages import EventsCommitted, ShowAggregate, ShowPosition
from tui_es.tui.pane import StorePane

PaneFactory = Callable[[Application], StorePane]


class PaneHost(App[None]):
    """One pane alone on the screen, so its tests and snapshots do not depend on the others.

    Messages the pane sends to the dashboard are kept in ``received``.
    """

    CSS_PATH = Dashboard.CSS_PATH

    def __init__(self, application: Application, factory: PaneFactory) -> None:
        super().__init__()
        self.application = application
        self.factory = factory
        self.received: list[Message] = []
        self.read_only = application.store.read_only

    def compose(self) -> ComposeResult:
        pane = self.factory(self.application)
        pane.border_title = pane.TITLE
        yield pane
        yield Footer(compact=True)

    def on_events_committed(self, message: EventsCommitted) -> None:
        self.received.append(message)

    def on_show_aggregate(self, message: ShowAggregate) -> None:
        self.received.append(message)

    def on_show_position(self, message: ShowPosition) -> None:
        self.received.append(message)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the workers that load and execute (not the endless head poller)."""
    app = pilot.app
    for _ in range(3):
        busy = [w for w in app.workers if w.group != "poll" and not w.is_finished]
        for worker in busy:
            # An exclusive worker is cancelled when a newer one of its group starts:
            # the newer one is in ``busy`` or in the next round.
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], tries: int = 100, *, settled: bool = True
) -> bool:
    """Poll a condition between frames; True as soon as it holds (no timing is asserted).

    ``settled=False`` does not wait for the workers in between: for a worker held up on purpose.
    """
    for _ in range(tries):
        if condition():
            return True
        if settled:
            await settle(pilot)
        else:
            await pilot.pause()
        await asyncio.sleep(0.05)
    return condition()


def no_blink(app: App[None]) -> None:
    """Cursors that blink make screenshots depend on when they are taken."""
    for widget in app.query(Input):
        widget.cursor_blink = False
    for area in app.query(TextArea):
        area.cursor_blink = False


def demo_application(folder: Path, *, read_only: bool = False) -> Application:
    """The demo history in ``folder/demo.sqlite``; read-only opens it again without writing."""
    path = folder / "demo.sqlite"
    if not path.exists():
        writer = SqlEventStore(path)
        app = Application(DOMAIN, writer)
        assert DOMAIN.demo_history is not None
        with DOMAIN.demo_history.open(encoding="utf-8") as lines:
            app.import_lines(lines)
        writer.close()
    return Application(DOMAIN, SqlEventStore(path, read_only=read_only))


async def steady(pilot: Pilot[None]) -> None:
    """Wait before a screenshot: workers, then animations and late repaints."""
    await settle(pilot)
    app = pilot.app
    if isinstance(app, Dashboard):
        # settle leaves the poller out: wait for its first report of the head, and for
        # the reloads it starts in the panes (later on a busy machine than on an idle one)
        assert await wait_until(pilot, lambda: app.head is not None)
    no_blink(app)
    await settle(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.3)
    await settle(pilot)
