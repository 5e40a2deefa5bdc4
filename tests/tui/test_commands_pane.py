"""The Commands pane: forms from the schema, raw JSON, metadata, history, outcomes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from tests.tui.dashboard_support import PaneHost, demo_application, settle, wait_until
from tui_es.es.application import Application
from tui_es.tui.app import Dashboard
from tui_es.tui.commands import CommandsPane
from tui_es.tui.commands.metadata import MetadataEditor
from tui_es.tui.commands.outcome import Outcome
from tui_es.tui.commands.suggest import AggregateIdSuggester
from tui_es.tui.messages import EventsCommitted, ShowAggregate, ShowPosition

ACCOUNT = "ACCT-3bafb51f"  # in the demo history: 14 events, balance 908.41


def host(app: Application) -> PaneHost:
    return PaneHost(app, lambda a: CommandsPane(a, id="commands"))


def pane_of(pilot: Pilot[None]) -> CommandsPane:
    return pilot.app.query_one(CommandsPane)


async def fill(pilot: Pilot[None], aggregate_id: str, command: str, **fields: str) -> CommandsPane:
    pane = pane_of(pilot)
    pane.query_one("#aggregate-id", Input).value = aggregate_id
    pane.query_one("#command-name", Select).value = command
    await settle(pilot)
    for name, text in fields.items():
        widget = pane.form.input_for(name)
        assert isinstance(widget, Input)
        widget.value = text
    await pilot.pause()
    return pane


async def execute(pilot: Pilot[None]) -> Outcome:
    await pilot.press("ctrl+s")
    await settle(pilot)
    return pane_of(pilot).query_one(Outcome)


def balance(app: Application, account: str) -> float:
    row = app.store.load_view("account_query", account)
    assert row is not None
    return float(row.payload["balance"])


async def test_form_command_is_committed_and_shown(demo_app: Application) -> None:
    before = balance(demo_app, ACCOUNT)
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await fill(pilot, ACCOUNT, "DepositMoney", amount="250.5")
        outcome = await execute(pilot)

        assert demo_app.store.head_position() == 85
        assert balance(demo_app, ACCOUNT) == pytest.approx(before + 250.5)
        assert outcome.status == "committed"
        assert "Committed 1 event to account ACCT-3bafb51f" in str(outcome.message.content)
        row = outcome.events.get_row_at(0)
        assert row[:3] == ["85", "15", "CustomerDepositedMoney"]
        assert row[3].startswith("amount=250.5 balance=")
        assert await wait_until(pilot, lambda: pilot.app.head == 85)


async def test_committed_events_are_posted_and_can_be_followed(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        await fill(pilot, ACCOUNT, "DepositMoney", amount="10")
        outcome = await execute(pilot)
        app = pilot.app
        assert isinstance(app, PaneHost)
        committed = [m for m in app.received if isinstance(m, EventsCommitted)]
        assert [e.position for e in committed[0].envelopes] == [85]

        outcome.events.focus()
        await pilot.press("enter")
        await pilot.press("t")
        await pilot.pause()
        assert ShowPosition(85) in app.received
        assert ShowAggregate("account", ACCOUNT, 15) in app.received


async def test_rejected_command_shows_the_domain_error_and_writes_nothing(
    demo_app: Application,
) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        await fill(pilot, ACCOUNT, "WithdrawMoney", amount="1000000", atm_id="ATM-1")
        outcome = await execute(pilot)

        assert outcome.status == "rejected"
        assert "funds not available" in str(outcome.message.content)
        assert "Nothing was written" in str(outcome.message.content)
        assert demo_app.store.head_position() == 84
        assert not outcome.events.display


async def test_text_in_a_number_field_is_refused_as_you_type(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, ACCOUNT, "DepositMoney")
        amount = pane.form.input_for("amount")
        amount.focus()
        await pilot.press("a", "b", "c")

        assert pane.form.error_for("amount") == "↳ 'abc' is not a number"
        assert amount.has_class("-invalid")
        outcome = await execute(pilot)
        assert outcome.status == "invalid"
        assert demo_app.store.head_position() == 84

        amount.focus()
        await pilot.press("backspace", "backspace", "backspace", "1", "2")
        assert pane.form.error_for("amount") == ""
        assert not amount.has_class("-invalid")


async def test_missing_fields_are_reported_on_execute(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, "", "WriteCheck", amount="5")
        outcome = await execute(pilot)

        assert outcome.status == "invalid"
        assert "the aggregate id is missing" in str(outcome.message.content)
        assert pane.form.error_for("check_number") == "↳ required"
        assert "required" in str(pane.query_one("#aggregate-id-error", Static).content)
        assert demo_app.store.head_position() == 84


@pytest.mark.parametrize(
    ("aggregate_id", "body", "event_type"),
    [
        ("ACCT-NEW-0001", '{"OpenAccount": {"account_id": "ACCT-NEW-0001"}}', "AccountOpened"),
        (ACCOUNT, '{"DepositMoney": {"amount": 1000.0}}', "CustomerDepositedMoney"),
        (
            ACCOUNT,
            '{"WithdrawMoney": {"amount": 200.0, "atm_id": "ATM34f1ba3c"}}',
            "CustomerWithdrewCash",
        ),
        (
            ACCOUNT,
            '{"WriteCheck": {"check_number": "1170", "amount": 256.28}}',
            "CustomerWroteCheck",
        ),
    ],
)
async def test_raw_json_takes_cqrs_demo_bodies(
    demo_app: Application, aggregate_id: str, body: str, event_type: str
) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = pane_of(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert pane.json_mode
        pane.query_one("#aggregate-id", Input).value = aggregate_id
        pane.query_one("#json-body", TextArea).text = body
        await pilot.pause()
        outcome = await execute(pilot)

        assert outcome.status == "committed", outcome.message.content
        stored = demo_app.store.read_events(after_position=84)
        assert [(e.aggregate_id, e.event_type) for e in stored] == [(aggregate_id, event_type)]


async def test_invalid_json_names_the_position_and_writes_nothing(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = pane_of(pilot)
        pane.query_one("#json-mode", Checkbox).value = True
        await settle(pilot)
        pane.query_one("#aggregate-id", Input).value = ACCOUNT
        pane.query_one("#json-body", TextArea).text = '{"DepositMoney": {"amount": }}'
        await pilot.pause()

        error = str(pane.query_one("#json-error", Static).content)
        assert "invalid JSON at line 1, column 29" in error
        outcome = await execute(pilot)
        assert outcome.status == "invalid"
        assert "line 1, column 29" in str(outcome.message.content)

        pane.query_one("#json-body", TextArea).text = '{"DepositMoney": {"amount": "ten"}}'
        await pilot.pause()
        error = str(pane.query_one("#json-error", Static).content)
        assert "DepositMoney.amount" in error
        assert demo_app.store.head_position() == 84


async def test_switching_between_form_and_json_carries_the_command(
    demo_app: Application,
) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, ACCOUNT, "DepositMoney", amount="12.5")
        await pilot.press("ctrl+t")
        await settle(pilot)
        body = pane.query_one("#json-body", TextArea)
        assert body.text == '{"DepositMoney": {"amount": 12.5}}'

        body.text = '{"WithdrawMoney": {"amount": 99, "atm_id": "ATM-9"}}'
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not pane.json_mode
        assert pane.form.model.type_name() == "WithdrawMoney"
        assert pane.form.raw_values() == {"amount": "99.0", "atm_id": "ATM-9"}
        assert pane.query_one("#command-name", Select).value == "WithdrawMoney"


async def test_metadata_entries_land_in_the_events(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, ACCOUNT, "DepositMoney", amount="1")
        editor = pane.query_one(MetadataEditor)
        await pilot.click("#metadata-add")
        await pilot.press(*"channel")
        await pilot.press("tab", *"branch")
        await editor.add_entry("correlation_id", "visit-42", focus=False)
        await pilot.pause()
        assert editor.entries() == ({"channel": "branch", "correlation_id": "visit-42"}, None)
        await execute(pilot)

        (event,) = demo_app.store.read_events(after_position=84)
        assert event.metadata["channel"] == "branch"
        assert event.metadata["correlation_id"] == "visit-42"
        assert event.metadata["causation_id"] == event.metadata["command_id"]


async def test_bad_metadata_is_not_sent(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, ACCOUNT, "DepositMoney", amount="1")
        editor = pane.query_one(MetadataEditor)
        await editor.add_entry("channel", "a", focus=False)
        await editor.add_entry("channel", "b", focus=False)
        outcome = await execute(pilot)

        assert outcome.status == "invalid"
        assert "the key 'channel' is given twice" in str(outcome.message.content)
        assert demo_app.store.head_position() == 84

        remove = editor.rows[1].query_one(".metadata-remove", Button)
        await pilot.click(remove)
        await pilot.pause()
        assert editor.entries() == ({"channel": "a"}, None)


async def test_recent_commands_are_recalled_and_run_again(demo_app: Application) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, ACCOUNT, "DepositMoney", amount="7.25")
        await pane.query_one(MetadataEditor).add_entry("channel", "atm", focus=False)
        await execute(pilot)
        await fill(pilot, "ACCT-other", "WriteCheck", check_number="1", amount="3")
        await pane.query_one(MetadataEditor).set_entries({})

        recent = pane.query_one("#recent", Select)
        recent.value = 0
        await settle(pilot)
        assert pane.query_one("#aggregate-id", Input).value == ACCOUNT
        assert pane.form.model.type_name() == "DepositMoney"
        assert pane.form.raw_values() == {"amount": "7.25"}
        assert pane.query_one(MetadataEditor).entries() == ({"channel": "atm"}, None)
        assert recent.value == Select.NULL

        await pane.execute_recent(0)
        await settle(pilot)
        assert demo_app.store.head_position() == 86
        assert len(pane.history) == 1


async def test_id_completion_and_status_come_from_the_store(demo_app: Application) -> None:
    suggester = AggregateIdSuggester(demo_app.store, lambda: "account")
    assert await suggester.get_suggestion("ACCT-3b") == ACCOUNT
    assert await suggester.get_suggestion("nobody") is None

    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = pane_of(pilot)
        pane.query_one("#aggregate-id", Input).value = ACCOUNT
        await settle(pilot)
        status = pane.query_one("#aggregate-status", Static)
        assert str(status.content) == "version 14"
        pane.query_one("#aggregate-id", Input).value = "ACCT-brand-new"
        await settle(pilot)
        assert str(status.content) == "new"


async def test_read_only_store_offers_no_execute(tmp_path: Path) -> None:
    application = demo_application(tmp_path, read_only=True)
    async with host(application).run_test(size=(100, 40)) as pilot:
        pane = pane_of(pilot)
        assert not pane.query(Button).filter("#execute")
        notice = pane.query_one("#read-only-notice", Static)
        assert str(notice.content) == "Read-only store: no Execute"
        await fill(pilot, ACCOUNT, "DepositMoney", amount="1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert application.store.head_position() == 84
        assert pane.query_one(Outcome).status == "hint"


async def test_after_opening_an_account_the_form_moves_on_to_a_deposit(
    demo_app: Application,
) -> None:
    # cqrs-demo's OpenAccount, sent again, records a second AccountOpened for an open account.
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, "test-acct-1", "OpenAccount", account_id="test-acct-1")
        pane.form.input_for("account_id").focus()  # type: ignore[union-attr]
        outcome = await execute(pilot)
        assert outcome.status == "committed"
        assert "account test-acct-1 exists now: the form moved on to DepositMoney." in str(
            outcome.message.content
        )
        assert pane.form.model.type_name() == "DepositMoney"
        assert pane.query_one("#command-name", Select).value == "DepositMoney"
        assert pane.query_one("#aggregate-id", Input).value == "test-acct-1"
        assert pilot.app.focused is pane.form.input_for("amount")
        await pilot.press(*"25", "ctrl+s")
        await settle(pilot)
        stored = demo_app.store.read_events(after_position=84)
        assert [(e.aggregate_id, e.event_type) for e in stored] == [
            ("test-acct-1", "AccountOpened"),
            ("test-acct-1", "CustomerDepositedMoney"),
        ]
        # the form stays on the command the user chose after that
        assert pane.form.model.type_name() == "DepositMoney"


async def test_after_opening_an_account_in_raw_json_the_json_moves_on(
    demo_app: Application,
) -> None:
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = pane_of(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        pane.query_one("#aggregate-id", Input).value = "test-acct-2"
        body = pane.query_one("#json-body", TextArea)
        body.text = '{"OpenAccount": {"account_id": "test-acct-2"}}'
        await pilot.pause()
        outcome = await execute(pilot)
        assert outcome.status == "committed"
        assert pane.json_mode and body.text == '{"DepositMoney": {"amount": 0.0}}'
        assert pane.query_one("#command-name", Select).value == "DepositMoney"


async def test_opening_an_account_whose_id_was_changed_meanwhile_leaves_the_form(
    demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    trace = demo_app.trace

    def held(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(30)
        return trace(*args, **kwargs)

    monkeypatch.setattr(demo_app, "trace", held)
    async with host(demo_app).run_test(size=(100, 40)) as pilot:
        pane = await fill(pilot, "test-acct-3", "OpenAccount", account_id="test-acct-3")
        await pilot.press("ctrl+s")
        pane.query_one("#aggregate-id", Input).value = "test-acct-4"  # the next one, meanwhile
        gate.set()
        await settle(pilot)
        assert pane.query_one(Outcome).status == "committed"
        assert pane.form.model.type_name() == "OpenAccount"


async def test_choosing_a_command_by_keyboard_goes_on_to_its_first_field(
    demo_app: Application,
) -> None:
    """The README's keystrokes: type the id, Tab, pick DepositMoney, type the amount, ctrl+s."""
    async with Dashboard(demo_app).run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = pane_of(pilot)
        pane.query_one("#aggregate-id", Input).focus()
        await pilot.press(*ACCOUNT, "tab")
        assert pilot.app.focused is pane.query_one("#command-name", Select)
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert pane.query_one("#command-name", Select).value == "DepositMoney"
        assert pilot.app.focused is pane.form.input_for("amount")
        await pilot.press(*"50")
        outcome = await execute(pilot)
        assert outcome.status == "committed"
        deposited = demo_app.store.load_events("account", ACCOUNT)[-1].payload
        assert deposited["CustomerDepositedMoney"]["amount"] == 50.0
        assert deposited["CustomerDepositedMoney"]["balance"] == pytest.approx(958.41)
