"""The Time travel pane in a harness app, each test on its own SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.tui.dashboard_support import wait_until
from tui_es.es.application import Application
from tui_es.es.diff import diff_states
from tui_es.es.replay import AggregateHistory
from tui_es.tui.messages import ShowPosition
from tui_es.tui.timetravel import TimeTravelPane
from tui_es.tui.timetravel.diff import value_text
from tui_es.tui.timetravel.slider import VersionSlider

SIZE = (120, 36)
ACCOUNT = "ACCT-11fa23b0"  # 14 events in the demo history


class TimeTravelHarness(App[None]):
    CSS = "TimeTravelPane { height: 1fr; }"

    def __init__(self, application: Application) -> None:
        super().__init__()
        self.application = application
        self.positions: list[int] = []

    def compose(self) -> ComposeResult:
        yield TimeTravelPane(self.application, id="tt")

    def on_show_position(self, message: ShowPosition) -> None:
        self.positions.append(message.position)


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(10):
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return
        await pilot.app.workers.wait_for_complete()


async def opened(pilot: Pilot[None], aggregate_id: str = ACCOUNT) -> TimeTravelPane:
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    pane = pilot.app.query_one(TimeTravelPane)
    pane.show_aggregate("account", aggregate_id)
    await settle(pilot)
    return pane


def text_of(pane: TimeTravelPane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if isinstance(content, Content) else str(content)


def state_lines(pane: TimeTravelPane) -> dict[str, str]:
    """Each state line by field name (its marker and values included)."""
    out = {}
    for line in text_of(pane, "#tt-state").splitlines():
        out[line[2:].split()[0]] = line
    return out


def assert_shows(pane: TimeTravelPane, application: Application, version: int) -> None:
    """The pane shows ``version``: the state the application replays, the event that led to it."""
    expected, at = application.state(ACCOUNT, "account", version=version)
    assert at == version and pane.version == version
    assert pane.slider.value == version
    assert pane.query_one("#tt-version", Input).value == str(version)
    assert f"at version {version} of 14" in text_of(pane, "#tt-state-title")
    lines = state_lines(pane)
    for field, value in expected.state_json().items():
        assert value_text(value) in lines[field]
    history = AggregateHistory.load(application.store, application.codec, "account", ACCOUNT)
    event = history.event_at(version)
    title = text_of(pane, "#event-title")
    if event is None:
        assert "default state" in title
    else:
        assert f"#{event.position}" in title and f"seq {version}" in title
        assert f"{event.event_type}@{event.event_version}" in title


async def test_shows_the_latest_version_with_the_event_that_led_to_it(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        assert pane.history is not None and pane.history.version == 14
        assert pane.slider.maximum == 14
        assert_shows(pane, demo_app, 14)
        assert "payload" in pane.query_one("#event-payload").border_title  # type: ignore[operator]
        payload = text_of(pane, "#event-payload")
        assert '"CustomerDepositedMoney"' in payload and '"amount": 228.53' in payload
        assert "correlation_id visit-492-000027" in text_of(pane, "#event-facts")


async def test_arrows_home_and_end_step_through_versions(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("left", "left")
        assert_shows(pane, demo_app, 12)
        await pilot.press("home")
        assert_shows(pane, demo_app, 0)
        await pilot.press("left")  # nothing before version 0
        assert_shows(pane, demo_app, 0)
        await pilot.press("right")
        assert_shows(pane, demo_app, 1)
        await pilot.press("end")
        assert_shows(pane, demo_app, 14)
        await pilot.press("right")
        assert_shows(pane, demo_app, 14)
        for version in range(14, -1, -1):
            assert_shows(pane, demo_app, version)
            await pilot.press("left")


async def test_typing_a_number_goes_to_that_version(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("7", "enter")
        assert_shows(pane, demo_app, 7)
        assert isinstance(app.focused, VersionSlider)
        await pilot.press("v", "1", "1", "enter")
        assert_shows(pane, demo_app, 11)
        await pilot.press("9", "9", "enter")  # clamped, with a warning
        assert_shows(pane, demo_app, 14)
        assert any("0 to 14" in n.message for n in app._notifications)


async def test_the_diff_highlights_the_changed_field(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("5", "enter")
        before, _ = demo_app.state(ACCOUNT, "account", version=4)
        after, _ = demo_app.state(ACCOUNT, "account", version=5)
        lines = state_lines(pane)
        assert lines["balance"].startswith("~ ")
        assert f"was {value_text(before.state_json()['balance'])}" in lines["balance"]
        assert lines["account_id"].startswith("  ")  # unchanged: no marker
        assert "1 field changed: balance" in text_of(pane, "#tt-changes")
        # the changed line carries the highlight style, the unchanged one does not
        state = pane.query_one("#tt-state", Static).content
        assert isinstance(state, Content)
        highlighted = {
            state.plain[span.start : span.end].split()[1]
            for span in state.spans
            if "warning-muted" in str(span.style)
        }
        assert highlighted == {"balance"}
        changes = diff_states(before.state_json(), after.state_json())
        assert [c.path for c in changes] == ["balance"]
        await pilot.press("home", "right")  # version 1: the account was opened
        assert state_lines(pane)["account_id"].startswith("~ ")
        assert 'was ""' in state_lines(pane)["account_id"]


async def test_mouse_clicks_on_the_track_and_the_buttons(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        slider = pane.slider
        assert await pilot.click(VersionSlider, offset=(0, 0))
        assert_shows(pane, demo_app, 0)
        assert await pilot.click(VersionSlider, offset=(slider.size.width - 1, 0))
        assert_shows(pane, demo_app, 14)
        assert await pilot.click(VersionSlider, offset=(slider.size.width // 2, 0))
        assert_shows(pane, demo_app, 7)
        assert await pilot.click("#tt-prev")
        assert_shows(pane, demo_app, 6)
        assert await pilot.click("#tt-next")
        assert await pilot.click("#tt-next")
        assert_shows(pane, demo_app, 8)
        assert await pilot.click("#tt-first")
        assert_shows(pane, demo_app, 0)
        assert await pilot.click("#tt-last")
        assert_shows(pane, demo_app, 14)


async def test_dragging_along_the_track(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        width = pane.slider.size.width
        assert await pilot.mouse_down(VersionSlider, offset=(width - 1, 0))
        assert_shows(pane, demo_app, 14)
        await pilot.hover(VersionSlider, offset=(width // 2, 0))
        assert_shows(pane, demo_app, 7)
        await pilot.hover(VersionSlider, offset=(0, 0))
        assert_shows(pane, demo_app, 0)
        assert await pilot.mouse_up(VersionSlider, offset=(0, 0))
        await pilot.hover(VersionSlider, offset=(width - 1, 0))  # released: no change
        assert_shows(pane, demo_app, 0)


class SliderAlone(App[None]):
    """The slider with no pane: what it asks for, and what it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    def compose(self) -> ComposeResult:
        slider = VersionSlider()
        slider.maximum = 10
        slider.value = 4
        yield slider

    def on_version_slider_changed(self, message: VersionSlider.Changed) -> None:
        self.asked.append(message.value)


async def test_the_slider_asks_for_a_version_and_its_owner_moves_it() -> None:
    app = SliderAlone()
    async with app.run_test(size=(40, 3)) as pilot:
        slider = app.query_one(VersionSlider)
        slider.focus()
        await pilot.pause()
        repaints: list[object] = []
        refresh = slider.refresh

        def counting(*args: Any, **kwargs: Any) -> Any:
            repaints.append(args)
            return refresh(*args, **kwargs)

        slider.refresh = counting  # type: ignore[method-assign]
        # keys in a burst each step on from the last one, though no owner shows them
        await pilot.press("right", "right", "right", "end", "home")
        await pilot.pause()
        assert app.asked == [5, 6, 7, 10, 0]
        await pilot.press("home")  # already asked for: nothing new
        await pilot.pause()
        assert app.asked == [5, 6, 7, 10, 0]
        assert repaints == []  # the thumb is not drawn by the keys: its owner moves it
        slider.value = 0  # as the pane does when it shows version 0
        assert repaints


async def test_a_step_moves_the_thumb_and_shows_its_version_in_one_frame(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("home")
        await settle(pilot)
        frames: list[tuple[int, int, str]] = []
        display = app._display

        def recording(screen: Any, update: Any) -> None:
            frames.append((pane.slider.value, pane.version, text_of(pane, "#tt-state-title")))
            display(screen, update)

        app._display = recording  # type: ignore[method-assign]
        await pilot.press("right")
        await settle(pilot)
        assert frames, "no frame drawn"
        # no frame shows the thumb at 1 with the state still at 0
        assert all(thumb == version for thumb, version, _ in frames), frames
        assert frames[-1][:2] == (1, 1) and "at version 1 of" in frames[-1][2]
        assert_shows(pane, demo_app, 1)


async def test_picking_an_aggregate_by_typing_its_id(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        assert pane.has_class("-empty")
        pane.query_one("#tt-id", Input).focus()
        await pilot.press(*ACCOUNT, "enter")
        await settle(pilot)
        assert not pane.has_class("-empty")
        assert_shows(pane, demo_app, 14)


async def test_picking_an_aggregate_from_the_list(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        await settle(pilot)
        listing = pane.query_one("#tt-ids", OptionList)
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert ids == demo_app.store.aggregate_ids("account")
        pane.query_one("#tt-id", Input).focus()
        await pilot.press(*"ACCT-1")
        await settle(pilot)
        assert listing.option_count == 1
        await pilot.press("down", "enter")
        await settle(pilot)
        assert pane.query_one("#tt-id", Input).value == ACCOUNT
        assert_shows(pane, demo_app, 14)
        # and by mouse, after asking for another aggregate
        await pilot.press("i")
        await pilot.pause()
        assert pane.has_class("-picking")
        pane.query_one("#tt-id", Input).value = ""
        await settle(pilot)
        assert await pilot.click("#tt-ids", offset=(2, 1))
        await settle(pilot)
        assert pane.history is not None and pane.history.aggregate_id == ids[1]
        assert not pane.has_class("-picking")


async def test_the_id_completes_from_the_store(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        field = pane.query_one("#tt-id", Input)
        field.focus()
        await pilot.press(*"ACCT-11")
        await settle(pilot)
        await pilot.press("right")  # accepts the suggestion
        assert field.value == ACCOUNT


async def type_id(pilot: Pilot[None], pane: TimeTravelPane, text: str) -> None:
    """Type ``text`` in the id field, as a user does, and press enter."""
    pane.action_pick()
    pane.query_one("#tt-id", Input).value = ""
    await pilot.press(*text, "enter")
    await settle(pilot)


def notified(app: App[None], severity: str) -> list[str]:
    return [n.message for n in app._notifications if n.severity == severity]


async def test_the_beginning_of_an_id_opens_the_only_aggregate_it_begins(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        await type_id(pilot, pane, "ACCT-11f")
        assert pane.history is not None and pane.history.aggregate_id == ACCOUNT
        assert pane.query_one("#tt-id", Input).value == ACCOUNT  # completed where it was typed
        assert_shows(pane, demo_app, 14)
        assert not notified(app, "warning") and not notified(app, "error")


async def test_an_id_the_store_does_not_hold_opens_nothing_and_says_so(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        await type_id(pilot, pane, "ACCT-zz")
        assert pane.history is None and pane.has_class("-empty")
        errors = notified(app, "error")
        assert len(errors) == 1 and "No account 'ACCT-zz'" in errors[0]
        # with an aggregate open, it stays as it was
        pane = await opened(pilot)
        await pilot.press("3", "enter")
        await type_id(pilot, pane, "ACCT-11fa23b0x")
        assert pane.history is not None and pane.history.aggregate_id == ACCOUNT
        assert_shows(pane, demo_app, 3)
        errors = notified(app, "error")
        assert len(errors) == 2 and "'ACCT-11fa23b0x'" in errors[1]


async def test_a_beginning_several_ids_share_opens_nothing_and_says_so(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await type_id(pilot, pane, "ACCT-2")
        assert pane.history is not None and pane.history.aggregate_id == ACCOUNT
        assert_shows(pane, demo_app, 14)
        warnings = notified(app, "warning")
        assert len(warnings) == 1
        assert "2 account ids begin with 'ACCT-2' (ACCT-23c3ef2d, ACCT-2b1a4f23)" in warnings[0]


async def test_the_time_field_follows_the_aggregate_and_the_version(
    demo_app: Application,
) -> None:
    history = AggregateHistory.load(demo_app.store, demo_app.codec, "account", ACCOUNT)
    other = "ACCT-3bafb51f"
    other_history = AggregateHistory.load(demo_app.store, demo_app.codec, "account", other)

    def time_of(h: AggregateHistory, version: int) -> str:
        event = h.event_at(version)
        assert event is not None and event.recorded_at
        return event.recorded_at

    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        field = pane.query_one("#tt-time", Input)
        assert field.value == time_of(history, 14)
        await pilot.press("t")  # the field, to edit: the time of the version shown
        assert pilot.app.focused is field and field.value == time_of(history, 14)
        pane.slider.focus()
        await pilot.press("left", "left")
        assert pane.version == 12 and field.value == time_of(history, 12)
        await pilot.press("home")
        assert field.value == ""  # version 0: no event, no time
        pane.show_aggregate("account", other)
        await settle(pilot)
        assert field.value == time_of(other_history, 14)
        # a moment typed and entered stays: it is the moment of the version it went to
        await pilot.press("t", *"2026-11-05T00:00:00Z", "enter")
        await settle(pilot)
        assert field.value == "2026-11-05T00:00:00Z" and pane.version < 14
        await pilot.press("end")
        assert field.value == time_of(other_history, 14)


async def test_an_unknown_aggregate_is_a_warning_not_a_crash(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, "NOPE-1")
        assert pane.history is not None and pane.history.version == 0
        assert any("has no events" in n.message for n in app._notifications)
        assert "version 0" in text_of(pane, "#tt-changes")


async def test_a_failing_store_becomes_a_notification(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> AggregateHistory:
        raise OSError("disk on fire")

    monkeypatch.setattr(demo_app, "history", broken)
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "disk on fire" in errors[0].message
        assert app.is_running and pane.history is None


async def test_show_in_stream_posts_the_event_position(demo_app: Application) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("left", "s")
        await pilot.pause()
        history = pane.history
        assert history is not None
        event = history.event_at(13)
        assert event is not None and app.positions == [event.position]


# -- growing --------------------------------------------------------------------------------------
def deposit_from_another_process(store_path: Path, amount: float) -> None:
    command = json.dumps({"DepositMoney": {"amount": amount}})
    subprocess.run(
        [sys.executable, "-m", "tui_es", "--db", str(store_path), "exec", ACCOUNT, command],
        check=True,
        capture_output=True,
        timeout=60,
    )


async def test_new_events_extend_the_latest_version_and_follow_it_at_the_end(
    demo_app: Application, store_path: Path
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        deposit_from_another_process(store_path, 10.0)
        pane.store_changed(demo_app.store.head_position())
        await settle(pilot)
        assert pane.slider.maximum == 15 and pane.version == 15
        assert "at version 15 of 15" in text_of(pane, "#tt-state-title")
        expected, _ = demo_app.state(ACCOUNT, "account")
        assert value_text(expected.state_json()["balance"]) in state_lines(pane)["balance"]


async def test_new_events_do_not_move_a_reader_who_is_back_in_time(
    demo_app: Application,
) -> None:
    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await pilot.press("3", "enter")
        envelopes = demo_app.execute(ACCOUNT, '{"DepositMoney": {"amount": 1.0}}')
        pane.events_committed(envelopes)
        await settle(pilot)
        assert pane.slider.maximum == 15
        assert pane.version == 3
        assert "at version 3 of 15" in text_of(pane, "#tt-state-title")


# -- snapshots -------------------------------------------------------------------------------------
def test_snapshot_an_aggregate_at_a_version(demo_app: Application, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot)
        await pilot.press("5", "enter")
        await settle(pilot)

    assert snap_compare(TimeTravelHarness(demo_app), terminal_size=SIZE, run_before=run_before)


def test_snapshot_before_an_aggregate_is_picked(demo_app: Application, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        for field in pilot.app.query(Input):
            field.cursor_blink = False
        await settle(pilot)

    assert snap_compare(TimeTravelHarness(demo_app), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_version_zero_in_a_small_terminal(
    demo_app: Application, snap_compare: Any
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot)
        await pilot.press("home")
        await settle(pilot)

    assert snap_compare(TimeTravelHarness(demo_app), terminal_size=(80, 24), run_before=run_before)


async def test_a_slow_lookup_of_ids_never_replaces_a_newer_one(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing starts a lookup per key; one that ends after a newer one must not show its list."""
    store = demo_app.store
    listed = store.aggregate_ids
    gate, released = threading.Event(), threading.Event()

    def slow_for_one_prefix(aggregate_type: str, prefix: str = "", limit: int = 50) -> Any:
        if prefix != "ACCT-":
            return listed(aggregate_type, prefix, limit)
        assert gate.wait(30)
        try:
            return listed(aggregate_type, prefix, limit)
        finally:
            released.set()

    def shown(listing: OptionList) -> list[str | None]:
        return [listing.get_option_at_index(i).id for i in range(listing.option_count)]

    app = TimeTravelHarness(demo_app)
    async with app.run_test(size=SIZE) as pilot:
        pane = pilot.app.query_one(TimeTravelPane)
        await settle(pilot)
        listing = pane.query_one("#tt-ids", OptionList)
        monkeypatch.setattr(store, "aggregate_ids", slow_for_one_prefix)
        field = pane.query_one("#tt-id", Input)
        field.focus()
        field.value = "ACCT-"  # its lookup waits at the gate
        await pilot.pause()
        field.value = "ACCT-1"  # this one starts later and ends first
        assert await wait_until(pilot, lambda: shown(listing) == [ACCOUNT], settled=False)
        gate.set()
        assert released.wait(30)
        for _ in range(5):  # room for the older lookup to hand its list over, if it would
            await pilot.pause()
        await settle(pilot)
        assert shown(listing) == [ACCOUNT]
