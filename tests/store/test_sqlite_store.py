"""The SQLite event store: cqrs-es's table shapes, durability settings, concurrency, safety."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tui_es.domains.bank import DOMAIN, CustomerDepositedMoney, DepositMoney, OpenAccount
from tui_es.es import (
    AggregateConflict,
    Application,
    DeserializationError,
    ReadOnlyError,
    RetryPolicy,
    SnapshotPolicy,
)
from tui_es.store import SqlEventStore, redact, resolve_url


def _columns(path: Path, table: str) -> list[tuple[str, str, int, int]]:
    with sqlite3.connect(path) as db:
        return [(r[1], r[2], r[3], r[5]) for r in db.execute(f"PRAGMA table_info({table})")]


def test_tables_have_cqrs_es_shapes(sqlite_app: Application, store_path: Path) -> None:
    events = _columns(store_path, "events")
    names = [c[0] for c in events]
    assert names[:7] == [
        "aggregate_type",
        "aggregate_id",
        "sequence",
        "event_type",
        "event_version",
        "payload",
        "metadata",
    ]
    assert set(names[7:]) == {"position", "recorded_at"}
    primary_key = sorted((c[3], c[0]) for c in events if c[3])
    assert [name for _, name in primary_key] == ["aggregate_type", "aggregate_id", "sequence"]
    snapshots = [c[0] for c in _columns(store_path, "snapshots")]
    assert snapshots == [
        "aggregate_type",
        "aggregate_id",
        "last_sequence",
        "current_snapshot",
        "payload",
    ]
    view = _columns(store_path, "account_query")
    assert [c[0] for c in view] == ["view_id", "version", "payload"]
    assert [c[0] for c in view if c[3]] == ["view_id"]
    with sqlite3.connect(store_path) as db:
        indexes = {r[1]: r[2] for r in db.execute("PRAGMA index_list(events)")}
    assert indexes.get("events_position") == 1  # unique


def test_wal_and_full_synchronous_by_default(store_path: Path) -> None:
    store = SqlEventStore(store_path)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()
    relaxed = SqlEventStore(store_path, synchronous="normal")
    with relaxed.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    relaxed.close()
    with pytest.raises(ValueError, match="synchronous"):
        SqlEventStore(store_path, synchronous="sometimes")


def test_reopening_keeps_everything(demo_app: Application, store_path: Path) -> None:
    before = demo_app.store.read_events()
    views = demo_app.store.view_rows("account_query")
    demo_app.store.close()
    again = Application(DOMAIN, SqlEventStore(store_path))
    assert again.store.read_events() == before
    assert again.store.view_rows("account_query") == views


def test_reopening_creates_only_what_is_missing(store_path: Path) -> None:
    with sqlite3.connect(store_path) as db:
        db.execute("CREATE TABLE account_query (view_id text PRIMARY KEY, version bigint, payload json)")
        db.execute("INSERT INTO account_query VALUES ('kept', 3, '{\"balance\": 1.0}')")
    app = Application(DOMAIN, SqlEventStore(store_path), catch_up=False)
    row = app.store.load_view("account_query", "kept")
    assert row is not None and row.version == 3 and row.payload == {"balance": 1.0}


def test_two_writers_on_one_file_exactly_one_commits(demo_app: Application, store_path: Path) -> None:
    other = Application(DOMAIN, SqlEventStore(store_path))
    account = demo_app.store.aggregate_ids("account")[0]
    first = demo_app.framework().load(account)
    second = other.framework().load(account)
    assert first.sequence == second.sequence
    head = demo_app.store.head_position()
    view = demo_app.store.load_view("account_query", account)
    event = CustomerDepositedMoney(amount=1.0, balance=first.aggregate.balance + 1.0)
    demo_app.framework().commit(first, [event], {})
    with pytest.raises(AggregateConflict):
        other.framework().commit(second, [event], {})
    assert demo_app.store.head_position() == head + 1
    after = demo_app.store.load_view("account_query", account)
    assert view is not None and after is not None
    assert after.version == view.version + 1
    assert demo_app.store.checkpoints()["account_query"] == head + 1


def test_racing_threads_keep_sequences_contiguous(sqlite_app: Application, store_path: Path) -> None:
    sqlite_app.execute("race", OpenAccount(account_id="race"))
    outcomes: list[str] = []

    def worker() -> None:
        app = Application(DOMAIN, SqlEventStore(store_path), retry=RetryPolicy(attempts=50))
        for _ in range(5):
            app.execute("race", DepositMoney(amount=1.0))
            outcomes.append("ok")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok"] * 20
    events = sqlite_app.store.load_events("account", "race")
    assert [e.sequence for e in events] == list(range(1, 22))
    positions = [e.position for e in sqlite_app.store.read_events()]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    state, version = sqlite_app.state("race")
    assert version == 21 and state.state_json()["balance"] == 20.0
    view = sqlite_app.store.load_view("account_query", "race")
    assert view is not None and view.payload["balance"] == 20.0 and view.version == 21


def test_read_only_store_refuses_writes_and_changes_no_byte(
    demo_app: Application, store_path: Path
) -> None:
    demo_app.store.close()
    before = store_path.read_bytes()
    store = SqlEventStore(store_path, read_only=True)
    app = Application(DOMAIN, store)
    assert len(store.read_events()) == 84
    assert app.state(store.aggregate_ids("account")[0])[1] > 0
    with pytest.raises(ReadOnlyError):
        app.execute("ACCT-new", OpenAccount(account_id="ACCT-new"))
    with pytest.raises(ReadOnlyError):
        app.rebuild()
    store.close()
    assert store_path.read_bytes() == before


def test_snapshots_are_stored_and_used(sqlite_app: Application, store_path: Path) -> None:
    app = Application(DOMAIN, SqlEventStore(store_path), snapshots=SnapshotPolicy.every(5))
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


def test_corrupt_payload_names_its_position(sqlite_app: Application, store_path: Path) -> None:
    sqlite_app.execute("bad", OpenAccount(account_id="bad"))
    sqlite_app.execute("bad", DepositMoney(amount=5.0))
    with sqlite3.connect(store_path) as db:
        db.execute(
            "UPDATE events SET payload = '{\"CustomerDepositedMoney\":{\"amount\":\"five\"}}' "
            "WHERE sequence = 2"
        )
    with pytest.raises(DeserializationError, match=r"position 2 .*amount") as error:
        sqlite_app.state("bad")
    assert error.value.position == 2


def test_filters_are_applied_in_sql(demo_app: Application) -> None:
    from tui_es.es import EventFilter

    store = demo_app.store
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


def test_password_never_shown() -> None:
    url = "postgresql+psycopg://tui:s3cret-pw@db.example:5432/events"
    assert "s3cret-pw" not in redact(url)
    assert "s3cret-pw" not in str(redact(resolve_url(url)))
    assert redact(url).startswith("postgresql+psycopg://tui:***@")


def test_a_path_means_sqlite(tmp_path: Path) -> None:
    url = resolve_url(tmp_path / "x.db")
    assert url.get_backend_name() == "sqlite" and url.database == str(tmp_path / "x.db")
