"""``--read-only`` is proven: reading changes no byte, and the servers refuse writes.

- SQLite: while a writer still holds the store open (its last commits in the
  WAL), every read command runs with ``--read-only`` — events (every filter),
  state (now, at a version, at a time), view (a row, all rows), export (to
  stdout and to a file), check — and so does every writing command, which
  fails with exit 3 (or 2) instead. Afterwards the database file and its WAL
  hold the same bytes. (The -shm file is SQLite's shared-memory index, which
  every reader updates by design; it holds no data. The dashboard's proof is in
  tests/tui/test_reliability_read_only.py.)
- PostgreSQL and MariaDB: a read-only store's own connections are read-only
  sessions, so even SQL sent around tui-es (``store.engine.raw_connection()``)
  is refused by the server, also on a connection opened after the server
  dropped the first ones. On SQLite the connection is opened ``mode=ro`` and
  SQLite refuses the same statements.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.conftest import load_demo
from tui_es import cli
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es import Application
from tui_es.store import SqlEventStore

ACCOUNT = "ACCT-3bafb51f"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.run(list(argv))
    return code, out.getvalue(), err.getvalue()


def durable_bytes(path: Path) -> tuple[bytes, bytes]:
    """The database file and its WAL (none counts as empty)."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


@pytest.fixture
def live_store(demo_app: Application, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo store, its writer still open with fresh commits in the WAL."""
    demo_app.execute(ACCOUNT, DepositMoney(amount=1.0))
    path = Path(str(demo_app.store.url.database))  # type: ignore[attr-defined]
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    monkeypatch.setenv("TUI_ES_DB", str(path))
    yield path


def test_read_commands_change_no_byte(live_store: Path, tmp_path: Path) -> None:
    before = durable_bytes(live_store)
    export = tmp_path / "elsewhere" / "export.jsonl"
    export.parent.mkdir()
    reads = [
        ["events"],
        ["events", "--aggregate", ACCOUNT, "--type", "CustomerWroteCheck"],
        ["events", "--after", "40", "--limit", "5"],
        ["state", ACCOUNT],
        ["state", ACCOUNT, "--version", "3"],
        ["state", ACCOUNT, "--at", "2026-11-04T12:00:00Z"],
        ["view", "account_query"],
        ["view", "account_query", ACCOUNT],
        ["export"],
        ["export", str(export)],
        ["check"],
    ]
    for argv in reads:
        code, out, err = run("--read-only", *argv)
        assert code == 0, (argv, err)
        assert out or argv[0] == "export", argv
    assert len(export.read_text().splitlines()) == 85
    assert durable_bytes(live_store) == before


def test_writing_commands_are_refused_read_only(live_store: Path, tmp_path: Path) -> None:
    before = durable_bytes(live_store)
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        '{"aggregate_type":"account","aggregate_id":"new","sequence":1,'
        '"event_type":"AccountOpened","event_version":"1.0",'
        '"payload":{"AccountOpened":{"account_id":"new"}},"metadata":{}}\n'
    )
    writes = {
        ("exec", ACCOUNT, '{"DepositMoney": {"amount": 1.0}}'): 3,
        ("trace", ACCOUNT, '{"DepositMoney": {"amount": 1.0}}'): 3,
        ("import", str(lines)): 3,
        ("rebuild",): 3,
        ("demo",): 0,  # the demo history is there already: nothing to do
        ("demo", "--accounts", "2"): 3,
        ("upgrade-store", "--db", str(live_store)): 2,
    }
    for argv, expected in writes.items():
        code, _, err = run("--read-only", *argv)
        assert code == expected, (argv, err)
        assert "Traceback" not in err and "unexpected" not in err, err
    assert durable_bytes(live_store) == before


WRITES = [
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, "
    "payload, metadata, position, recorded_at) VALUES ('account', 'sneaky', 1, 'AccountOpened', "
    "'1.0', '{\"AccountOpened\":{\"account_id\":\"sneaky\"}}', '{}', 1000, NULL)",
    "UPDATE events_head SET position = 0",
    "DELETE FROM account_query",
    "UPDATE projection_checkpoints SET position = 0",
    "CREATE TABLE sneaky (id INTEGER)",
]
REFUSALS = ("read-only", "READ ONLY", "readonly")


def refused_everything(store: SqlEventStore) -> list[str]:
    """Send every write through the store's own driver connection; the statements let through."""
    let_through = []
    for statement in WRITES:
        raw = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(statement)
                raw.commit()
                let_through.append(statement)
            except store.dbapi.Error as e:
                assert any(r in str(e) for r in REFUSALS), e
            finally:
                raw.rollback()
        finally:
            raw.close()
    return let_through


def test_the_database_refuses_writes_from_a_read_only_store(store_url: str) -> None:
    writer = load_demo(Application(DOMAIN, SqlEventStore(store_url)))
    before = (writer.store.head_position(), writer.store.view_rows("account_query"))
    store = SqlEventStore(store_url, read_only=True)
    assert refused_everything(store) == []
    if store.dialect != "sqlite":
        # connections the pool opens after the server dropped the first are read-only too
        admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if store.dialect == "postgresql":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            else:
                for (thread,) in conn.exec_driver_sql(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                ).all():
                    conn.exec_driver_sql(f"KILL CONNECTION {int(thread)}")
        admin.dispose()
        assert len(store.read_events()) == 84  # reconnected
        assert refused_everything(store) == []
    store.close()
    assert (writer.store.head_position(), writer.store.view_rows("account_query")) == before
    assert "sneaky" not in writer.store.table_names()
    writer.store.close()
