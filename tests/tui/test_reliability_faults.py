"""The dashboard rides out storage faults and reconnects by itself.

- The head of the log cannot be read for a while: one error notification, then
  "The store can be read again." once it can, and the panes follow new events again.
- On PostgreSQL every connection the dashboard holds is ended by the server
  (``pg_terminate_backend``, the LISTEN connection included): it goes on
  following other writers (polling) and executing commands, on new connections.
- SQLite locked by another writer: Execute fails with the lock named and
  nothing written; once the lock is gone, the same Execute commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.conftest import load_demo
from tests.servers import scratch_database
from tests.tui.dashboard_support import settle, wait_until
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es.application import Application
from tui_es.es.errors import DatabaseConnectionError
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.commands.outcome import Outcome
from tui_es.tui.stream import EventStreamPane

ACCOUNT = "ACCT-3bafb51f"


def messages(app: Dashboard) -> list[str]:
    return [n.message for n in list(app._notifications)]


def another_process_deposits(url: str, amount: float) -> None:
    """A writer with its own store object, as another process would have."""
    other = Application(DOMAIN, SqlEventStore(url))
    other.execute(ACCOUNT, DepositMoney(amount=amount))
    other.store.close()


def stream_head(app: Dashboard) -> int:
    window = app.query_one(EventStreamPane).window
    return window.head if window is not None else 0


async def execute_deposit(pilot: Pilot[None], amount: str) -> Outcome:
    app = pilot.app
    assert isinstance(app, Dashboard)
    pane = app.query_one(CommandsPane)
    pane.query_one("#aggregate-id", Input).value = ACCOUNT
    pane.query_one("#command-name", Select).value = "DepositMoney"
    await settle(pilot)
    field = pane.form.input_for("amount")
    assert isinstance(field, Input)
    field.value = amount
    await pilot.press("f2", "ctrl+s")
    await settle(pilot)
    outcome = pane.query_one(Outcome)
    await wait_until(pilot, lambda: outcome.status != "hint")
    return outcome


async def test_the_head_fails_for_a_while_then_everything_works_again(
    demo_app: Application,
) -> None:
    store = demo_app.store
    path = str(store.url.database)  # type: ignore[attr-defined]
    reachable = store.head_position
    down = True

    def flaky() -> int:
        if down:
            raise DatabaseConnectionError(f"{path}: disk I/O error")
        return reachable()

    app = Dashboard(demo_app, poll_interval=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.head == 84)
        store.head_position = flaky  # type: ignore[method-assign]
        assert await wait_until(pilot, lambda: any("disk I/O error" in m for m in messages(app)))
        # the poller reports a failure once, not at every poll
        await wait_until(pilot, lambda: False, tries=5)
        assert sum("disk I/O error" in m for m in messages(app)) == 1

        down = False
        assert await wait_until(pilot, lambda: "The store can be read again." in messages(app))
        another_process_deposits(path, 5.0)
        assert await wait_until(pilot, lambda: app.head == 85)
        assert await wait_until(pilot, lambda: stream_head(app) == 85)
        assert app.is_running


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("postgresql") as url:
        load_demo(Application(DOMAIN, SqlEventStore(url)))
        yield url


def end_every_connection(url: str) -> int:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).all()
    admin.dispose()
    return len(ended)


async def test_the_dashboard_reconnects_after_postgresql_drops_it(postgres_url: str) -> None:
    store = SqlEventStore(postgres_url)
    app = Dashboard(Application(DOMAIN, store), poll_interval=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.head == 84)
        assert end_every_connection(postgres_url) >= 2  # the pool's and the LISTEN one

        another_process_deposits(postgres_url, 5.0)
        assert await wait_until(pilot, lambda: app.head == 85)
        assert await wait_until(pilot, lambda: stream_head(app) == 85)

        end_every_connection(postgres_url)
        outcome = await execute_deposit(pilot, "7")
        assert outcome.status == "committed", str(outcome.message.content)
        assert await wait_until(pilot, lambda: app.head == 86)
        assert app.is_running
    store.close()


async def test_execute_on_a_locked_sqlite_store_fails_then_succeeds(
    demo_app: Application,
) -> None:
    path = str(demo_app.store.url.database)  # type: ignore[attr-defined]
    application = Application(DOMAIN, SqlEventStore(path, busy_timeout=0.2))
    blocker = sqlite3.connect(path, isolation_level=None)
    app = Dashboard(application)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        blocker.execute("BEGIN IMMEDIATE")
        outcome = await execute_deposit(pilot, "5")
        assert outcome.status == "failed"
        assert "database is locked" in str(outcome.message.content)
        assert any("database is locked" in m for m in messages(app))
        assert application.store.head_position() == 84

        blocker.rollback()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await wait_until(pilot, lambda: outcome.status == "committed")
        assert application.store.head_position() == 85
        assert app.is_running
    blocker.close()
    application.store.close()
