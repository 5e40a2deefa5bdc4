"""What is particular to SQLite: the file's schema, WAL and fsync settings, URLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui_es.domains.bank import DOMAIN
from tui_es.es import Application
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
    # the position is the rowid; cqrs-es's key is a unique constraint
    assert [c[0] for c in events if c[3]] == ["position"]
    with sqlite3.connect(store_path) as db:
        unique = [
            [col[2] for col in db.execute(f"PRAGMA index_info('{ix[1]}')")]
            for ix in db.execute("PRAGMA index_list(events)")
            if ix[2] == 1
        ]
    assert ["aggregate_type", "aggregate_id", "sequence"] in unique
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


def test_reopening_creates_only_what_is_missing(store_path: Path) -> None:
    with sqlite3.connect(store_path) as db:
        db.execute(
            "CREATE TABLE account_query (view_id text PRIMARY KEY, version bigint, payload json)"
        )
        db.execute("INSERT INTO account_query VALUES ('kept', 3, '{\"balance\": 1.0}')")
    app = Application(DOMAIN, SqlEventStore(store_path), catch_up=False)
    row = app.store.load_view("account_query", "kept")
    assert row is not None and row.version == 3 and row.payload == {"balance": 1.0}


def test_password_never_shown() -> None:
    url = "postgresql+psycopg://tui:s3cret-pw@db.example:5432/events"
    assert "s3cret-pw" not in redact(url)
    assert "s3cret-pw" not in str(redact(resolve_url(url)))
    assert redact(url).startswith("postgresql+psycopg://tui:***@")


def test_a_path_means_sqlite(tmp_path: Path) -> None:
    url = resolve_url(tmp_path / "x.db")
    assert url.get_backend_name() == "sqlite" and url.database == str(tmp_path / "x.db")


def test_read_only_store_changes_no_byte(demo_app: Application, store_path: Path) -> None:
    demo_app.store.close()
    before = store_path.read_bytes()
    store = SqlEventStore(store_path, read_only=True)
    app = Application(DOMAIN, store)
    assert len(store.read_events()) == 84
    app.state(store.aggregate_ids("account")[0])
    app.store.view_rows("account_query")
    store.close()
    assert store_path.read_bytes() == before


def test_an_insert_of_the_seven_cqrs_es_columns_is_numbered(
    sqlite_app: Application, store_path: Path
) -> None:
    from tui_es.domains.bank import OpenAccount

    sqlite_app.execute("a", OpenAccount(account_id="a"))
    with sqlite3.connect(store_path) as db:
        db.execute(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, "
            "event_version, payload, metadata) VALUES ('account', 'b', 1, 'AccountOpened', "
            "'1.0', '{\"AccountOpened\":{\"account_id\":\"b\"}}', '{}')"
        )
    assert [(e.aggregate_id, e.position) for e in sqlite_app.store.read_events()] == [
        ("a", 1),
        ("b", 2),
    ]


def test_one_event_and_many_event_commits_share_one_gapless_order(
    sqlite_app: Application, store_path: Path
) -> None:
    """A one-event commit is numbered by SQLite (the rowid), a larger one from the head."""
    from tui_es.domains.bank import CustomerDepositedMoney, DepositMoney, OpenAccount

    sqlite_app.execute("a", OpenAccount(account_id="a"))
    framework = sqlite_app.framework()
    two = [
        CustomerDepositedMoney(amount=1.0, balance=1.0),
        CustomerDepositedMoney(amount=2.0, balance=3.0),
    ]
    framework.commit(framework.load("a"), two, {})
    with sqlite3.connect(store_path) as db:  # another program writes in between
        db.execute(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, "
            "event_version, payload, metadata) VALUES ('account', 'b', 1, 'AccountOpened', "
            "'1.0', '{\"AccountOpened\":{\"account_id\":\"b\"}}', '{}')"
        )
    committed = sqlite_app.execute("a", DepositMoney(amount=3.0))
    assert [e.position for e in committed] == [5]
    log = sqlite_app.store.read_events()
    assert [(e.aggregate_id, e.sequence, e.position) for e in log] == [
        ("a", 1, 1),
        ("a", 2, 2),
        ("a", 3, 3),
        ("b", 1, 4),
        ("a", 4, 5),
    ]


@pytest.mark.parametrize("folder", ["with ?#% and spaces", "plain"])
def test_a_path_with_uri_characters_opens_read_only_copies_and_folds(
    tmp_path: Path, folder: str
) -> None:
    """``?``, ``#`` and ``%`` mean something in SQLite's file URIs; in a path they are just text."""
    from tui_es.domains.bank import OpenAccount
    from tui_es.store.scratch import scratch_copy

    path = tmp_path / folder / "store.sqlite"
    store = SqlEventStore(path)
    app = Application(DOMAIN, store)
    for account in ("a", "b", "c"):
        app.execute(account, OpenAccount(account_id=account))
    app.dispatcher.parallel_backlog = 1
    app.dispatcher.fold_processes = 2
    app.rebuild("account_query")
    assert app.dispatcher.last_fold_processes == {"account_query": 2}  # the other process opened it
    store.close()
    reader = SqlEventStore(path, read_only=True)
    assert reader.count_events() == 3
    copy = scratch_copy(reader, ["account_query"], tmp_path)
    assert copy.count_events() == 3 and copy.view_count("account_query") == 3
    copy.close()
    reader.close()
