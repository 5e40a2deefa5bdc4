"""The bank's JSON, exactly as cqrs-es (serde, externally tagged) writes and reads it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tui_es.domains.bank import (
    DOMAIN,
    AccountOpened,
    BankAccount,
    BankAccountServices,
    CustomerDepositedMoney,
    CustomerWithdrewCash,
    CustomerWroteCheck,
    DepositMoney,
    OpenAccount,
    WithdrawMoney,
    WriteCheck,
)
from tui_es.domains.bank.commands import COMMANDS
from tui_es.domains.bank.events import EVENTS
from tui_es.domains.bank.services import MockBankAccountServices
from tui_es.es import (
    Application,
    DeserializationError,
    EventCodec,
    InMemoryEventStore,
    InvalidMessage,
    SerializedEvent,
    UserError,
)
from tui_es.es.testing import TestFramework


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# -- events ---------------------------------------------------------------------------

EVENT_JSON = [
    (
        AccountOpened(account_id="test-acct-1234"),
        '{"AccountOpened":{"account_id":"test-acct-1234"}}',
        "1.0",
    ),
    (
        CustomerDepositedMoney(amount=1000.0, balance=1000.0),
        '{"CustomerDepositedMoney":{"amount":1000.0,"balance":1000.0}}',
        "1.0",
    ),
    (
        CustomerWithdrewCash(amount=400.0, balance=600.0, atm_id="ATM-N468290"),
        '{"CustomerWithdrewCash":{"amount":400.0,"balance":600.0,"atm_id":"ATM-N468290"}}',
        "2.0",
    ),
    (
        CustomerWroteCheck(check_number="1170", amount=256.28, balance=343.72),
        '{"CustomerWroteCheck":{"check_number":"1170","amount":256.28,"balance":343.72}}',
        "1.0",
    ),
]


@pytest.mark.parametrize(("event", "text", "version"), EVENT_JSON)
def test_event_json_is_externally_tagged(event: Any, text: str, version: str) -> None:
    assert compact(event.to_tagged()) == text
    assert compact(EVENTS.encode(event)) == text
    assert event.event_type == next(iter(json.loads(text)))
    assert event.event_version == version
    assert EVENTS.decode(json.loads(text)) == event


@pytest.mark.parametrize(("event", "text", "version"), EVENT_JSON)
def test_codec_serializes_the_row_columns(event: Any, text: str, version: str) -> None:
    codec = EventCodec([BankAccount], DOMAIN.upcasters)
    row = codec.serialize("account", "test-acct-1234", 3, event, {"uri": "/account/x"})
    assert row.aggregate_type == "account"
    assert row.aggregate_id == "test-acct-1234"
    assert row.sequence == 3
    assert row.event_type == type(event).__name__
    assert row.event_version == version
    assert compact(row.payload) == text
    assert row.metadata == {"uri": "/account/x"}
    assert codec.decode(row).payload == event


def test_withdrawal_without_atm_serializes_null() -> None:
    event = CustomerWithdrewCash(amount=1.0, balance=2.0)
    assert compact(event.to_tagged()) == (
        '{"CustomerWithdrewCash":{"amount":1.0,"balance":2.0,"atm_id":null}}'
    )


# -- commands as cqrs-demo's curl scripts send them -------------------------------------------

DEMO_COMMANDS = [
    ('{"OpenAccount": {"account_id": "test-acct-123"}}', OpenAccount(account_id="test-acct-123")),
    ('{"DepositMoney":{"amount":1000.0}}', DepositMoney(amount=1000.0)),
    (
        '{"WithdrawMoney":{"atm_id":"ATM-N468290","amount":400.0}}',
        WithdrawMoney(amount=400.0, atm_id="ATM-N468290"),
    ),
    (
        '{"WriteCheck":{"check_number":"1170","amount":256.28}}',
        WriteCheck(check_number="1170", amount=256.28),
    ),
]


@pytest.mark.parametrize(("text", "command"), DEMO_COMMANDS)
def test_demo_command_bodies_parse(text: str, command: Any) -> None:
    assert COMMANDS.parse_json(text) == command
    aggregate, parsed = DOMAIN.parse_command(text)
    assert aggregate is BankAccount
    assert parsed == command
    app = Application(DOMAIN, InMemoryEventStore())
    assert app.parse_command(text) == ("account", command)


def test_command_json_round_trips_tagged() -> None:
    command = WithdrawMoney(amount=400.0, atm_id="ATM-N468290")
    assert compact(command.to_tagged()) == (
        '{"WithdrawMoney":{"amount":400.0,"atm_id":"ATM-N468290"}}'
    )


def test_a_whole_number_is_accepted_for_a_float_like_serde() -> None:
    assert COMMANDS.parse_json('{"DepositMoney":{"amount":1000}}') == DepositMoney(amount=1000.0)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('{"DepositMoney":{"amount":"1000.0"}}', ["DepositMoney.amount"]),
        ('{"DepositMoney":{"amount":true}}', ["DepositMoney.amount"]),
        ('{"WithdrawMoney":{"amount":400.0}}', ["WithdrawMoney.atm_id"]),
        ('{"WriteCheck":{"check_number":1170,"amount":1.0}}', ["WriteCheck.check_number"]),
        ('{"CloseAccount":{"account_id":"x"}}', ["CloseAccount"]),
        ('{"DepositMoney":{"amount":1.0,"currency":"EUR"}}', ["DepositMoney.currency"]),
        ('{"DepositMoney":{"amount":NaN}}', ["DepositMoney.amount"]),
        ('{"DepositMoney":{"amount":Infinity}}', ["DepositMoney.amount"]),
        ('{"DepositMoney":5}', ["DepositMoney", "JSON object"]),
        ('{"DepositMoney":[1000.0]}', ["DepositMoney", "JSON object"]),
        ("[1000.0]", ["JSON object"]),
        ("42", ["JSON object"]),
        ('{"DepositMoney":{"amount":1.0},"OpenAccount":{"account_id":"x"}}', ["exactly one key"]),
        ('{"DepositMoney":{"amount":1.0}', ["invalid JSON"]),
    ],
)
def test_invalid_commands_name_what_is_wrong(text: str, names: list[str]) -> None:
    with pytest.raises(InvalidMessage) as excinfo:
        COMMANDS.parse_json(text)
    for name in names:
        assert name in str(excinfo.value)
    with pytest.raises(InvalidMessage) as excinfo:
        DOMAIN.parse_command(text)
    for name in names:
        assert name in str(excinfo.value)


def test_invalid_command_text_commits_nothing() -> None:
    store = InMemoryEventStore()
    app = Application(DOMAIN, store)
    with pytest.raises(InvalidMessage, match=r"DepositMoney\.amount"):
        app.execute("acct", '{"DepositMoney":{"amount":"lots"}}')
    assert store.head_position() == 0


# -- the 1.0 -> 2.0 upcaster --------------------------------------------------------------


def stored_withdrawal_1_0(position: int | None = 7) -> SerializedEvent:
    return SerializedEvent(
        aggregate_type="account",
        aggregate_id="test-acct-1234",
        sequence=3,
        event_type="CustomerWithdrewCash",
        event_version="1.0",
        payload={"CustomerWithdrewCash": {"amount": 400.0, "balance": 600.0}},
        metadata={},
        position=position,
    )


def test_stored_1_0_withdrawal_decodes_with_atm_id_none() -> None:
    codec = EventCodec(DOMAIN.aggregates, DOMAIN.upcasters)
    envelope = codec.decode(stored_withdrawal_1_0())
    assert envelope.payload == CustomerWithdrewCash(amount=400.0, balance=600.0, atm_id=None)
    assert envelope.event_version == "2.0.0"
    assert envelope.sequence == 3
    assert envelope.position == 7
    upcast, applied = codec.upcast(stored_withdrawal_1_0())
    assert applied == ["CustomerWithdrewCash -> 2.0.0"]
    assert upcast.payload == {
        "CustomerWithdrewCash": {"amount": 400.0, "balance": 600.0, "atm_id": None}
    }


def test_stored_1_0_withdrawal_without_upcaster_is_refused() -> None:
    codec = EventCodec(DOMAIN.aggregates)  # no upcasters
    with pytest.raises(DeserializationError, match=r"position 7"):
        codec.decode(stored_withdrawal_1_0())


def test_stored_2_0_withdrawal_is_not_upcast() -> None:
    codec = EventCodec(DOMAIN.aggregates, DOMAIN.upcasters)
    row = SerializedEvent(
        "account",
        "a",
        1,
        "CustomerWithdrewCash",
        "2.0",
        {"CustomerWithdrewCash": {"amount": 1.0, "balance": 0.0, "atm_id": "ATM-1"}},
        {},
    )
    assert codec.upcast(row) == (row, [])
    assert codec.decode(row).payload.atm_id == "ATM-1"


def test_an_old_log_loads_through_the_upcaster() -> None:
    store = InMemoryEventStore()
    codec = EventCodec(DOMAIN.aggregates, DOMAIN.upcasters)
    rows = [
        codec.serialize("account", "old", 1, AccountOpened(account_id="old"), {}),
        codec.serialize("account", "old", 2, CustomerDepositedMoney(amount=10.0, balance=10.0), {}),
        SerializedEvent(
            "account",
            "old",
            3,
            "CustomerWithdrewCash",
            "1.0",
            {"CustomerWithdrewCash": {"amount": 4.0, "balance": 6.0}},
            {},
        ),
    ]
    with store.transaction() as tx:
        tx.append(rows)
    app = Application(DOMAIN, store)
    context = app.load("old")
    assert context.aggregate.state_json() == {"account_id": "old", "balance": 6.0}
    assert context.sequence == 3
    view = store.load_view("account_query", "old")
    assert view is not None
    assert view.payload["ledger"][-1] == {"description": "atm withdrawal", "amount": 4.0}
    # the stored row is never rewritten
    assert store.load_events("account", "old")[2].event_version == "1.0"


# -- cqrs-demo's curl scenario (curl/test_api.sh) -----------------------------------------

CURL = [
    '{"OpenAccount": {"account_id": "test-acct-1234"}}',
    '{"DepositMoney":{"amount":1000.0}}',
    '{"WithdrawMoney":{"atm_id":"ATM-N468290","amount":400.0}}',
    '{"WriteCheck":{"check_number":"1170","amount":256.28}}',
]

VIEW_JSON = (
    '{"account_id":"test-acct-1234","balance":343.72,"written_checks":["1170"],'
    '"ledger":[{"description":"deposit","amount":1000.0},'
    '{"description":"atm withdrawal","amount":400.0},'
    '{"description":"1170","amount":256.28}]}'
)


def test_curl_scenario_view_and_state() -> None:
    store = InMemoryEventStore()
    app = Application(DOMAIN, store)
    metadata = {"uri": "/account/test-acct-1234", "User-Agent": "curl/8.5.0"}
    for body in CURL:
        app.execute("test-acct-1234", body, metadata)

    row = store.load_view("account_query", "test-acct-1234")
    assert row is not None
    assert compact(row.payload) == VIEW_JSON
    assert row.version == 4

    context = app.load("test-acct-1234")
    assert compact(context.aggregate.state_json()) == (
        '{"account_id":"test-acct-1234","balance":343.72}'
    )
    assert context.sequence == 4

    stored = store.load_events("account", "test-acct-1234")
    assert [compact(e.payload) for e in stored] == [text for _, text, _ in EVENT_JSON]
    assert [e.event_version for e in stored] == ["1.0", "1.0", "2.0", "1.0"]
    assert [e.sequence for e in stored] == [1, 2, 3, 4]
    for event in stored:
        assert event.metadata["uri"] == "/account/test-acct-1234"
        assert event.metadata["User-Agent"] == "curl/8.5.0"


# -- services -----------------------------------------------------------------------------


def funded_app(services: Any) -> tuple[Application, InMemoryEventStore]:
    store = InMemoryEventStore()
    app = Application(DOMAIN, store, services=services)
    app.execute("acct", OpenAccount(account_id="acct"))
    app.execute("acct", DepositMoney(amount=500.0))
    return app, store


def test_rejected_atm_withdrawal() -> None:
    app, store = funded_app(BankAccountServices(reject_atm_withdrawals=True))
    head = store.head_position()
    with pytest.raises(UserError) as excinfo:
        app.execute("acct", WithdrawMoney(amount=10.0, atm_id="ATM-1"))
    assert str(excinfo.value) == "atm rule violation"
    assert store.head_position() == head
    # checks still work
    app.execute("acct", WriteCheck(check_number="1", amount=10.0))
    assert app.load("acct").aggregate.balance == 490.0


def test_rejected_check() -> None:
    app, store = funded_app(BankAccountServices(reject_checks=True))
    head = store.head_position()
    with pytest.raises(UserError) as excinfo:
        app.execute("acct", WriteCheck(check_number="1", amount=10.0))
    assert str(excinfo.value) == "check invalid"
    assert store.head_position() == head
    app.execute("acct", WithdrawMoney(amount=10.0, atm_id="ATM-1"))
    assert app.load("acct").aggregate.balance == 490.0


class SpyServices:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def atm_withdrawal(self, atm_id: str, amount: float) -> None:
        self.calls.append(("atm_withdrawal", atm_id))

    def validate_check(self, account_id: str, check_number: str) -> None:
        self.calls.append(("validate_check", check_number))


@pytest.mark.parametrize(
    "command",
    [WithdrawMoney(amount=500.01, atm_id="ATM-1"), WriteCheck(check_number="9", amount=500.01)],
)
def test_funds_are_checked_before_the_service_is_called(command: Any) -> None:
    # The mock fails any call made without a response set: it must not be called.
    TestFramework(BankAccount, MockBankAccountServices()).given(
        [CustomerDepositedMoney(amount=500.0, balance=500.0)]
    ).when(command).then_expect_error_message("funds not available")

    spy = SpyServices()
    app, store = funded_app(spy)
    with pytest.raises(UserError, match=r"^funds not available$"):
        app.execute("acct", command)
    assert spy.calls == []
    assert store.head_position() == 2


def test_services_receive_the_command_values() -> None:
    spy = SpyServices()
    app, _ = funded_app(spy)
    app.execute("acct", WithdrawMoney(amount=5.0, atm_id="ATM-7"))
    app.execute("acct", WriteCheck(check_number="1170", amount=5.0))
    assert spy.calls == [("atm_withdrawal", "ATM-7"), ("validate_check", "1170")]
