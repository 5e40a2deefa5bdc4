"""Looking never changes anything: the whole dashboard on a read-only store leaves every byte.

A store of 210 accounts (enough for the Projections pane to page) is written
and closed; its folder's files are read.
Then the dashboard opens it with ``read_only`` and every pane is used: the
Commands pane (form, raw JSON, ctrl+s — it offers no Execute), the Event stream
(moving, details, every filter, go to a position, open in Time travel),
Projections (rows, both pages, rebuild — refused), Time travel (versions,
typing one); the command palette offers no rebuild and no execute.
Afterwards the database file and its WAL hold the same bytes (a WAL a reader
had to create is empty: it holds no frame). The -shm file is left out: it is
SQLite's shared-memory index, which every reader updates (its read marks) and
SQLite rebuilds from the WAL; it holds no data (https://sqlite.org/walformat.html).

The CLI's read commands get the same proof in tests/reliability/test_read_only.py.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Input, Select

from tests.tui.dashboard_support import settle, wait_until
from tui_es.demo import synthesize
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.messages import ShowAggregate
from tui_es.tui.projections import ProjectionsPane
from tui_es.tui.stream import EventStreamPane


def durable_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of the folder but the -shm; a WAL that is not there counts as empty."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    wal = [n for n in files if n.endswith(".sqlite")]
    for name in wal:
        files.setdefault(f"{name}-wal", b"")
    return {n: b for n, b in files.items() if not n.endswith("-shm")}


def write_store(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "store.sqlite"
    writer = Application(DOMAIN, SqlEventStore(path))
    writer.import_events(synthesize(DOMAIN, 210, 2, seed=11))
    writer.store.close()
    return path


async def test_the_whole_dashboard_read_only_changes_no_byte(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    path = write_store(folder)
    before = durable_bytes(folder)
    store = SqlEventStore(path, read_only=True)
    application = Application(DOMAIN, store)
    app = Dashboard(application, poll_interval=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        head = store.head_position()
        assert head > 400 and app.head == head

        # Commands: a form and raw JSON to look at, no Execute
        commands = app.query_one(CommandsPane)
        assert not commands.query(Button).filter("#execute")
        assert commands.query_one("#read-only-notice")
        ids = store.aggregate_ids("account")
        await pilot.press("f2")
        commands.query_one("#aggregate-id", Input).value = ids[0]
        commands.query_one("#command-name", Select).value = "DepositMoney"
        await settle(pilot)
        amount = commands.form.input_for("amount")
        assert isinstance(amount, Input)
        amount.value = "10"
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+s", "ctrl+t")
        await settle(pilot)

        # Event stream: move, details, filters, go to, open in time travel
        stream = app.query_one(EventStreamPane)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("up", "up", "enter", "pageup", "home", "down", "down", "enter")
        await settle(pilot)
        assert stream.selected is not None and stream.selected.position == 3
        await pilot.press("a")
        await settle(pilot)
        assert stream.window is not None and stream.window.filter.aggregate_id is not None
        await pilot.press("x", "e")
        await settle(pilot)
        assert stream.window is not None and stream.window.filter.event_type is not None
        await pilot.press("x")
        for field, value in (("#filter-text", "balance"), ("#filter-aggregate", ids[1])):
            stream.query_one(field, Input).focus()
            stream.query_one(field, Input).value = value
            await pilot.press("enter")
            await settle(pilot)
        assert stream.window is not None
        assert (stream.window.filter.text, stream.window.filter.aggregate_id) == ("balance", ids[1])
        stream.lines.focus()
        await pilot.press("x", "p", "3", "3", "enter")
        await settle(pilot)
        assert await wait_until(
            pilot, lambda: stream.selected is not None and stream.selected.position == 33
        )
        await pilot.press("d", "o")
        await settle(pilot)

        # Time travel: versions back and forth, a typed version
        app.post_message(ShowAggregate("account", ids[2]))
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("home", "right", "right", "end", "left", "1", "enter")
        await settle(pilot)

        # Projections: rows, the next page and back, rebuild refused
        projections = app.query_one(ProjectionsPane)
        await pilot.press("f4")
        await settle(pilot)
        rows = projections.query_one("#view-rows", DataTable)
        assert await wait_until(pilot, lambda: rows.row_count == 200)
        rows.focus()
        await pilot.press("down", "down", "right_square_bracket")
        await settle(pilot)
        assert await wait_until(pilot, lambda: projections.page_offset == 200)
        assert rows.row_count == 10
        await pilot.press("left_square_bracket", "r", "t")
        await settle(pilot)
        assert projections.page_offset == 0 and projections.rebuilding is None
        projections.action_rebuild()
        await settle(pilot)
        assert projections.rebuilding is None

        # the palette offers nothing that writes
        titles = [c.title for c in app.palette_commands()]
        assert "Go to Projections" in titles
        assert not [t for t in titles if t.startswith(("Rebuild", "Execute"))]

        assert store.head_position() == head
        assert app.is_running
    store.close()
    assert durable_bytes(folder) == before
