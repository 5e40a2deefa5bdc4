"""Invalid values in the Commands pane are named where they were typed, and never sent.

Representative bad values, each tried with Execute (ctrl+s) in one session:
in the form (numbers that are not numbers, or not finite, a missing field, a
missing aggregate id, metadata without a key or with a key twice) and in raw
JSON mode (broken JSON, an unknown command, an unknown or mistyped field, a
non-finite number, a body that is not an object, a lone surrogate). Each shows
its problem next to the field (or under the JSON), the outcome says "invalid",
and the head of the log does not move; a valid command afterwards commits.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from tests.tui.dashboard_support import PaneHost, settle
from tui_es.es.application import Application
from tui_es.tui.commands import CommandsPane
from tui_es.tui.commands.metadata import MetadataEditor
from tui_es.tui.commands.outcome import Outcome

ACCOUNT = "ACCT-3bafb51f"

FORM_CASES = [
    # (command, field values, the field whose error shows, words of the error)
    ("DepositMoney", {"amount": "abc"}, "amount", "'abc' is not a number"),
    ("DepositMoney", {"amount": "1,5"}, "amount", "not a number"),
    ("DepositMoney", {"amount": "nan"}, "amount", "finite"),
    ("DepositMoney", {"amount": "-inf"}, "amount", "finite"),
    ("DepositMoney", {"amount": "1e999"}, "amount", "finite"),
    ("DepositMoney", {"amount": ""}, "amount", "required"),
    ("WithdrawMoney", {"amount": "5", "atm_id": ""}, "atm_id", "required"),
    ("WriteCheck", {"check_number": "12", "amount": "--3"}, "amount", "not a number"),
]
JSON_CASES = [
    # (raw JSON, words of the error under it)
    ('{"DepositMoney": {"amount": }}', "invalid JSON at line 1"),
    ('{"DepositMoney": {"amount": 1.0}', "invalid JSON"),
    ('{"Deposit": {"amount": 1.0}}', "unknown command 'Deposit'"),
    ('{"DepositMoney": {"amount": 1.0, "memo": "x"}}', "DepositMoney.memo"),
    ('{"DepositMoney": {"amount": "1.0"}}', "DepositMoney.amount"),
    ('{"DepositMoney": {"amount": NaN}}', "finite"),
    ('{"DepositMoney": {"amount": 1e999}}', "finite"),
    ('{"DepositMoney": [1.0]}', "must be a JSON object"),
    ('{"DepositMoney": {}, "WriteCheck": {}}', "exactly one key"),
    ('{"OpenAccount": {"account_id": "\\udc00"}}', "lone surrogate"),
    ("[]", "exactly one key"),
    ("", "invalid JSON"),
]


async def execute(pilot: Pilot[None]) -> Outcome:
    await pilot.press("ctrl+s")
    await settle(pilot)
    return pilot.app.query_one(Outcome)


async def test_bad_form_values_are_shown_and_not_sent(demo_app: Application) -> None:
    head = demo_app.store.head_position()
    host = PaneHost(demo_app, lambda a: CommandsPane(a, id="commands"))
    async with host.run_test(size=(100, 40)) as pilot:
        pane = pilot.app.query_one(CommandsPane)
        pane.query_one("#aggregate-id", Input).value = ACCOUNT
        for command, values, field, words in FORM_CASES:
            pane.query_one("#command-name", Select).value = command
            await settle(pilot)
            for name, text in values.items():
                widget = pane.form.input_for(name)
                assert isinstance(widget, Input)
                widget.value = text
            outcome = await execute(pilot)
            assert outcome.status == "invalid", (command, values)
            assert words in pane.form.error_for(field), (
                command,
                values,
                pane.form.error_for(field),
            )
            assert pane.form.input_for(field).has_class("-invalid")
            assert demo_app.store.head_position() == head

        # a missing aggregate id, and metadata that cannot be sent
        pane.query_one("#command-name", Select).value = "DepositMoney"
        await settle(pilot)
        amount = pane.form.input_for("amount")
        assert isinstance(amount, Input)
        amount.value = "5"
        pane.query_one("#aggregate-id", Input).value = "  "
        outcome = await execute(pilot)
        assert outcome.status == "invalid"
        assert "required" in str(pane.query_one("#aggregate-id-error", Static).content)
        pane.query_one("#aggregate-id", Input).value = ACCOUNT
        editor = pane.query_one(MetadataEditor)
        for entries, words in (
            ([("", "orphan")], "has no key"),
            ([("channel", "a"), ("channel", "b")], "given twice"),
        ):
            await editor.set_entries({})
            for key, value in entries:
                await editor.add_entry(key, value, focus=False)
            outcome = await execute(pilot)
            assert outcome.status == "invalid" and words in str(outcome.message.content)
            assert demo_app.store.head_position() == head

        # once it is all right, it goes through
        await editor.set_entries({"channel": "branch"})
        outcome = await execute(pilot)
        assert outcome.status == "committed", str(outcome.message.content)
        assert demo_app.store.head_position() == head + 1


async def test_bad_raw_json_is_shown_and_not_sent(demo_app: Application) -> None:
    head = demo_app.store.head_position()
    host = PaneHost(demo_app, lambda a: CommandsPane(a, id="commands"))
    async with host.run_test(size=(100, 40)) as pilot:
        pane = pilot.app.query_one(CommandsPane)
        pane.query_one("#json-mode", Checkbox).value = True
        await settle(pilot)
        pane.query_one("#aggregate-id", Input).value = ACCOUNT
        body = pane.query_one("#json-body", TextArea)
        error = pane.query_one("#json-error", Static)
        for text, words in JSON_CASES:
            body.text = text
            await pilot.pause()
            assert str(error.content).startswith("↳ ") and words in str(error.content), text
            outcome = await execute(pilot)
            assert outcome.status == "invalid", text
            assert words in str(outcome.message.content), text
            assert demo_app.store.head_position() == head

        body.text = '{"DepositMoney": {"amount": 2.5}}'
        await pilot.pause()
        assert str(error.content) == "✓ DepositMoney"
        outcome = await execute(pilot)
        assert outcome.status == "committed"
        assert demo_app.store.head_position() == head + 1


BAD_IDS = [
    # (aggregate id, words of the error under the Id field): the CLI's rule, key_problem
    ("A" * 256, "the id is 256 characters long, at most 255 can be stored"),
    ("ACCT\x00x", "the id contains a NUL character"),
]


async def test_an_id_no_store_can_hold_is_refused_in_both_modes(demo_app: Application) -> None:
    head = demo_app.store.head_position()
    count = demo_app.store.count_events()
    host = PaneHost(demo_app, lambda a: CommandsPane(a, id="commands"))
    async with host.run_test(size=(100, 40)) as pilot:
        pane = pilot.app.query_one(CommandsPane)
        pane.query_one("#command-name", Select).value = "OpenAccount"
        await settle(pilot)
        account = pane.form.input_for("account_id")
        assert isinstance(account, Input)
        account.value = "new-account"
        id_input = pane.query_one("#aggregate-id", Input)
        id_error = pane.query_one("#aggregate-id-error", Static)
        for json_mode in (False, True):
            pane.query_one("#json-mode", Checkbox).value = json_mode
            await settle(pilot)
            for aggregate_id, words in BAD_IDS:
                id_input.value = aggregate_id
                await pilot.pause()
                # shown as it is typed, like the other fields' errors
                assert words in str(id_error.content), (json_mode, str(id_error.content))
                outcome = await execute(pilot)
                assert outcome.status == "invalid", (json_mode, aggregate_id)
                assert words.replace("the id", "the aggregate id") in str(
                    outcome.message.content
                ), str(outcome.message.content)
                assert id_error.display and id_input.has_class("-invalid")
                assert str(pane.query_one("#aggregate-status", Static).content) == ""
                assert demo_app.store.head_position() == head
                assert demo_app.store.count_events() == count
                assert pilot.app.is_running

            # an id of 255 characters is fine, and the error goes away as it is typed
            id_input.value = "B" * 254 + str(int(json_mode))
            await pilot.pause()
            assert not id_error.display and not id_input.has_class("-invalid")
            outcome = await execute(pilot)
            assert outcome.status == "committed", str(outcome.message.content)
            head, count = head + 1, count + 1
            assert demo_app.store.count_events() == count
