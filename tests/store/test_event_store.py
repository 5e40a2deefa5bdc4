"""The event store on every backend: reopening, concurrency, snapshots, corrupt rows, filters."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from tui_es.domains.bank import DOMAIN, CustomerDepositedMoney, DepositMoney, OpenAccount
from tui_es.es import (
    AggregateConflict,
    Application,
    DeserializationError,
    ReadOnlyError,
    RetryPolicy,
    SnapshotPolicy,
)
from tui_es.store import SqlEventStore


def test_reopening_keeps_everything(any_demo_app: Application, store_url: str) -> None:
    before = any_demo_app.store.read_events()
    views = any_demo_app.store.view_rows("account_query")
    any_demo_app.store.close()
    again = Application(DOMAIN, SqlEventStore(store_url))
    assert again.store.read_events() == before
    assert again.store.view_rows("account_query") == views


def test_two_writers_on_one_file_exactly_one_commits(
    any_demo_app: Application, store_url: str
) -> None:
    other = Application(DOMAIN, SqlEventStore(store_url))
    account = any_demo_app.store.aggregate_ids("account")[0]
    first = any_demo_app.framework().load(account)
    second = other.framework().load(account)
    assert first.sequence == second.sequence
    head = any_demo_app.store.head_position()
    view = any_demo_app.store.load_view("account_query", account)
    event = CustomerDepositedMoney(amount=1.0, balance=first.aggregate.balance + 1.0)
    any_demo_app.framework().commit(first, [event], {})
    with pytest.raises(AggregateConflict):
        other.framework().commit(second, [event], {})
    assert any_demo_app.store.head_position() == head + 1
    after = any_demo_app.store.load_view("account_query", account)
    assert view is not None and after is not None
    assert after.version == view.version + 1
    assert any_demo_app.store.checkpoints()["account_query"] == head + 1


def test_racing_threads_keep_sequences_contiguous(any_app: Application, store_url: str) -> None:
    any_app.execute("race", OpenAccount(account_id="race"))
    outcomes: list[str] = []

    def worker() -> None:
        app = Application(DOMAIN, SqlEventStore(store_url), retry=RetryPolicy(attempts=50))
        for _ in range(5):
            app.execute("race", DepositMoney(amount=1.0))
            outcomes.append("ok")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok"] * 20
    events = any_app.store.load_events("account", "race")
    assert [e.sequence for e in events] == list(range(1, 22))
    positions = [e.position for e in any_app.store.read_events()]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    state, version = any_app.state("race")
    assert version == 21 and state.state_json()["balance"] == 20.0
    view = any_app.store.load_view("account_query", "race")
    assert view is not None and view.payload["balance"] == 20.0 and view.version == 21


def test_read_only_store_refuses_writes(any_demo_app: Application, store_url: str) -> None:
    store = SqlEventStore(store_url, read_only=True)
    app = Application(DOMAIN, store)
    assert len(store.read_events()) == 84
    assert app.state(store.aggregate_ids("account")[0])[1] > 0
    with pytest.raises(ReadOnlyError):
        app.execute("ACCT-new", OpenAccount(account_id="ACCT-new"))
    with pytest.raises(ReadOnlyError):
        app.rebuild()
    store.close()
    assert len(any_demo_app.store.read_events()) == 84


def test_snapshots_are_stored_and_used(any_app: Application, store_url: str) -> None:
    app = Application(DOMAIN, SqlEventStore(store_url), snapshots=SnapshotPolicy.every(5))
    app.execute("snap", OpenAccount(account_id="snap"))
    for _ in range(11):
        app.execute("snap", DepositMoney(amount=2.0))
    snapshot = app.store.load_snapshot("account", "snap")
    assert snapshot is not None
    assert (snapshot.last_sequence, snapshot.current_snapshot) == (10, 2)
    assert snapshot.payload == {"account_id": "snap", "balance": 18.0}
    context = app.load("snap")
    assert context.snapshot_used and context.events_read == 2
    assert context.aggregate.state_json() == {"account_id": "snap", "balance": 22.0}


def test_corrupt_payload_names_its_position(any_app: Application, store_url: str) -> None:
    any_app.execute("bad", OpenAccount(account_id="bad"))
    any_app.execute("bad", DepositMoney(amount=5.0))
    with any_app.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET payload = :p WHERE sequence = 2"),
            {"p": '{"CustomerDepositedMoney":{"amount":"five"}}'},
        )
    with pytest.raises(DeserializationError, match=r"position 2 .*amount") as error:
        any_app.state("bad")
    assert error.value.position == 2


def test_filters_are_applied_in_sql(any_demo_app: Application) -> None:
    from tui_es.es import EventFilter

    store = any_demo_app.store
    account = store.aggregate_ids("account")[2]
    mine = store.read_events(filter=EventFilter(aggregate_id=account))
    assert mine and {e.aggregate_id for e in mine} == {account}
    checks = store.read_events(filter=EventFilter(event_type="CustomerWroteCheck"))
    assert checks and {e.event_type for e in checks} == {"CustomerWroteCheck"}
    assert store.count_events(EventFilter(event_type="CustomerWroteCheck")) == len(checks)
    atm = store.read_events(filter=EventFilter(text="ATM-N468290"))
    assert atm and all("ATM-N468290" in str(e.payload) for e in atm)
    # LIKE wildcards in the text are literal characters
    assert store.read_events(filter=EventFilter(text="%")) == []
    newest = store.read_events(limit=3, descending=True)
    assert [e.position for e in newest] == [84, 83, 82]
    window = store.read_events(after_position=10, before_position=14)
    assert [e.position for e in window] == [11, 12, 13]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://tui:Sup3r-S3cret@127.0.0.1:1/nowhere",
        "mysql+pymysql://tui:Sup3r-S3cret@127.0.0.1:1/nowhere",
    ],
)
def test_a_password_never_reaches_an_error_or_the_screen(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_es.cli import run
    from tui_es.es import DatabaseConnectionError

    with pytest.raises(DatabaseConnectionError) as error:
        SqlEventStore(url)
    assert "Sup3r-S3cret" not in str(error.value)
    assert "tui:***@127.0.0.1:1" in str(error.value)
    assert run(["--db", url, "events"]) == 3
    captured = capsys.readouterr()
    assert "Sup3r-S3cret" not in captured.out + captured.err
    assert "***" in captured.err
