"""The time machine in the Time travel pane: diff of any two versions, travel by time, the plot,
play/pause, snapshot markers and their check, the upcasting lens.

Pilot tests on the shipped demo history (``demo_app``), on a store written with
a snapshot policy, and on a small domain of its own (a tank: nothing here is
about bank accounts but the demo data). Screenshots at the end.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from itertools import count
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from tests.tui.dashboard_support import PaneHost, no_blink, settle, wait_until
from tui_es.domains.bank import DOMAIN
from tui_es.es import (
    Aggregate,
    Application,
    Command,
    Domain,
    DomainEvent,
    EventSink,
    InMemoryEventStore,
    MessageSet,
    SnapshotPolicy,
)
from tui_es.es.diff import diff_states
from tui_es.es.words import plural
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.help import HelpScreen
from tui_es.tui.timetravel import TimeTravelPane
from tui_es.tui.timetravel.diff import ROWS_MAX, render_state
from tui_es.tui.timetravel.plot import FieldPlot
from tui_es.tui.values import format_scalar

SIZE = (120, 36)
ACCOUNT = "ACCT-11fa23b0"  # 14 events in the demo history, none upcast
UPCAST_ACCOUNT = "ACCT-3bafb51f"  # versions 3, 4 and 5 are CustomerWithdrewCash stored at 1.0
SNAPSHOTTED = "SNAP-1"

SnapCompare = Callable[..., bool]


def host(application: Application) -> PaneHost:
    return PaneHost(application, lambda a: TimeTravelPane(a, id="timetravel"))


async def opened(
    pilot: Pilot[None], aggregate_id: str = ACCOUNT, aggregate_type: str = "account"
) -> TimeTravelPane:
    await settle(pilot)
    no_blink(pilot.app)
    pane = pilot.app.query_one(TimeTravelPane)
    pane.show_aggregate(aggregate_type, aggregate_id)
    await settle(pilot)
    pane.slider.focus()
    await pilot.pause()
    return pane


async def go(pilot: Pilot[None], version: int) -> None:
    await pilot.press(*str(version), "enter")
    await settle(pilot)


def text_of(pane: TimeTravelPane, selector: str) -> str:
    content = pane.query_one(selector, Static).content
    return content.plain if isinstance(content, Content) else str(content)


def state_lines(pane: TimeTravelPane) -> dict[str, str]:
    return {line[2:].split()[0]: line for line in text_of(pane, "#tt-state").splitlines()}


def highlighted(pane: TimeTravelPane, selector: str = "#tt-state") -> set[str]:
    """The fields drawn with the change highlight."""
    content = pane.query_one(selector, Static).content
    assert isinstance(content, Content)
    return {
        content.plain[span.start : span.end].split()[1]
        for span in content.spans
        if "warning-muted" in str(span.style)
    }


def messages(app: Any, severity: str | None = None) -> list[str]:
    return [n.message for n in app._notifications if severity in (None, n.severity)]


# -- the diff between any two versions ------------------------------------------------------------
async def test_the_diff_between_two_chosen_versions_shows_exactly_the_changed_fields(
    demo_app: Application,
) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await go(pilot, 4)
        await pilot.press("a")  # diff from version 4 ...
        await pilot.pause()
        assert pane.pinned == 4
        assert pane.query_one("#tt-from", Input).value == "4"
        await go(pilot, 10)  # ... to version 10
        v4, _ = demo_app.state(ACCOUNT, version=4)
        v10, _ = demo_app.state(ACCOUNT, version=10)
        expected = diff_states(v4.state_json(), v10.state_json())
        assert [c.path for c in expected] == ["balance"]
        assert highlighted(pane) == {"balance"}
        lines = state_lines(pane)
        assert lines["balance"].startswith("~ ")
        assert (
            f"balance     {format_scalar(v10.state_json()['balance'])}  v4: 3308.23"
            in lines["balance"]
        )
        assert lines["account_id"].startswith("  ")
        assert text_of(pane, "#tt-changes") == "diff from version 4: 1 field changed: balance"
        assert "at version 10 of 14" in text_of(pane, "#tt-state-title")

        # typed in the "diff from" field: from version 0, both fields differ
        pane.query_one("#tt-from", Input).focus()
        await pilot.press("0", "enter")  # the field selects its text on focus
        await settle(pilot)
        v0, _ = demo_app.state(ACCOUNT, version=0)
        assert [c.path for c in diff_states(v0.state_json(), v10.state_json())] == [
            "account_id",
            "balance",
        ]
        assert highlighted(pane) == {"account_id", "balance"}
        assert 'v0: ""' in state_lines(pane)["account_id"]
        assert text_of(pane, "#tt-changes").startswith("diff from version 0: 2 fields changed")

        # a again: back to the previous version
        pane.slider.focus()
        await pilot.press("a")
        await pilot.pause()
        assert pane.pinned is None and pane.query_one("#tt-from", Input).value == ""
        assert text_of(pane, "#tt-changes") == "1 field changed: balance"
        assert "was 1590.04" in state_lines(pane)["balance"]  # version 9's balance

        # a version from the future, and the same version: no change
        await pilot.press("a")
        await pilot.pause()
        assert text_of(pane, "#tt-changes") == "diff from version 10: no field changed"
        assert highlighted(pane) == set()


# -- travel by time ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "version"),
    [
        ("2026-11-04T12:00:00Z", 5),  # after seq 5 (11-04 07:39), before seq 6 (11-05 08:17)
        ("2026-11-05T11:00:00+01:00", 6),  # 10:00 UTC: before seq 7 (10:54)
        ("2026-11-03T04:11:51.419643Z", 3),  # exactly when seq 3 was recorded
        ("2026-11-01T00:00:00Z", 0),  # before the account was opened
        ("2030-01-01T00:00:00Z", 14),
    ],
)
async def test_travel_by_timestamp_lands_on_the_version_of_that_moment(
    demo_app: Application, moment: str, version: int
) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await go(pilot, 9)
        await pilot.press("t")
        await pilot.pause()
        field = pane.query_one("#tt-time", Input)
        assert pilot.app.focused is field
        assert field.value == "2026-11-05T14:16:22.135085+00:00"  # version 9's time, to edit
        await pilot.press(*moment, "enter")  # replaces the selected text
        await settle(pilot)
        assert field.value == moment
        assert pane.version == version and pane.slider.value == version
        assert demo_app.state(ACCOUNT, at=moment)[1] == version  # the store's own answer
        assert f"at version {version} of 14" in text_of(pane, "#tt-state-title")
        assert pilot.app.focused is pane.slider


async def test_a_time_that_is_not_one_is_an_error_not_a_move(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await go(pilot, 7)
        for text in ("yesterday", "2026-11-04T12:00:00"):  # no zone: ambiguous
            pane.travel_to_time(text)
            await pilot.pause()
            assert pane.version == 7
        errors = messages(pilot.app, "error")
        assert len(errors) == 2 and "'yesterday' is not a time" in errors[0]
        assert "no time zone" in errors[1]


# -- the plot ----------------------------------------------------------------------------------------
async def test_the_plot_shows_the_chosen_field_over_the_versions(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await go(pilot, 7)
        await pilot.press("p")
        await pilot.pause()
        assert pane.active_view == "plot"
        plot = pane.query_one(FieldPlot)
        data = plot.data
        assert data is not None and data.field == "balance"
        assert data.versions == list(range(15))
        balances = [
            demo_app.state(ACCOUNT, version=v)[0].state_json()["balance"] for v in range(15)
        ]
        assert data.values == balances
        assert data.current == 7 and data.current_value == balances[7]
        # only the numeric fields are offered (account_id is text)
        select = pane.query_one("#tt-plot-field", Select)
        assert [value for _, value in select._options if isinstance(value, str)] == ["balance"]
        assert select.value == "balance"
        assert "v7: 2512.62" in text_of(pane, "#tt-plot-info")
        # the mark follows the version
        await pilot.press("right", "right")
        assert plot.data is not None and plot.data.current == 9
        assert plot.data.current_value == balances[9]
        assert plot.size.width > 40 and plot.size.height > 10  # drawn, and big enough to read


class Fill(Command):
    litres: float


class Filled(DomainEvent):
    litres: float


class Tank(Aggregate):
    """A domain that is not a bank: several numeric fields, one nested, one text."""

    aggregate_type: ClassVar[str] = "tank"
    commands: ClassVar[MessageSet[Command]] = MessageSet("command", [Fill])
    events: ClassVar[MessageSet[DomainEvent]] = MessageSet("event", [Filled])

    level: float = 0.0
    fills: int = 0
    note: str = "empty"
    limits: dict[str, float] = {"max": 100.0}

    def handle(self, command: Command, services: Any, sink: EventSink[Any]) -> None:
        assert isinstance(command, Fill)
        sink.write(Filled(litres=command.litres))

    def apply(self, event: DomainEvent) -> None:
        assert isinstance(event, Filled)
        self.level += event.litres
        self.fills += 1
        self.note = "filled"
        self.limits = {"max": max(self.limits["max"], self.level)}


@pytest.fixture
def tanks() -> Application:
    app = Application(
        Domain(name="tank", title="Tanks", description="", aggregates=(Tank,)),
        InMemoryEventStore(),
    )
    for litres in (30.0, 50.0, 40.0):
        app.execute("T-1", Fill(litres=litres))
    return app


async def test_the_user_chooses_the_field_among_the_numeric_ones(tanks: Application) -> None:
    async with host(tanks).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, "T-1", "tank")
        select = pane.query_one("#tt-plot-field", Select)
        assert [v for _, v in select._options if isinstance(v, str)] == [
            "level",
            "fills",
            "limits.max",
        ]
        plot = pane.query_one(FieldPlot)
        assert plot.data is not None and plot.data.field == "level"
        assert plot.data.values == [0.0, 30.0, 80.0, 120.0]
        await pilot.press("f")  # the next field
        await pilot.pause()
        assert pane.active_view == "plot"
        assert select.value == "fills"
        assert plot.data.field == "fills" and plot.data.values == [0.0, 1.0, 2.0, 3.0]
        select.value = "limits.max"  # chosen in the list
        await pilot.pause()
        assert plot.data.field == "limits.max"
        assert plot.data.values == [100.0, 100.0, 100.0, 120.0]
        assert plot.data.current == 3
        # the diff works on this domain too
        await pilot.press("d", "left")
        await pilot.pause()
        assert highlighted(pane) == {"level", "fills"}


# -- play / pause ---------------------------------------------------------------------------------------
async def test_play_advances_the_versions_and_pause_stops(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        shown: list[int] = []  # every version the pane is asked to show, in order
        show = pane.set_version

        def recording(version: int) -> None:
            shown.append(version)
            show(version)

        pane.set_version = recording  # type: ignore[method-assign]
        assert text_of(pane, "#tt-speed") == "2/s"
        await pilot.press("space")  # at the latest version: plays from the start
        assert pane.playing
        assert str(pane.query_one("#tt-play", Button).label) == "⏸ Pause"
        assert await wait_until(pilot, lambda: len(shown) >= 3)
        await pilot.press("space")
        assert not pane.playing
        assert str(pane.query_one("#tt-play", Button).label) == "▶ Play"
        paused_at = pane.version
        assert shown == list(range(paused_at + 1))  # 0, 1, 2, ... one event at a time
        assert 2 <= paused_at < 14
        await asyncio.sleep(0.6)  # a tick's worth at 2/s, and more
        await pilot.pause()
        assert pane.version == paused_at and pane.slider.value == paused_at
        assert len(shown) == paused_at + 1

        # faster, and on to the end, where it stops by itself
        await pilot.press("plus", "plus", "plus", "plus", "plus")  # to the fastest
        assert pane.speed == 32.0 and text_of(pane, "#tt-speed") == "32/s"
        await pilot.press("minus")
        assert pane.speed == 16.0 and text_of(pane, "#tt-speed") == "16/s"
        await pilot.press("space")
        assert await wait_until(pilot, lambda: not pane.playing)
        assert pane.version == 14 and shown == list(range(15))
        assert "at version 14 of 14" in text_of(pane, "#tt-state-title")


async def test_the_play_button_and_an_empty_aggregate(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        await go(pilot, 2)
        assert await pilot.click("#tt-play")
        assert pane.playing
        assert await pilot.click("#tt-play")
        assert not pane.playing and 2 <= pane.version < 14
        pane = await opened(pilot, "NOPE-1")
        await pilot.press("space")  # nothing to play: a bell, no timer
        assert not pane.playing


# -- snapshots ------------------------------------------------------------------------------------------
@pytest.fixture
def snapshotted(tmp_path: Path) -> Iterator[Application]:
    """An account written with a snapshot every 3 events: 10 events, snapshots at 3, 6 and 9."""
    store = SqlEventStore(tmp_path / "snapshots.sqlite")
    # Times of their own, not the clock's: the pane shows when a version was recorded.
    store.clock = partial(next, (f"2026-11-10T08:{i:02}:00.000000+00:00" for i in count()))
    app = Application(DOMAIN, store, snapshots=SnapshotPolicy.every(3))
    for framework in app.frameworks.values():
        framework.clock = partial(next, (f"2026-11-10T08:{i:02}:00Z" for i in count()))
    app.execute(SNAPSHOTTED, f'{{"OpenAccount": {{"account_id": "{SNAPSHOTTED}"}}}}')
    for i in range(1, 10):
        app.execute(SNAPSHOTTED, f'{{"DepositMoney": {{"amount": {i * 10}.5}}}}')
    yield app
    store.close()


def corrupt_snapshot(tmp_path: Path, last_sequence: int, payload: str) -> None:
    with sqlite3.connect(tmp_path / "snapshots.sqlite") as db:
        changed = db.execute(
            "UPDATE snapshots SET payload = ? WHERE aggregate_id = ? AND last_sequence = ?",
            (payload, SNAPSHOTTED, last_sequence),
        ).rowcount
    assert changed == 1


async def test_snapshot_markers_on_the_version_axis(snapshotted: Application) -> None:
    async with host(snapshotted).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, SNAPSHOTTED)
        assert [s.last_sequence for s in snapshotted.store.snapshots()] == [3, 6, 9]
        assert pane.slider.marks == (3, 6, 9)
        assert pane.slider.render().plain.count("◆") == 3  # the thumb is at 10
        await go(pilot, 6)
        assert pane.slider.render().plain.count("◆") == 2  # the thumb covers one
        await pilot.press("n")
        await pilot.pause()
        assert text_of(pane, "#tt-snap-title") == f"3 snapshots of account {SNAPSHOTTED}"
        assert "#1 at v3, #2 at v6, #3 at v9" in text_of(pane, "#tt-snap-list")
        await go(pilot, 8)
        assert "starts from snapshot #2 (version 6) and applies 2 events after it." in text_of(
            pane, "#tt-snap-nearest"
        )
        await go(pilot, 7)
        assert "applies 1 event after it." in text_of(pane, "#tt-snap-nearest")
        await go(pilot, 2)
        assert "no snapshot precedes: a load replays 2 events." in text_of(pane, "#tt-snap-nearest")


async def test_an_aggregate_without_snapshots_has_no_marker(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        assert pane.slider.marks == ()
        assert "◆" not in pane.slider.render().plain
        assert text_of(pane, "#tt-snap-title").startswith("0 snapshots")
        await pilot.press("c")
        await settle(pilot)
        assert text_of(pane, "#tt-verify-verdict") == (
            "Version 14: no snapshot at or before it, nothing to verify."
        )


async def test_verify_says_equal_then_differs_when_the_snapshot_is_corrupted(
    snapshotted: Application, tmp_path: Path
) -> None:
    async with host(snapshotted).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, SNAPSHOTTED)
        await go(pilot, 8)
        await pilot.press("c")
        await settle(pilot)
        assert pane.active_view == "snapshots"
        check = pane.check
        assert check is not None and check.equal and check.verdict == "equal"
        assert check.version == 8 and check.events_after == 2 and check.full_events == 8
        assert check.from_snapshot == check.full
        verdict = text_of(pane, "#tt-verify-verdict")
        assert verdict.startswith("equal · version 8: snapshot #2 (v6) + 2 events")
        # both states are shown, the same
        left, right = text_of(pane, "#tt-verify-snapshot"), text_of(pane, "#tt-verify-full")
        assert left == right and "283.5" in left
        assert pane.query_one("#tt-verify-verdict").has_class("-equal")

        corrupt_snapshot(tmp_path, 6, f'{{"account_id": "{SNAPSHOTTED}-X", "balance": 1.0}}')
        await go(pilot, 6)  # the check follows the version while it is in view
        check = pane.check
        assert check is not None and check.version == 6 and not check.equal
        assert [c.path for c in check.changes] == ["account_id", "balance"]
        verdict = text_of(pane, "#tt-verify-verdict")
        assert verdict.startswith("differs · version 6: snapshot #2 (v6) + 0 events")
        assert verdict.endswith("account_id, balance")
        assert pane.query_one("#tt-verify-verdict").has_class("-differs")
        assert highlighted(pane, "#tt-verify-snapshot") == {"account_id", "balance"}
        assert "152.5" in text_of(pane, "#tt-verify-full")

        # events after the snapshot set the balance again, not the id
        await go(pilot, 8)
        await pilot.press("c")
        await settle(pilot)
        assert pane.check is not None and pane.check.verdict == "differs"
        assert [c.path for c in pane.check.changes] == ["account_id"]

        corrupt_snapshot(tmp_path, 6, "this is not JSON")
        await pilot.press("c")
        await settle(pilot)
        assert pane.check is not None and not pane.check.usable
        assert "no longer fits the aggregate" in text_of(pane, "#tt-verify-verdict")
        assert text_of(pane, "#tt-verify-verdict").startswith("differs")


async def test_a_stale_check_says_so_when_out_of_view(snapshotted: Application) -> None:
    async with host(snapshotted).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, SNAPSHOTTED)
        await pilot.press("c")
        await settle(pilot)
        assert pane.check is not None and pane.check.version == 10
        await pilot.press("d", "left")
        await settle(pilot)
        assert pane.check.version == 10
        assert text_of(pane, "#tt-verify-verdict") == ("checked at version 10: press c to check 9")


# -- the upcasting lens ----------------------------------------------------------------------------------
async def test_the_upcasting_lens_shows_stored_upcast_and_the_chain(
    demo_app: Application,
) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, UPCAST_ACCOUNT)
        await go(pilot, 3)
        await pilot.press("u")
        await pilot.pause()
        assert pane.active_view == "upcasting"
        assert text_of(pane, "#tt-upcast-title") == (
            "Event at version 3: CustomerWithdrewCash, stored at 1.0, read at 2.0.0"
        )
        stored = pane.query_one("#tt-upcast-stored", Static)
        read = pane.query_one("#tt-upcast-read", Static)
        assert stored.border_title == "stored · 1.0"
        assert read.border_title == "read · 2.0.0"
        stored_text, read_text = (
            text_of(pane, "#tt-upcast-stored"),
            text_of(pane, "#tt-upcast-read"),
        )
        assert '"amount": 100.0' in stored_text and '"balance": 323.23' in stored_text
        assert "atm_id" not in stored_text
        assert '"amount": 100.0' in read_text and '"atm_id": null' in read_text
        assert text_of(pane, "#tt-upcast-chain") == (
            "upcasters applied: 1.0 → [CustomerWithdrewCash -> 2.0.0] → 2.0.0"
        )
        assert text_of(pane, "#tt-upcast-changes").strip() == (
            "upcasting changed: + CustomerWithdrewCash.atm_id = null"
        )
        assert text_of(pane, "#tt-upcast-all") == (
            "3 of 14 events of this aggregate are upcast when read: versions 3, 4, 5."
        )
        # a row stored as 2.0: nothing to do
        await go(pilot, 6)
        assert text_of(pane, "#tt-upcast-title").endswith("stored at 2.0, read at 2.0")
        assert "no upcaster applies" in text_of(pane, "#tt-upcast-chain")
        assert text_of(pane, "#tt-upcast-changes") == ""
        assert '"atm_id": "ATM-N468290"' in text_of(pane, "#tt-upcast-stored")
        await pilot.press("home")
        assert "nothing is upcast" in text_of(pane, "#tt-upcast-title")


def test_counts_of_one_are_singular() -> None:
    one_upcast = SimpleNamespace(
        history=SimpleNamespace(version=14), upcast_sequences=[3], stored={3: object()}
    )
    assert TimeTravelPane._upcast_overview(one_upcast).plain == (  # type: ignore[arg-type]
        "1 of the 14 events of this aggregate is upcast when read: version 3."
    )
    state = {f"f{i:03}": i for i in range(ROWS_MAX + 1)}
    assert render_state(state, []).plain.endswith("… 1 more unchanged field")
    state["f999"] = 0
    assert render_state(state, []).plain.endswith("… 2 more unchanged fields")
    assert [plural(n, "entry", "entries") for n in (0, 1, 2, 1000)] == [
        "0 entries",
        "1 entry",
        "2 entries",
        "1,000 entries",
    ]


async def test_an_aggregate_with_no_old_event(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        assert text_of(pane, "#tt-upcast-all").startswith("No event of this aggregate needs")


async def test_a_failing_upcaster_is_shown_not_raised(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(event: Any) -> Any:
        raise KeyError("amount")

    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot, UPCAST_ACCOUNT)
        monkeypatch.setattr(demo_app.codec, "upcast", broken)
        await go(pilot, 4)
        assert text_of(pane, "#tt-upcast-chain") == "upcasting failed: KeyError: 'amount'"
        assert text_of(pane, "#tt-upcast-read") == "(not readable)"
        assert pilot.app.is_running


# -- robustness, keys and help -----------------------------------------------------------------------------
async def test_unreadable_snapshots_are_a_warning_and_the_rest_works(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("snapshot table on fire")

    monkeypatch.setattr(demo_app.store, "load_snapshot", broken)
    async with host(demo_app).run_test(size=SIZE) as pilot:
        pane = await opened(pilot)
        assert pane.history is not None and pane.version == 14
        assert any("snapshot table on fire" in m for m in messages(pilot.app, "warning"))
        await pilot.press("c")
        await settle(pilot)
        assert any("Could not verify" in m for m in messages(pilot.app, "error"))
        assert pilot.app.is_running


async def test_the_keys_are_in_the_footer_and_the_help(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_pane("timetravel")
        pane = app.query_one(TimeTravelPane)
        pane.show_aggregate("account", ACCOUNT)
        await settle(pilot)
        pane.slider.focus()
        await pilot.pause()
        shown = {
            binding.key
            for _, binding, enabled, _ in app.screen.active_bindings.values()
            if binding.show and enabled
        }
        assert {"space", "plus", "minus", "t", "a", "c", "f"} <= shown
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        described = {k.description for k in screen.keys}
        for description in (
            "Replay the events one by one, or pause",
            "Go to the version at a time (RFC 3339)",
            "Diff from this version (again: the previous)",
            "Nearest snapshot + later events = full replay?",
            "Plot the next numeric field",
            "Upcasting",
            "Snapshots",
        ):
            assert description in described
        assert "Upcasting" in screen.text and "`space`" in screen.text
        await pilot.press("escape")
        titles = [c.title for c in app.palette_commands()]
        for title in ("Play/Pause", "Verify", "Upcasting lens", "Snapshots", "Plot"):
            assert f"Time travel: {title}" in titles


# -- screenshots ------------------------------------------------------------------------------------------
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


def at(aggregate_id: str, *keys: str) -> RunBefore:
    async def run_before(pilot: Pilot[None]) -> None:
        await opened(pilot, aggregate_id)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        no_blink(pilot.app)
        await settle(pilot)

    return run_before


def test_snapshot_the_diff_between_two_chosen_versions(
    demo_app: Application, snap_compare: SnapCompare
) -> None:
    run_before = at(ACCOUNT, "4", "enter", "a", "1", "0", "enter")
    assert snap_compare(host(demo_app), terminal_size=(120, 36), run_before=run_before)


def test_snapshot_the_upcasting_lens(demo_app: Application, snap_compare: SnapCompare) -> None:
    run_before = at(UPCAST_ACCOUNT, "3", "enter", "u")
    assert snap_compare(host(demo_app), terminal_size=(120, 36), run_before=run_before)


def test_snapshot_the_upcasting_lens_in_a_small_terminal(
    demo_app: Application, snap_compare: SnapCompare
) -> None:
    run_before = at(UPCAST_ACCOUNT, "4", "enter", "u")
    assert snap_compare(host(demo_app), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_the_plot(demo_app: Application, snap_compare: SnapCompare) -> None:
    run_before = at(ACCOUNT, "7", "enter", "p")
    assert snap_compare(host(demo_app), terminal_size=(100, 30), run_before=run_before)


def test_snapshot_a_verified_snapshot(snapshotted: Application, snap_compare: SnapCompare) -> None:
    run_before = at(SNAPSHOTTED, "8", "enter", "c")
    assert snap_compare(host(snapshotted), terminal_size=(100, 30), run_before=run_before)
