"""The Projections pane: status of each view, rows, payloads, paging, rebuilds."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, ProgressBar, Static
from textual.worker import WorkerState

from tests.tui.dashboard_support import PaneHost, demo_application, settle, wait_until
from tui_es.demo import synthesize
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent
from tui_es.tui.messages import ShowAggregate
from tui_es.tui.projections import ProjectionsPane
from tui_es.tui.projections.pane import PAGE_SIZE


def host(app: Application) -> PaneHost:
    return PaneHost(app, lambda a: ProjectionsPane(a, id="projections"))


def pane_of(pilot: Pilot[None]) -> ProjectionsPane:
    return pilot.app.query_one(ProjectionsPane)


def cells(table: DataTable[object], row: int) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_row_at(row)]


def detail_text(pane: ProjectionsPane, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(pane.query_one("#row-detail-content", Static).content)
    return console.export_text()


async def test_views_show_rows_checkpoint_and_lag(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        views = pane.query_one("#views", DataTable)
        assert cells(views, 0) == ["account_query", "6", "84", "0"]
        info = str(pane.query_one("#view-info", Static).content)
        assert "rows 1-6 of 6" in info
        assert "balance, written checks and the ledger" in info

        rows = pane.query_one("#view-rows", DataTable)
        assert rows.row_count == 6
        assert [str(c.label) for c in rows.columns.values()] == ["account", "ver", "summary"]


async def test_selected_row_payload_is_readable(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        rows = pane.query_one("#view-rows", DataTable)
        rows.focus()
        await pilot.press("down")
        await pilot.pause()
        view_id = cells(rows, 1)[0]
        stored = demo_app.store.load_view("account_query", view_id)
        assert stored is not None

        text = detail_text(pane)
        assert f"{view_id} · version {stored.version}" in text
        assert "written_checks  " + ", ".join(stored.payload["written_checks"]) in text
        assert "description" in text
        assert "amount" in text
        first = stored.payload["ledger"][0]
        assert any(
            line.split()[:1] == [first["description"]] and line.split()[-1] == str(first["amount"])
            for line in text.splitlines()
        )


async def test_lag_shows_when_the_log_grew_behind_the_view(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # A program that appends without updating views, as a plain importer would.
        with demo_app.store.transaction() as tx:
            tx.append(
                [
                    SerializedEvent(
                        "account",
                        "ACCT-3bafb51f",
                        15,
                        "CustomerDepositedMoney",
                        "1.0",
                        {"CustomerDepositedMoney": {"amount": 1.0, "balance": 909.41}},
                        {},
                    )
                ]
            )
        pane = pane_of(pilot)
        pane.store_changed(85)
        await settle(pilot)
        assert cells(pane.query_one("#views", DataTable), 0) == [
            "account_query",
            "6",
            "84",
            "1 behind",
        ]


async def test_rebuild_reaches_the_head_with_the_same_rows(demo_app: Application) -> None:
    before = demo_app.store.view_rows("account_query")
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        pane.query_one("#view-rows", DataTable).focus()
        await pilot.press("r")
        assert await wait_until(pilot, lambda: pane.rebuilding is None)
        await settle(pilot)

        assert demo_app.store.checkpoints()["account_query"] == demo_app.store.head_position()
        assert demo_app.store.view_rows("account_query") == before
        assert not pane.query_one("#rebuild-bar").display
        assert pane.query_one("#rebuild-progress", ProgressBar).progress == 84
        assert cells(pane.query_one("#views", DataTable), 0) == ["account_query", "6", "84", "0"]
        messages = [n.message for n in pilot.app._notifications]
        assert "account_query: 84 positions folded again." in messages


async def test_rows_follow_new_commits(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        demo_app.execute("ACCT-3bafb51f", DepositMoney(amount=1.5))
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        rows = pane.query_one("#view-rows", DataTable)
        ids = [cells(rows, i)[0] for i in range(rows.row_count)]
        assert cells(rows, ids.index("ACCT-3bafb51f"))[1] == "15"
        assert pane.loaded is not None
        assert pane.loaded.head == 85


async def test_rows_are_paged(sqlite_app: Application) -> None:
    events = synthesize(DOMAIN, PAGE_SIZE + 50, 1)
    sqlite_app.import_lines(json.dumps(e.to_json_dict()) for e in events)
    async with host(sqlite_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        rows = pane.query_one("#view-rows", DataTable)
        rows.focus()
        assert rows.row_count == PAGE_SIZE
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert rows.row_count == 50
        assert "rows 201-250 of 250" in str(pane.query_one("#view-info", Static).content)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert pane.page_offset == PAGE_SIZE
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert rows.row_count == PAGE_SIZE


async def test_t_opens_the_rows_aggregate_in_time_travel(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        rows = pane.query_one("#view-rows", DataTable)
        rows.focus()
        await pilot.press("t")
        await pilot.pause()
        app = pilot.app
        assert isinstance(app, PaneHost)
        assert app.received == [ShowAggregate("account", cells(rows, 0)[0])]


async def test_read_only_store_cannot_rebuild(tmp_path: Path) -> None:
    application = demo_application(tmp_path, read_only=True)
    async with host(application).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        assert cells(pane.query_one("#views", DataTable), 0) == ["account_query", "6", "84", "0"]
        pane.action_rebuild()
        await pilot.pause()
        assert pane.rebuilding is None
        assert not pane.query_one("#rebuild-bar").display
        messages = [n.message for n in pilot.app._notifications]
        assert messages == ["The store is open read-only: views cannot be rebuilt."]


class GatedReads:
    """Holds the pane's reads of the view's rows until released; counts the reads of the head."""

    def __init__(self, app: Application, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = threading.Event()
        self.heads = 0
        store = app.store
        head_position, view_rows = store.head_position, store.view_rows

        def counted_head() -> int:
            self.heads += 1
            return head_position()

        def gated_rows(*args: Any, **kwargs: Any) -> Any:
            assert self.gate.wait(30)
            return view_rows(*args, **kwargs)

        monkeypatch.setattr(store, "head_position", counted_head)
        monkeypatch.setattr(store, "view_rows", gated_rows)


@pytest.mark.parametrize(("reported", "reads_of_the_head"), [(84, 1), (85, 2)])
async def test_a_head_reported_during_a_read_does_not_cancel_it(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch, reported: int, reads_of_the_head: int
) -> None:
    # The dashboard's first report of the head always crosses the pane's first read. That
    # read goes on (cancelling it threw away what it read, and tests waiting for it failed);
    # it is made again after, once, only if the head reported is past the one it read.
    reads = GatedReads(demo_app, monkeypatch)
    async with host(demo_app).run_test(size=(120, 40)) as pilot:
        pane = pane_of(pilot)
        assert await wait_until(pilot, lambda: reads.heads == 1, settled=False)
        pane.store_changed(reported)
        loads = [w for w in pilot.app.workers if w.group == "load"]
        reads.gate.set()
        assert await wait_until(pilot, lambda: reads.heads == reads_of_the_head)
        await settle(pilot)
        assert [w.state for w in loads] == [WorkerState.SUCCESS]
        assert reads.heads == reads_of_the_head
        assert pane.loaded is not None and pane.loaded.head == 84
        assert cells(pane.query_one("#views", DataTable), 0) == ["account_query", "6", "84", "0"]
