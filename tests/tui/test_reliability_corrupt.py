"""The dashboard on a damaged store: damaged rows are marked, nothing crashes.

The demo history (SQLite) is damaged five ways, one account each: a payload
that is not JSON, metadata that is not JSON, an unknown event type, an unknown
version and a deleted event (a sequence gap). The Event stream shows every row,
the undecodable ones marked with ⚠ and the reason in their details, and the row
after a gap marked as ``check`` names it (one lookup per row drawn); Time travel
on a damaged account reports the damaged position instead of replaying it;
Commands refuses to write onto it; the app keeps running throughout. A row
that the views have not folded yet (another program wrote it) does not keep
the dashboard from opening: a notification names the view that could not
catch up, where it stopped and why, the Projections pane shows the views behind
(and the same reason), and commands name the row that holds them up.
"""

from __future__ import annotations

from sqlalchemy import text
from textual.widgets import Input, Select, Static

from tests.tui.dashboard_support import settle, wait_until
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.store import SqlEventStore
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.event_view import EventView
from tui_es.tui.messages import ShowAggregate, ShowPosition
from tui_es.tui.projections import ProjectionsPane
from tui_es.tui.stream import EventStreamPane
from tui_es.tui.stream.lines import HEADER_LINES


def sql(app: Application, statement: str, **params: object) -> None:
    with app.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement), params)


def damage(app: Application) -> dict[str, tuple[str, int]]:
    """Damage one account per kind: {kind: (account, position named in errors)}."""
    accounts = app.store.aggregate_ids("account")
    where = {}
    for kind, account in zip(
        ["payload", "metadata", "type", "version", "gap"], accounts, strict=False
    ):
        events = app.store.load_events("account", account)
        victim = events[2].position
        if kind == "payload":
            sql(app, "UPDATE events SET payload = '{\"Customer' WHERE position = :p", p=victim)
        elif kind == "metadata":
            sql(app, "UPDATE events SET metadata = '{oops' WHERE position = :p", p=victim)
        elif kind == "type":
            sql(
                app,
                "UPDATE events SET event_type = 'AccountFrozen', "
                "payload = '{\"AccountFrozen\":{}}' WHERE position = :p",
                p=victim,
            )
        elif kind == "version":
            sql(app, "UPDATE events SET event_version = '7.0' WHERE position = :p", p=victim)
        else:
            sql(app, "DELETE FROM events WHERE position = :p", p=victim)
            victim = events[3].position  # the first event after the gap
        assert victim is not None
        where[kind] = (account, victim)
    return where


def row_text(pane: EventStreamPane, position: int) -> str:
    """The line the stream draws for the event at ``position`` (it must be on screen)."""
    lines, window = pane.lines, pane.window
    assert window is not None
    top = lines.scroll_offset.y
    for index in range(top, min(top + lines.rows_visible, window.count)):
        event = window.get(index)
        if event is not None and event.position == position:
            return lines.render_line(index - top + HEADER_LINES).text
    raise AssertionError(f"position {position} is not on screen")


def detail_text(pane: EventStreamPane) -> str:
    view = pane.query_one(EventView)
    return "\n".join(
        str(view.query_one(f"#{id}").render())
        for id in ("event-title", "event-facts", "event-payload", "event-metadata")
    )


async def test_damaged_rows_are_marked_and_nothing_crashes(demo_app: Application) -> None:
    where = damage(demo_app)
    head = demo_app.store.head_position()
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(EventStreamPane)
        for kind in ("payload", "metadata", "type", "version"):
            account, position = where[kind]
            app.post_message(ShowPosition(position))
            assert await wait_until(
                pilot,
                lambda p=position: stream.selected is not None and stream.selected.position == p,
            ), kind
            line = row_text(stream, position)
            assert "⚠" in line, (kind, line)
            details = detail_text(stream)
            assert f"#{position}" in details and "⚠" in details, (kind, details)
            # the neighbours are whole, and not marked
            assert "⚠" not in row_text(stream, position - 1)
        assert "cannot be read" in detail_text(stream) or "not valid JSON" in detail_text(stream)

        # time travel on a damaged account reports the position instead of replaying it
        for kind in ("payload", "type", "version", "gap"):
            account, position = where[kind]
            seen = len(app._notifications)
            app.post_message(ShowAggregate("account", account))
            assert await wait_until(pilot, lambda s=seen: len(app._notifications) > s), kind
            messages = [n.message for n in list(app._notifications)[seen:]]
            assert any(f"position {position}" in m for m in messages), (kind, messages)
            assert app.is_running

        # a command on a damaged account is refused and writes nothing
        account, position = where["version"]
        commands = app.query_one(CommandsPane)
        commands.query_one("#aggregate-id", Input).value = account
        commands.query_one("#command-name", Select).value = "DepositMoney"
        await settle(pilot)
        amount = commands.form.input_for("amount")
        assert isinstance(amount, Input)
        amount.value = "5"
        await pilot.press("f2", "ctrl+s")
        await settle(pilot)
        assert await wait_until(
            pilot, lambda: any(f"position {position}" in n.message for n in app._notifications)
        )
        assert demo_app.store.head_position() == head
        assert app.is_running


async def test_the_dashboard_opens_on_a_row_its_views_cannot_fold(demo_app: Application) -> None:
    """Another program wrote a row this program cannot decode, past the views' checkpoint."""
    path = demo_app.store.url.database  # type: ignore[attr-defined]
    victim = 80
    sql(demo_app, "UPDATE events SET event_version = '7.0' WHERE position = :p", p=victim)
    sql(demo_app, "UPDATE projection_checkpoints SET position = :p", p=victim - 1)
    application = Application(DOMAIN, SqlEventStore(path))  # opens: the catch-up fails quietly
    assert application.catch_up_error is not None
    app = Dashboard(application)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        stream = app.query_one(EventStreamPane)
        app.post_message(ShowPosition(victim))
        assert await wait_until(
            pilot, lambda: stream.selected is not None and stream.selected.position == victim
        )
        assert "⚠" in row_text(stream, victim)
        projections = app.query_one(ProjectionsPane)
        assert await wait_until(pilot, lambda: projections.loaded is not None)
        assert projections.loaded is not None
        assert [v.lag for v in projections.loaded.views] == [84 - (victim - 1)]

        # no command can commit while the views cannot fold the row; each says which
        account = next(i for i in application.store.aggregate_ids("account"))
        commands = app.query_one(CommandsPane)
        commands.query_one("#aggregate-id", Input).value = account
        commands.query_one("#command-name", Select).value = "DepositMoney"
        await settle(pilot)
        amount = commands.form.input_for("amount")
        assert isinstance(amount, Input)
        amount.value = "5"
        await pilot.press("f2", "ctrl+s")
        await settle(pilot)
        assert await wait_until(
            pilot, lambda: any(f"position {victim} " in n.message for n in app._notifications)
        )
        assert application.store.head_position() == 84
        assert app.is_running
    application.store.close()  # type: ignore[attr-defined]


async def test_the_dashboard_says_the_views_could_not_catch_up(demo_app: Application) -> None:
    """The catch-up on opening failed: a notification names the view, where and why."""
    path = demo_app.store.url.database  # type: ignore[attr-defined]
    victim = 80
    version = demo_app.store.read_events(after_position=victim - 1, limit=1)[0].event_version
    sql(demo_app, "UPDATE events SET event_version = '7.0' WHERE position = :p", p=victim)
    sql(demo_app, "UPDATE projection_checkpoints SET position = :p", p=victim - 1)
    application = Application(DOMAIN, SqlEventStore(path))
    assert application.catch_up_error is not None
    assert application.catch_up_projection == "account_query"
    app = Dashboard(application)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1, [n.message for n in errors]
        notice = errors[0]
        assert notice.title == "The views are behind"
        assert notice.message.startswith(
            f"account_query stopped at position {victim - 1} of 84: DeserializationError: "
            f"position {victim} ("
        ), notice.message
        assert "stored at version 7.0" in notice.message
        # the Projections pane says it too, under the view that is behind
        projections = app.query_one(ProjectionsPane)
        assert await wait_until(pilot, lambda: projections.loaded is not None)
        info = str(projections.query_one("#view-info", Static).render())
        assert f"⚠ could not catch up: account_query stopped at position {victim - 1}" in info
        assert app.is_running
    application.store.close()  # type: ignore[attr-defined]

    # the row mended, the next opening catches up and has nothing to say
    sql(demo_app, "UPDATE events SET event_version = :v WHERE position = :p", v=version, p=victim)
    application = Application(DOMAIN, SqlEventStore(path))
    assert application.catch_up_problem is None
    app = Dashboard(application)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert not [n for n in app._notifications if n.severity == "error"]
        projections = app.query_one(ProjectionsPane)
        assert await wait_until(pilot, lambda: projections.loaded is not None)
        assert projections.loaded is not None
        assert [v.lag for v in projections.loaded.views] == [0]
        info = str(projections.query_one("#view-info", Static).render())
        assert "could not catch up" not in info
    application.store.close()  # type: ignore[attr-defined]


def marked(pane: EventStreamPane) -> dict[int, str]:
    """The rows on screen marked ⚠, by position."""
    lines, window = pane.lines, pane.window
    assert window is not None
    top = lines.scroll_offset.y
    found = {}
    for index in range(top, min(top + lines.rows_visible, window.count)):
        event = window.get(index)
        if event is not None and event.position is not None:
            text = lines.render_line(index - top + HEADER_LINES).text
            if "⚠" in text:
                found[event.position] = text
    return found


async def test_a_sequence_gap_is_marked_in_the_stream(demo_app: Application) -> None:
    """Rows deleted with raw SQL: the row after each gap is marked as ``check`` names it."""
    store = demo_app.store
    first, second, third = store.aggregate_ids("account")[:3]
    cases = []  # (the row after the gap, the sequence it expected)
    for account, deleted in ((first, [3]), (second, [2, 3]), (third, [1])):
        events = store.load_events("account", account)
        for sequence in deleted:
            sql(demo_app, "DELETE FROM events WHERE position = :p", p=events[sequence - 1].position)
        cases.append((events[deleted[-1]], deleted[0]))
    app = Dashboard(demo_app)
    async with app.run_test(size=(160, 48)) as pilot:
        app.set_layout("tabs")  # the stream alone on the screen: room for the whole reason
        await settle(pilot)
        stream = app.query_one(EventStreamPane)
        for after, expected in cases:
            position = after.position
            assert position is not None
            app.post_message(ShowPosition(position))
            assert await wait_until(
                pilot,
                lambda p=position: stream.selected is not None and stream.selected.position == p,
            )
            mark = f"⚠ a gap: expected sequence {expected}"
            assert await wait_until(
                pilot, lambda p=position, m=mark: m in marked(stream).get(p, "")
            )
            # only the rows after a gap are marked, not their neighbours
            gaps = {a.position for a, _ in cases}
            assert set(marked(stream)) <= gaps, marked(stream)
            assert await wait_until(pilot, lambda m=mark: m in detail_text(stream))
            assert "cannot be replayed past it" in detail_text(stream)
            assert app.is_running

        # filtered on the aggregate, the row is marked all the same
        after, expected = cases[0]
        stream.filter_bar.set_filter(aggregate_id=after.aggregate_id)
        await settle(pilot)
        assert await wait_until(
            pilot,
            lambda: (
                stream.window is not None
                and stream.window.filter.aggregate_id == after.aggregate_id
            ),
        )
        assert await wait_until(
            pilot,
            lambda: (
                f"a gap: expected sequence {expected}"
                in marked(stream).get(after.position or 0, "")
            ),
        )
        assert list(marked(stream)) == [after.position]
        assert app.is_running
