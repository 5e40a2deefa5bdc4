"""The Event stream pane in a harness app, each test on its own SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent
from tui_es.es.store import EventFilter
from tui_es.store import SqlEventStore
from tui_es.tui.event_view import EventView
from tui_es.tui.messages import ShowAggregate
from tui_es.tui.stream import EventStreamPane
from tui_es.tui.stream.lines import HEADER_LINES, EventLines

SIZE = (120, 36)
DEMO = [json.loads(line) for line in Path(DOMAIN.demo_history or "").read_text().splitlines()]


class StreamHarness(App[None]):
    """Just the pane, and a record of what it asks the app to do."""

    CSS = "EventStreamPane { height: 1fr; }"

    def __init__(self, application: Application) -> None:
        super().__init__()
        self.application = application
        self.shown: list[ShowAggregate] = []

    def compose(self) -> ComposeResult:
        yield EventStreamPane(self.application, id="stream")

    def on_show_aggregate(self, message: ShowAggregate) -> None:
        self.shown.append(message)


async def settle(pilot: Pilot[None]) -> None:
    """Let every worker finish, and the reads that drawing their results asks for."""
    for _ in range(20):
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause()
            if not any(w.is_running for w in pilot.app.workers):
                return
        await pilot.app.workers.wait_for_complete()


async def started(pilot: Pilot[None]) -> EventStreamPane:
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await settle(pilot)
    return pilot.app.query_one(EventStreamPane)


def visible(pane: EventStreamPane) -> list[SerializedEvent]:
    """The events on the rows on screen, top to bottom (all must be read)."""
    lines = pane.lines
    window = pane.window
    assert window is not None
    top = lines.scroll_offset.y
    rows = []
    for index in range(top, min(top + lines.rows_visible, window.count)):
        event = window.get(index)
        assert event is not None, f"row {index} on screen but not read"
        rows.append(event)
    return rows


def screen_line(pane: EventStreamPane, row: int) -> str:
    """The text drawn on row ``row`` (0: the first event row under the header)."""
    return pane.lines.render_line(row + HEADER_LINES).text


def text_of(pane: EventStreamPane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if isinstance(content, Content) else str(content)


def detail_text(pane: EventStreamPane) -> str:
    view = pane.query_one(EventView)
    return "\n".join(
        text_of(pane, f"#{id}")
        for id in ("event-title", "event-facts", "event-payload", "event-metadata")
        if view.query(f"#{id}")
    )


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    pilot.app.query_one(selector, Input).focus()
    await pilot.press(*text, "enter")
    await settle(pilot)


# -- the log ---------------------------------------------------------------------------------------
async def test_shows_the_newest_events_at_the_bottom_and_tails(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        assert pane.window is not None and pane.window.count == len(DEMO) == 84
        assert pane.window.dense
        rows = visible(pane)
        assert rows[-1].position == 84
        assert [r.position for r in rows] == list(range(85 - len(rows), 85))
        assert pane.lines.tail
        last_row = screen_line(pane, len(rows) - 1)
        assert last_row.lstrip().startswith("84 ")
        assert "ACCT-2b1a4f23" in last_row and "CustomerDepositedMoney@1.0" in last_row
        assert "84 events" in text_of(pane, "#stream-count")
        assert "TAIL" in text_of(pane, "#stream-tail")


async def test_home_goes_to_the_oldest_event_and_leaves_the_tail(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await pilot.press("home")
        await settle(pilot)
        assert visible(pane)[0].position == 1
        assert pane.lines.cursor == 0
        assert not pane.lines.tail
        assert "tail off" in text_of(pane, "#stream-tail")
        await pilot.press("end")
        await settle(pilot)
        assert pane.lines.tail and visible(pane)[-1].position == 84


# -- filters ---------------------------------------------------------------------------------------
async def test_filter_by_aggregate_id(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await type_into(pilot, "#filter-aggregate", "ACCT-6e2db16d")
        expected = [r["position"] for r in DEMO if r["aggregate_id"] == "ACCT-6e2db16d"]
        assert pane.window is not None and pane.window.count == len(expected) == 14
        assert [r.position for r in visible(pane)] == expected
        assert "14 events match the filter" in text_of(pane, "#stream-count")


async def test_filter_by_event_type(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        select: Select[Any] = pane.query_one("#filter-event", Select)
        select.value = (None, "CustomerWroteCheck")
        await settle(pilot)
        expected = [r["position"] for r in DEMO if r["event_type"] == "CustomerWroteCheck"]
        assert pane.window is not None and pane.window.count == len(expected) == 20
        assert [r.position for r in visible(pane)] == expected
        assert all("CustomerWroteCheck@" in screen_line(pane, i) for i in range(len(expected)))


async def test_filter_by_payload_text_and_clear(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await type_into(pilot, "#filter-text", "ATM-N")
        expected = [r["position"] for r in DEMO if "ATM-N" in json.dumps(r["payload"])]
        assert expected and pane.window is not None
        assert [r.position for r in visible(pane)] == expected
        assert all("ATM-N" in json.dumps(r.payload) for r in visible(pane))
        pane.lines.focus()
        await pilot.press("x")
        await settle(pilot)
        assert pane.window is not None and pane.window.filter.empty
        assert pane.window.count == 84


async def test_filters_combine_and_keys_filter_by_the_selected_event(
    demo_app: Application,
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await pilot.press("up")  # the cursor starts on the newest row: #84
        await pilot.press("up", "a")
        await settle(pilot)
        selected = DEMO[82]
        assert pane.window is not None
        assert pane.window.filter.aggregate_id == selected["aggregate_id"]
        await pilot.press("e")
        await settle(pilot)
        window = pane.window
        assert window.filter.event_type == selected["event_type"]
        expected = [
            r["position"]
            for r in DEMO
            if r["aggregate_id"] == selected["aggregate_id"]
            and r["event_type"] == selected["event_type"]
        ]
        assert [r.position for r in visible(pane)] == expected
        # the selected event is still selected in the narrower view
        assert pane.selected is not None and pane.selected.position == selected["position"]


# -- details ---------------------------------------------------------------------------------------
async def test_selecting_an_event_shows_its_payload_metadata_and_correlation(
    demo_app: Application,
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await pilot.press("up", "up", "enter")  # the first up selects the newest: #84
        await settle(pilot)
        event = DEMO[82]
        assert pane.selected is not None and pane.selected.position == 83
        assert pane.has_class("-detail")
        text = detail_text(pane)
        assert "#83" in text and event["aggregate_id"] in text and event["event_type"] in text
        assert f"correlation_id {event['metadata']['correlation_id']}" in text
        assert f"causation_id {event['metadata']['causation_id']}" in text
        assert event["recorded_at"] in text
        assert f'"amount": {event["payload"][event["event_type"]]["amount"]}' in text
        assert '"User-Agent": "tui-es-demo/1.0"' in text
        await pilot.press("d")
        assert not pane.has_class("-detail")


async def test_a_click_selects_a_row_and_shows_it(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        top = visible(pane)[0]
        assert await pilot.click(EventLines, offset=(5, HEADER_LINES))
        await settle(pilot)
        assert pane.selected is not None and pane.selected.position == top.position
        assert pane.has_class("-detail")
        assert f"#{top.position}" in detail_text(pane)


async def test_open_in_time_travel_posts_show_aggregate(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("up", "o")
        await pilot.pause()
        last = DEMO[-1]
        assert app.shown == [ShowAggregate("account", last["aggregate_id"], last["sequence"])]


# -- jumping ---------------------------------------------------------------------------------------
async def test_jump_to_a_position_selects_it(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await pilot.press("p")
        assert pane.goto_field.display and app.focused is pane.goto_field
        await pilot.press("1", "7", "enter")
        await settle(pilot)
        # the field goes once the jump has landed, and the rows have the focus
        assert not pane.goto_field.display and app.focused is pane.lines
        assert pane.selected is not None and pane.selected.position == 17
        assert 17 in [r.position for r in visible(pane)]
        assert not pane.lines.tail
        assert "#17" in detail_text(pane)


async def test_escape_and_an_empty_go_to_put_the_field_away(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        before = pane.selected
        for keys in (("escape",), ("enter",)):
            await pilot.press("p")
            assert pane.goto_field.display
            await pilot.press(*keys)
            await settle(pilot)
            assert not pane.goto_field.display, keys
            assert app.focused is pane.lines, keys
            assert pane.selected == before, keys


async def test_jump_in_a_filtered_view_selects_the_nearest(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await type_into(pilot, "#filter-aggregate", "ACCT-6e2db16d")
        positions = [r["position"] for r in DEMO if r["aggregate_id"] == "ACCT-6e2db16d"]
        missing = next(p for p in range(positions[0], positions[-1]) if p not in positions)
        pane.show_position(missing)
        await settle(pilot)
        nearest = min(p for p in positions if p > missing)
        assert pane.selected is not None and pane.selected.position == nearest
        assert any(f"No event at position {missing}" in n.message for n in app._notifications)


async def test_showing_a_position_just_committed_takes_it_in_first(
    demo_app: Application,
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        envelopes = demo_app.execute("ACCT-6e2db16d", '{"DepositMoney": {"amount": 5.0}}')
        pane.show_position(envelopes[-1].position or 0)  # before any store_changed
        await settle(pilot)
        assert pane.selected is not None and pane.selected.position == 85
        assert pane.lines.tail  # the newest event: still following
        assert not any(n.severity != "information" for n in app._notifications)
        assert app.focused is pane.lines  # where it was: show_position does not take focus


# -- live ------------------------------------------------------------------------------------------
def append_from_another_process(store_path: Path, aggregate_id: str, amount: float) -> None:
    command = json.dumps({"DepositMoney": {"amount": amount}})
    subprocess.run(
        [sys.executable, "-m", "tui_es", "--db", str(store_path), "exec", aggregate_id, command],
        check=True,
        capture_output=True,
        timeout=60,
    )


async def test_events_from_another_process_show_up_when_the_store_changes(
    demo_app: Application, store_path: Path
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        append_from_another_process(store_path, "ACCT-6e2db16d", 12.5)
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        rows = visible(pane)
        assert rows[-1].position == 85
        assert rows[-1].aggregate_id == "ACCT-6e2db16d"
        assert rows[-1].payload["CustomerDepositedMoney"]["amount"] == 12.5
        assert "85 events" in text_of(pane, "#stream-count")
        assert not pane.query_one("#stream-hint").display


async def test_the_tail_lamp_and_the_hint_are_clickable(
    demo_app: Application, store_path: Path
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        assert await pilot.click("#stream-tail")
        assert not pane.lines.tail
        append_from_another_process(store_path, "ACCT-6e2db16d", 1.0)
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        assert "1 new event" in text_of(pane, "#stream-hint")
        assert await pilot.click("#stream-hint")
        await settle(pilot)
        assert pane.lines.tail
        assert visible(pane)[-1].position == 85
        assert await pilot.click("#stream-tail")
        assert not pane.lines.tail


async def test_with_the_tail_off_new_events_show_a_hint(
    demo_app: Application, store_path: Path
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await pilot.press("t")
        assert not pane.lines.tail
        top = pane.lines.scroll_offset.y
        append_from_another_process(store_path, "ACCT-6e2db16d", 1.0)
        append_from_another_process(store_path, "ACCT-11fa23b0", 2.0)
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        hint = pane.query_one("#stream-hint", Static)
        assert hint.display
        assert "2 new events" in text_of(pane, "#stream-hint")
        assert pane.lines.scroll_offset.y == top  # not followed
        await pilot.press("end")
        await settle(pilot)
        assert not hint.display
        assert visible(pane)[-1].position == 86


async def test_a_filtered_view_takes_in_only_matching_new_events(
    demo_app: Application, store_path: Path
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        await type_into(pilot, "#filter-aggregate", "ACCT-11fa23b0")
        append_from_another_process(store_path, "ACCT-6e2db16d", 1.0)
        append_from_another_process(store_path, "ACCT-11fa23b0", 2.0)
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        assert pane.window is not None and pane.window.count == 15
        assert visible(pane)[-1].position == 86
        assert {r.aggregate_id for r in visible(pane)} == {"ACCT-11fa23b0"}


async def test_events_committed_here_are_highlighted(demo_app: Application) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        envelopes = demo_app.execute("ACCT-6e2db16d", '{"DepositMoney": {"amount": 5.0}}')
        pane.events_committed(envelopes)
        await settle(pilot)
        assert pane.lines.committed == {85}
        rows = visible(pane)
        assert rows[-1].position == 85
        committed = pane.lines.render_line(len(rows) - 1 + HEADER_LINES)
        previous = pane.lines.render_line(len(rows) - 2 + HEADER_LINES)
        highlight = pane.lines.get_component_rich_style("event-lines--committed").bgcolor
        assert highlight is not None
        assert all(s.style is not None and s.style.bgcolor == highlight for s in committed)
        assert not any(s.style is not None and s.style.bgcolor == highlight for s in previous)


# -- errors ----------------------------------------------------------------------------------------
async def test_a_typed_jump_that_fails_puts_the_field_away_and_says_why(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        before = pane.selected
        assert pane.window is not None

        def broken(position: int) -> tuple[int, bool] | None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(pane.window, "locate", broken)
        await pilot.press("p", "1", "7", "enter")
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == ["Could not go to position 17: disk on fire"]
        assert not pane.goto_field.display and app.focused is pane.lines
        assert pane.selected == before
        assert app.is_running


async def test_a_failing_store_becomes_a_notification(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[SerializedEvent]:
        raise RuntimeError("disk on fire")

    app = StreamHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await started(pilot)
        monkeypatch.setattr(demo_app.store, "read_events", broken)
        demo_app.execute("ACCT-6e2db16d", '{"DepositMoney": {"amount": 5.0}}')
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "disk on fire" in errors[0].message
        assert app.is_running
        assert pane.window is not None and pane.window.count == 84  # what it showed stays


# -- size ------------------------------------------------------------------------------------------
def load_synthetic(store_path: Path, aggregates: int, each: int) -> SqlEventStore:
    from tui_es.demo import synthesize

    store = SqlEventStore(store_path, synchronous="OFF")
    events = synthesize(DOMAIN, aggregates, each, seed=3)
    with store.transaction() as tx:
        tx.append(events)
    return store


async def test_a_big_log_is_never_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = load_synthetic(tmp_path / "big.sqlite", 200, 100)
    total = store.head_position()
    assert total == store.count_events() >= 19_000
    returned = 0
    read_events = store.read_events

    def counting(*args: Any, **kwargs: Any) -> list[SerializedEvent]:
        nonlocal returned
        rows = read_events(*args, **kwargs)
        returned += len(rows)
        return rows

    monkeypatch.setattr(store, "read_events", counting)
    application = Application(DOMAIN, store, catch_up=False)
    app = StreamHarness(application)
    try:
        async with app.run_test(size=SIZE) as pilot:
            pane = await started(pilot)
            assert pane.window is not None and pane.window.count == total
            assert visible(pane)[-1].position == total
            assert returned <= 400, returned
            await pilot.press("home")
            await settle(pilot)
            assert visible(pane)[0].position == 1
            pane.show_position(total // 2)
            await settle(pilot)
            assert pane.selected is not None and pane.selected.position == total // 2
            # and a filtered view of thousands of events indexes positions, not rows
            select: Select[Any] = pane.query_one("#filter-event", Select)
            select.value = (None, "CustomerDepositedMoney")
            await settle(pilot)
            window = pane.window
            assert window.count == store.count_events(
                EventFilter(event_type="CustomerDepositedMoney")
            )
            assert window.count > 4_000 and window.indexed
            assert all(r.event_type == "CustomerDepositedMoney" for r in visible(pane))
            pane.show_position(total // 3)
            await settle(pilot)
            assert pane.selected is not None
            assert returned < 2_000, returned
    finally:
        store.close()


# -- snapshots -------------------------------------------------------------------------------------
def test_snapshot_the_log_with_an_event_selected(demo_app: Application, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await started(pilot)
        await pilot.press("up", "up", "up", "enter")
        await settle(pilot)

    assert snap_compare(StreamHarness(demo_app), terminal_size=SIZE, run_before=run_before)


def test_snapshot_a_filtered_view_in_a_small_terminal(
    demo_app: Application, snap_compare: Any
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await started(pilot)
        select: Select[Any] = pilot.app.query_one("#filter-event", Select)
        select.value = (None, "CustomerWithdrewCash")
        await type_into(pilot, "#filter-text", "ATM-N")
        pilot.app.query_one(EventLines).focus()
        await settle(pilot)

    assert snap_compare(StreamHarness(demo_app), terminal_size=(80, 24), run_before=run_before)


async def test_a_jump_reads_its_rows_before_the_next_frame(tmp_path: Path) -> None:
    store = load_synthetic(tmp_path / "log.sqlite", 10, 50)
    app = StreamHarness(Application(DOMAIN, store))
    async with app.run_test(size=(120, 16)) as pilot:
        pane = await started(pilot)
        lines, window = pane.lines, pane.window
        assert window is not None and window.count == 500
        assert window.missing(0, lines.rows_visible)  # the oldest rows: not read yet
        asked = lines._attempted
        lines.move_cursor(0, center=True)
        # asked for in the same call, not by the frame that draws the move
        assert lines._attempted != asked and lines._attempted is not None
        assert lines._attempted[1] <= 0 <= lines._attempted[2]
        await settle(pilot)
        assert not window.missing(0, lines.rows_visible)
        assert pane.selected is not None and pane.selected.position == 1


async def test_a_jump_reads_the_rows_it_shows_before_it_moves_there(tmp_path: Path) -> None:
    store = load_synthetic(tmp_path / "log.sqlite", 10, 50)
    app = StreamHarness(Application(DOMAIN, store))
    async with app.run_test(size=(120, 16)) as pilot:
        pane = await started(pilot)
        lines = pane.lines
        missing_when_moving: list[bool] = []
        jumped = pane._jumped

        def recording(window: Any, position: int, located: Any, focus: bool) -> None:
            half = lines.rows_visible // 2
            missing_when_moving.append(window.missing(located[0] - half, located[0] + half))
            jumped(window, position, located, focus)

        pane._jumped = recording  # type: ignore[method-assign]
        pane.show_position(3)  # the oldest rows: not read when the pane opened on the newest
        await settle(pilot)
        assert missing_when_moving == [False]
        assert pane.selected is not None and pane.selected.position == 3
