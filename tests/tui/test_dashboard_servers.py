"""The dashboard on PostgreSQL: it follows other processes through LISTEN/NOTIFY."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import load_demo
from tests.servers import scratch_database
from tests.tui.dashboard_support import settle, wait_until
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("postgresql") as url:
        load_demo(Application(DOMAIN, SqlEventStore(url)))
        yield url


async def test_another_process_shows_up_through_notify(postgres_url: str) -> None:
    store = SqlEventStore(postgres_url)
    # a poll every minute: only a notification can bring the event in time
    app = Dashboard(Application(DOMAIN, store), poll_interval=60)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.head == 84)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tui_es",
                "--db",
                postgres_url,
                "exec",
                "ACCT-3bafb51f",
                '{"DepositMoney":{"amount":5.0}}',
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert await wait_until(pilot, lambda: app.head == 85, tries=60)
    store.close()
