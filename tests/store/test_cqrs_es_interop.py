"""Opening a database that cqrs-es wrote: read-only as it is, then after upgrade-store."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from tests.cli_runner import Cli
from tests.store.cqrs_es_db import (
    DEMO_ACCOUNT,
    EXPECTED_ORDER,
    INSERT_EVENT,
    VIEW_ROWS,
    cqrs_es_row,
    create_cqrs_es_database,
    snapshot_of_everything,
)
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es import Application, ReadOnlyError
from tui_es.es.replay import AggregateHistory
from tui_es.store import SqlEventStore, StoreNeedsUpgrade
from tui_es.store.legacy import derive_order


@pytest.fixture
def cqrs_es_url(store_url: str) -> str:
    create_cqrs_es_database(store_url if "://" in store_url else f"sqlite:///{store_url}")
    return store_url


def test_read_only_browse_replay_and_views(cqrs_es_url: str) -> None:
    before = snapshot_of_everything(_sa(cqrs_es_url))
    store = SqlEventStore(cqrs_es_url, read_only=True)
    app = Application(DOMAIN, store)
    log = store.read_events()
    assert [(e.aggregate_type, e.aggregate_id, e.sequence) for e in log] == EXPECTED_ORDER
    assert [e.position for e in log] == list(range(1, 8))
    assert store.head_position() == 7
    assert log[1].recorded_at == "2024-05-01T12:34:56.123456+00:00"
    assert log[0].recorded_at is None
    # stored as cqrs-demo stores it, upcast on replay
    withdrawal = log[4]
    assert withdrawal.event_version == "1.0"
    assert withdrawal.payload == {"CustomerWithdrewCash": {"amount": 400.0, "balance": 600.0}}
    history = AggregateHistory.load(store, app.codec, "account", DEMO_ACCOUNT)
    assert history.envelopes[2].payload.atm_id is None  # type: ignore[attr-defined]
    assert history.envelopes[2].event_version == "2.0.0"
    state, version = app.state(DEMO_ACCOUNT)
    assert (version, state.state_json()) == (4, {"account_id": DEMO_ACCOUNT, "balance": 343.72})
    assert app.state(DEMO_ACCOUNT, version=2)[0].state_json()["balance"] == 1000.0
    assert app.state(DEMO_ACCOUNT, at="2024-05-01T12:36:30Z")[1] == 3
    row = store.load_view("account_query", DEMO_ACCOUNT)
    assert row is not None and row.payload == json.loads(VIEW_ROWS[0][2]) and row.version == 4
    assert store.view_count("account_query") == 2
    assert store.checkpoints() == {}
    from tui_es.es import EventFilter

    assert [e.sequence for e in store.read_events(filter=EventFilter(aggregate_id="ACCT-2"))] == [
        1,
        2,
    ]
    assert [e.position for e in store.read_events(after_position=2, limit=2)] == [3, 4]
    assert [e.position for e in store.read_events(limit=2, descending=True)] == [7, 6]
    assert store.count_events(EventFilter(event_type="AccountOpened")) == 2
    assert store.aggregate_ids("account") == ["ACCT-2", DEMO_ACCOUNT]
    with pytest.raises(ReadOnlyError):
        app.execute(DEMO_ACCOUNT, DepositMoney(amount=1.0))
    store.close()
    assert snapshot_of_everything(_sa(cqrs_es_url)) == before


def test_opening_for_writing_asks_for_an_upgrade(cqrs_es_url: str, cli: Cli) -> None:
    before = snapshot_of_everything(_sa(cqrs_es_url))
    with pytest.raises(StoreNeedsUpgrade, match="upgrade-store"):
        SqlEventStore(cqrs_es_url)
    result = cli("exec", DEMO_ACCOUNT, '{"DepositMoney":{"amount":1.0}}')
    assert result.code == 2 and "--read-only" in result.err and "upgrade-store" in result.err
    assert snapshot_of_everything(_sa(cqrs_es_url)) == before


def test_cli_reads_a_cqrs_es_database(cqrs_es_url: str, cli: Cli) -> None:
    events = cli("--read-only", "events").lines()
    assert [(e["aggregate_id"], e["sequence"]) for e in events] == [
        (i, s) for _, i, s in EXPECTED_ORDER
    ]
    state = json.loads(cli("--read-only", "state", DEMO_ACCOUNT).out)
    assert state["state"]["balance"] == 343.72 and state["version"] == 4
    assert cli("--read-only", "view", "account_query", DEMO_ACCOUNT).out.strip() == VIEW_ROWS[0][2]


def test_upgrade_then_both_kinds_of_writer(cqrs_es_url: str, cli: Cli) -> None:
    result = cli("upgrade-store")
    assert result.code == 0, result.err
    assert "numbered 7 events" in result.err
    again = cli("upgrade-store")
    assert again.code == 0 and "already upgraded" in again.err

    store = SqlEventStore(cqrs_es_url)
    app = Application(DOMAIN, store)
    log = store.read_events()
    assert [(e.aggregate_type, e.aggregate_id, e.sequence) for e in log] == EXPECTED_ORDER
    assert store.checkpoints()["account_query"] == 7

    # cqrs-es keeps writing, naming only its seven columns
    engine = create_engine(_sa(cqrs_es_url))
    with engine.begin() as conn:
        conn.execute(
            INSERT_EVENT,
            cqrs_es_row(
                "account",
                "ACCT-2",
                3,
                "CustomerWithdrewCash",
                "1.0",
                '{"CustomerWithdrewCash":{"amount":20.0,"balance":30.0}}',
                "2024-05-02T08:00:00+00:00",
            ),
        )
    engine.dispose()
    written = store.read_events(after_position=7)
    assert [(e.aggregate_id, e.sequence, e.position) for e in written] == [("ACCT-2", 3, 8)]
    assert written[0].recorded_at is not None and written[0].recorded_at.endswith("+00:00")

    # and tui-es writes after it, folding cqrs-es's event into the view on the way
    envelopes = app.execute("ACCT-2", DepositMoney(amount=5.0))
    assert [(e.sequence, e.position) for e in envelopes] == [(4, 9)]
    view = store.load_view("account_query", "ACCT-2")
    assert view is not None
    assert view.payload["balance"] == 35.0
    assert [entry["description"] for entry in view.payload["ledger"]] == [
        "deposit",
        "atm withdrawal",
        "deposit",
    ]
    assert store.checkpoints()["account_query"] == 9
    state, version = app.state("ACCT-2")
    assert (version, state.state_json()["balance"]) == (4, 35.0)
    # a cqrs-es writer that lost the race still gets its unique-key conflict
    engine = create_engine(_sa(cqrs_es_url))
    with pytest.raises(Exception, match=r"(?i)duplicate|unique"), engine.begin() as conn:
        conn.execute(
            INSERT_EVENT,
            cqrs_es_row("account", "ACCT-2", 4, "CustomerDepositedMoney", "1.0", "{}", ""),
        )
    engine.dispose()
    assert store.head_position() == 9
    store.close()


def test_derived_order_keeps_sequence_order_despite_clock_skew() -> None:
    rows = [
        ("a", "x", 1, {"time": "2024-01-01T10:00:00Z"}),
        ("a", "x", 2, {"time": "2024-01-01T09:00:00Z"}),  # a server whose clock was behind
        ("a", "y", 1, {"time": "2024-01-01T09:30:00Z"}),
        ("a", "z", 1, {}),
        ("a", "x", 3, {"time": "not a time"}),
    ]
    ordered = [key for key, _ in derive_order(rows)]
    assert ordered == [("a", "z", 1), ("a", "y", 1), ("a", "x", 1), ("a", "x", 2), ("a", "x", 3)]
    assert derive_order(reversed(rows)) == derive_order(rows)


def _sa(url: str) -> str:
    return url if "://" in url else f"sqlite:///{url}"
