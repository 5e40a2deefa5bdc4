"""The dashboard as a whole: layout, pane keys, help, palette, live updates, routing."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Footer, Input, OptionList, Tabs
from textual.widgets._footer import FooterKey

from tests.tui.dashboard_support import settle, wait_until
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es.application import Application
from tui_es.es.errors import DatabaseConnectionError
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.help import HelpScreen
from tui_es.tui.messages import ShowAggregate, ShowPosition, StoreChanged
from tui_es.tui.pane import StorePane
from tui_es.tui.stream import EventStreamPane
from tui_es.tui.timetravel import TimeTravelPane

TITLES = ["Commands", "Event stream", "Projections", "Time travel"]


def visible_panes(app: Dashboard) -> list[str]:
    return [p.TITLE for p in app.panes if p.display and p.region.area > 0]


async def test_four_titled_panes_share_a_big_terminal(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert [p.border_title for p in app.panes] == TITLES
        assert visible_panes(app) == TITLES
        assert not app.query_one("#pane-tabs", Tabs).display
        assert app.sub_title == demo_app.store.display_url  # type: ignore[attr-defined]
        assert "Bank account (cqrs-demo)" in app.title


async def test_small_terminals_get_tabs_and_resizing_keeps_state(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.narrow
        assert app.query_one("#pane-tabs", Tabs).display
        assert visible_panes(app) == ["Commands"]
        app.query_one("#aggregate-id", Input).value = "ACCT-typed"

        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert not app.narrow
        assert visible_panes(app) == TITLES

        await pilot.resize_terminal(119, 48)
        await settle(pilot)
        assert app.narrow
        assert app.query_one("#aggregate-id", Input).value == "ACCT-typed"

        await pilot.resize_terminal(130, 35)
        await settle(pilot)
        assert app.narrow


EVERYWHERE = ["f1", "f2", "f3", "f4", "f5", "f6", "ctrl+p"]


def footer_keys_in_view(app: Dashboard) -> list[str]:
    """The keys the footer shows whole, left of the palette key (the one docked on the right)."""
    footer = app.screen.query_one(Footer)
    palette = footer.query_one(".-command-palette", FooterKey)
    return [
        key.key
        for key in footer.query(FooterKey)
        if key is palette or key.region.right <= palette.region.x
    ]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_footer_shows_the_keys_that_work_everywhere_beside_any_pane(
    demo_app: Application, size: tuple[int, int]
) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.pane("timetravel").show_aggregate("account", "ACCT-3bafb51f")  # its many keys
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await settle(pilot)
            shown = footer_keys_in_view(app)
            assert all(k in shown for k in EVERYWHERE), (key, shown)
            assert len(shown) > len(EVERYWHERE), (key, shown)  # and the focused pane's keys
            # The palette key ends the line: no column of the keys scrolled under it shows
            # after it ("^p paletteo").
            width = size[0]
            last = app.screen.get_widget_at(width - 1, size[1] - 1)[0]
            assert isinstance(last, FooterKey) and last.key == "ctrl+p"
        assert "Time travel" in app.pane(app.current_pane).TITLE


async def test_pane_keys_focus_panes_and_switch_tabs(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert visible_panes(app) == ["Projections"]
        assert app.query_one("#pane-tabs", Tabs).active == "tab-projections"
        assert app.pane_of(app.focused) is app.pane("projections")

        await pilot.press("f2")
        await settle(pilot)
        assert visible_panes(app) == ["Commands"]
        assert app.focused is app.query_one("#aggregate-id", Input)

        await pilot.click("#tab-projections")
        await settle(pilot)
        assert visible_panes(app) == ["Projections"]

    wide = Dashboard(demo_app)
    async with wide.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert wide.pane_of(wide.focused) is wide.pane("projections")
        keys = {b.binding.key: b.binding.description for b in wide.screen.active_bindings.values()}
        assert {"f2": "Commands", "f3": "Event stream", "f4": "Projections"}.items() <= keys.items()
        assert keys["f5"] == "Time travel"


async def test_f1_opens_help_for_the_focused_pane(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        assert screen.help_title == "Projections"
        assert "checkpoint" in screen.text
        assert ("r", "Empty the view and fold the log again") in [
            (k.keys, k.description) for k in screen.keys
        ]
        assert "Help for the focused pane" in [k.description for k in screen.general]

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

        await pilot.press("f2", "f1")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        assert screen.help_title == "Commands"
        assert "Execute the command" in [k.description for k in screen.keys]


async def test_command_palette_lists_the_dashboard_actions(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.palette_commands()]
        for title in (
            "Go to Commands",
            "Go to Event stream",
            "Go to Projections",
            "Go to Time travel",
            "Rebuild view account_query",
            "New command: DepositMoney",
            "Change theme",
            "Help",
        ):
            assert title in titles
        slow = [c.title for c in app.slow_palette_commands()]
        assert "Time travel: account ACCT-3bafb51f" in slow

        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"rebuild")
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count > 0, tries=40)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Rebuild view account_query" in p for p in prompts)

        await pilot.press("enter")
        await settle(pilot)
        assert await wait_until(pilot, lambda: app.pane("projections").rebuilding is None)
        assert app.current_pane == "projections"


async def test_events_from_another_process_arrive_within_a_poll(demo_app: Application) -> None:
    app = Dashboard(demo_app, poll_interval=0.05)
    heads: list[int] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        projections = app.pane("projections")
        original = projections.store_changed

        def spy(head: int) -> None:
            heads.append(head)
            original(head)

        projections.store_changed = spy  # type: ignore[method-assign]
        # Another process: its own store object on the same file.
        path = demo_app.store.url.database  # type: ignore[attr-defined]
        other = Application(DOMAIN, SqlEventStore(path))
        other.execute("ACCT-3bafb51f", DepositMoney(amount=5.0))
        other.store.close()

        assert await wait_until(pilot, lambda: app.head == 85)
        assert heads[-1] == 85


async def test_show_messages_are_routed_to_the_panes(demo_app: Application) -> None:
    calls: list[tuple[str, tuple[object, ...]]] = []
    app = Dashboard(demo_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        stream = app.query_one(EventStreamPane)
        travel = app.query_one(TimeTravelPane)
        stream.show_position = lambda position: calls.append(("stream", (position,)))  # type: ignore[method-assign]
        travel.show_aggregate = lambda *args: calls.append(("travel", args))  # type: ignore[method-assign]

        app.post_message(ShowAggregate("account", "ACCT-3bafb51f", 3))
        await pilot.pause()
        assert calls[-1] == ("travel", ("account", "ACCT-3bafb51f", 3))
        assert visible_panes(app) == ["Time travel"]

        app.post_message(ShowPosition(12))
        await pilot.pause()
        assert calls[-1] == ("stream", (12,))
        assert visible_panes(app) == ["Event stream"]


async def test_storage_errors_become_notifications(demo_app: Application) -> None:
    app = Dashboard(demo_app, poll_interval=0.05)

    def broken() -> int:
        raise DatabaseConnectionError("sqlite:///gone.db: unable to open database file")

    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        demo_app.store.head_position = broken  # type: ignore[method-assign]
        assert await wait_until(pilot, lambda: len(app._notifications) > 0)
        (notification,) = list(app._notifications)
        assert notification.severity == "error"
        assert "unable to open database file" in notification.message
        assert app.is_running


async def test_a_failing_pane_hook_is_reported_not_fatal(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)

        def fails(head: int) -> None:
            raise RuntimeError("boom")

        pane: StorePane = app.pane("stream")
        pane.store_changed = fails  # type: ignore[method-assign]
        app.post_message(StoreChanged(99))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "RuntimeError: boom" in messages
        assert app.is_running


async def test_clicking_a_pane_focuses_it(demo_app: Application) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.click("#view-info")
        await settle(pilot)
        assert app.pane_of(app.focused) is app.pane("projections")
        assert app.current_pane == "projections"

        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)
        assert app.focused is app.query_one("#aggregate-id", Input)


async def settled_on(pilot: Pilot[None], key: str) -> None:
    """The dashboard started, then ``key`` pressed (a pane's key), and all of it done."""
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)


async def test_the_footer_composes_its_keys_again_only_when_they_change(
    demo_app: Application,
) -> None:
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled_on(pilot, "f3")
        footer = app.screen.query_one(Footer)
        before = list(footer.query(FooterKey))
        assert before
        # Textual asks again on every "bindings updated" signal; the same keys stay as drawn
        for _ in range(3):
            app.screen.refresh_bindings()
        await settle(pilot)
        assert list(footer.query(FooterKey)) == before
        assert all(key.is_attached for key in before)

        await pilot.press("f2")  # the commands form: other keys
        await settle(pilot)
        after = list(footer.query(FooterKey))
        assert not any(key in before for key in after)
        assert [k.key for k in after] != [k.key for k in before]
        assert all(k in [key.key for key in after] for k in EVERYWHERE)
