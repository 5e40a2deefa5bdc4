"""Importing JSON Lines: all or nothing, every problem named with its line number.

The imports run on every store (see conftest.py); the file to import is
exported from a memory store once, when the module loads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from stores import StoreFactory

from tui_es.domains.bank import (
    DOMAIN,
    DepositMoney,
    OpenAccount,
    WithdrawMoney,
    WriteCheck,
)
from tui_es.es import Application, EventStore, InMemoryEventStore
from tui_es.es.importing import InvalidImport, validate_lines


def exported_lines() -> list[str]:
    """A history exported from another store, one JSON envelope per line."""
    store = InMemoryEventStore()
    app = Application(DOMAIN, store)
    for account in ("acct-1", "acct-2"):
        app.execute(account, OpenAccount(account_id=account), {"uri": f"/account/{account}"})
        app.execute(account, DepositMoney(amount=1000.0))
    app.execute("acct-1", WithdrawMoney(amount=400.0, atm_id="ATM-N468290"))
    app.execute("acct-2", WriteCheck(check_number="1170", amount=256.28))
    return [json.dumps(e.to_json_dict()) for e in store.read_events()]


LINES = exported_lines()


Fresh = tuple[Application, EventStore]


@pytest.fixture
def fresh(new_store: StoreFactory) -> Fresh:
    """The bank domain on an empty store of each kind."""
    store = new_store()
    return Application(DOMAIN, store), store


def test_a_good_file_imports_everything(fresh: Fresh) -> None:
    app, store = fresh
    committed = app.import_lines(LINES)
    assert len(committed) == len(LINES) == 6
    assert [e.position for e in committed] == [1, 2, 3, 4, 5, 6]
    source = [json.loads(line) for line in LINES]
    for row, original in zip(store.read_events(), source, strict=True):
        assert row.to_json_dict() == original
    assert app.load("acct-1").aggregate.state_json() == {"account_id": "acct-1", "balance": 600.0}
    assert app.load("acct-2").aggregate.balance == 743.72
    view = store.load_view("account_query", "acct-2")
    assert view is not None and view.payload["written_checks"] == ["1170"]
    assert store.checkpoints()["account_query"] == 6
    assert app.import_lines([]) == []
    assert app.import_lines(["", "   "]) == []


def test_blank_lines_are_skipped_but_counted(fresh: Fresh) -> None:
    app, _ = fresh
    lines = ["", LINES[0], "  ", *LINES[1:]]
    assert len(app.import_lines(lines)) == 6
    bad = ["", "{broken"]
    with pytest.raises(InvalidImport, match=r"^line 2: "):
        app.import_lines(bad)


def test_an_import_continues_an_existing_stream(fresh: Fresh) -> None:
    app, _ = fresh
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    rest = [json.loads(line) for line in LINES[1:] if json.loads(line)["aggregate_id"] == "acct-1"]
    for row in rest:
        row["recorded_at"] = None  # recorded now, after the stored event
    committed = app.import_lines(json.dumps(row) for row in rest)
    assert [e.sequence for e in committed] == [2, 3]
    assert app.load("acct-1").aggregate.balance == 600.0


def test_an_import_may_not_go_back_in_time_within_a_stream(fresh: Fresh) -> None:
    app, store = fresh
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    rest = [json.loads(line) for line in LINES[1:] if json.loads(line)["aggregate_id"] == "acct-1"]
    rest[0]["recorded_at"] = "2001-01-01T00:00:00Z"
    head = store.head_position()
    with pytest.raises(
        InvalidImport, match=r"^line 1: recorded_at 2001-01-01T00:00:00\.000000\+00:00 is earlier"
    ):
        app.import_lines(json.dumps(row) for row in rest)
    assert store.head_position() == head


def test_position_in_the_file_is_not_kept(fresh: Fresh) -> None:
    app, _ = fresh
    app.execute("other", OpenAccount(account_id="other"))
    committed = app.import_lines(LINES)
    assert [e.position for e in committed] == [2, 3, 4, 5, 6, 7]


def test_a_1_0_withdrawal_imports_and_is_upcast(fresh: Fresh) -> None:
    app, store = fresh
    line = json.loads(LINES[4])
    assert line["event_type"] == "CustomerWithdrewCash"
    line["event_version"] = "1.0"
    del line["payload"]["CustomerWithdrewCash"]["atm_id"]
    lines = [*LINES[:4], json.dumps(line)]
    app.import_lines(lines)
    assert store.read_events()[4].event_version == "1.0"
    assert app.history("acct-1").envelopes[2].payload.atm_id is None


def edit(index: int, **changes: Any) -> list[str]:
    lines = list(LINES)
    obj = json.loads(lines[index])
    for key, value in changes.items():
        if value is DELETE:
            del obj[key]
        else:
            obj[key] = value
    lines[index] = json.dumps(obj)
    return lines


DELETE = object()
LAST = len(LINES) - 1  # 0-based index of the last line


def replaced(index: int, text: str) -> list[str]:
    lines = list(LINES)
    lines[index] = text
    return lines


def field(index: int, key: str) -> Any:
    return json.loads(LINES[index])[key]


BAD_FILES = [
    # (0-based index of the bad line, lines, what the message says)
    (LAST, replaced(LAST, '{"aggregate_type": "account",'), "invalid JSON"),
    (2, replaced(2, "[1, 2, 3]"), "JSON object"),
    (0, edit(0, payload=DELETE), "missing field 'payload'"),
    (LAST, edit(LAST, metadata=DELETE), "missing field 'metadata'"),
    (3, edit(3, extra="x"), "unknown field 'extra'"),
    (LAST, edit(LAST, sequence="3"), "sequence"),
    (1, edit(1, sequence=0), "sequence"),
    (1, edit(1, sequence=True), "sequence"),
    (2, edit(2, aggregate_id=""), "aggregate_id"),
    (2, edit(2, event_version=2), "event_version"),
    (4, edit(4, metadata={"n": 1}), "metadata"),
    (4, edit(4, payload="CustomerWithdrewCash"), "payload"),
    (4, edit(4, position="4"), "position"),
    # the payload does not match its event type
    (1, edit(1, payload={"CustomerDepositedMoney": {"amount": "1000"}}), "amount"),
    (LAST, edit(LAST, payload={"CustomerWroteCheck": {"amount": 1.0}}), "check_number"),
    (1, edit(1, payload={"AccountOpened": {"account_id": "x"}}), "AccountOpened"),
    # unknown event type, unknown aggregate type, unknown version
    (
        LAST,
        edit(LAST, event_type="AccountClosed", payload={"AccountClosed": {}}),
        "AccountClosed",
    ),
    (0, edit(0, aggregate_type="loan"), "loan"),
    (4, edit(4, event_version="3.0"), "3.0"),
    (1, edit(1, event_version="0.9"), "0.9"),
    (1, edit(1, event_version="one"), "one"),
    # sequences
    (LAST, edit(LAST, sequence=field(LAST, "sequence") + 1), "gap"),
    (2, edit(2, sequence=5), "gap"),
    (3, edit(3, aggregate_id="acct-9"), "gap"),
    (LAST, replaced(LAST, LINES[0]), "already exists"),  # a duplicate inside the file
    # recorded_at
    (LAST, edit(LAST, recorded_at="yesterday"), "recorded_at"),
    (2, edit(2, recorded_at="2030-01-01T00:00:00"), "recorded_at"),
    (2, edit(2, recorded_at=1234567890), "recorded_at"),
]


@pytest.mark.parametrize(("index", "lines", "fragment"), BAD_FILES)
def test_a_bad_line_is_named_and_nothing_is_written(
    index: int, lines: list[str], fragment: str, fresh: Fresh
) -> None:
    app, store = fresh
    app.execute("someone", OpenAccount(account_id="someone"))
    before = (store.read_events(), store.checkpoints(), store.view_rows("account_query"))
    with pytest.raises(InvalidImport) as excinfo:
        app.import_lines(lines)
    message = str(excinfo.value)
    assert message.startswith(f"line {index + 1}: "), message
    assert fragment in message
    assert (store.read_events(), store.checkpoints(), store.view_rows("account_query")) == before
    assert store.head_position() == 1
    with pytest.raises(InvalidImport, match=rf"^line {index + 1}: "):
        validate_lines(lines, app.codec, store)


def test_an_aggregate_type_with_a_line_break_is_quoted_in_the_message(fresh: Fresh) -> None:
    """Found by the CLI's fuzzing: a raw newline split the one-line error in two."""
    app, store = fresh
    with pytest.raises(InvalidImport) as excinfo:
        app.import_lines(edit(0, aggregate_type="\n"))
    message = str(excinfo.value)
    assert "\n" not in message, message
    assert message.startswith("line 1: '\\n' 'acct-1' sequence 1: unknown aggregate type"), message
    assert store.head_position() == 0


def test_re_importing_the_same_file_is_an_error(fresh: Fresh) -> None:
    app, store = fresh
    app.import_lines(LINES)
    before = store.read_events()
    with pytest.raises(InvalidImport, match=r"^line 1: .*already exists"):
        app.import_lines(LINES)
    assert store.read_events() == before
    assert store.head_position() == 6


def test_a_duplicate_of_a_stored_event_later_in_the_file(fresh: Fresh) -> None:
    app, store = fresh
    app.import_lines(LINES[:2])  # acct-1 sequences 1 and 2
    with pytest.raises(InvalidImport, match=r"^line 3: account 'acct-1' sequence 2 already exists"):
        app.import_lines([LINES[2], LINES[3], LINES[1]])  # acct-2's are fine, then a duplicate
    assert store.head_position() == 2


def test_validate_lines_writes_nothing(fresh: Fresh) -> None:
    app, store = fresh
    events = validate_lines(LINES, app.codec, store)
    assert len(events) == 6
    assert all(e.position is None for e in events)
    assert store.head_position() == 0


def test_recorded_at_is_kept_as_an_instant(fresh: Fresh) -> None:
    app, store = fresh
    lines = edit(0, recorded_at="2001-01-02T03:04:05Z")
    app.import_lines(lines)
    stored = datetime_of(store.read_events()[0].recorded_at)
    assert stored == datetime_of("2001-01-02T03:04:05+00:00")


def datetime_of(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("body", [5, [1, 2], "x", None])
def test_a_1_0_withdrawal_the_upcaster_cannot_read_is_a_bad_line(body: Any, fresh: Fresh) -> None:
    app, store = fresh
    line = json.loads(LINES[4])
    line["event_version"] = "1.0"
    line["payload"] = {"CustomerWithdrewCash": body}
    with pytest.raises(InvalidImport, match=r"^line 5: ") as excinfo:
        app.import_lines([*LINES[:4], json.dumps(line), LINES[5]])
    assert "CustomerWithdrewCash" in str(excinfo.value)
    assert store.head_position() == 0
