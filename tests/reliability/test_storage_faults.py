"""Storage faults fail a command cleanly: exit 3, nothing half-written, and the next one works.

- SQLite locked by another writer (a ``BEGIN IMMEDIATE`` held on another
  connection, ``TUI_ES_BUSY_TIMEOUT=0.2``): every writing command gives up with
  exit 3 and a ``database is locked`` message, readers go on reading, and once
  the lock is gone the same commands succeed.
- A server connection dropped in the middle of a command, inside its
  transaction (after the events were inserted, while a view is being updated):
  on PostgreSQL the backend is ended with ``pg_terminate_backend``, on MariaDB
  with ``KILL CONNECTION``. The command fails with ``DatabaseConnectionError``
  (exit 3 from the CLI), none of its events, view rows or checkpoints are
  stored, and the next command on the same store object works (the pool
  reconnects).

The dashboard's side (it reconnects by itself) is in tests/tui/test_reliability_faults.py.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import create_engine

from tests.reliability.support import command_ids, problems
from tests.servers import scratch_database
from tui_es import cli
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount
from tui_es.es import Application, DatabaseConnectionError, EventEnvelope
from tui_es.es.check import check_store
from tui_es.es.views import View, ViewProjection
from tui_es.store import SqlEventStore

DEPOSIT = '{"DepositMoney": {"amount": 1.0}}'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.run(list(argv))
    return code, out.getvalue(), err.getvalue()


# -- SQLite locked by another writer -------------------------------------------------------------
@pytest.fixture
def locked(demo_app: Application, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    """Another connection holding the demo store's write lock; released at the end."""
    path = str(demo_app.store.url.database)  # type: ignore[attr-defined]
    monkeypatch.setenv("TUI_ES_DB", path)
    monkeypatch.setenv("TUI_ES_BUSY_TIMEOUT", "0.2")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    # the other writer has written too, but not committed: nobody may see it
    blocker.execute("UPDATE events_head SET position = position + 1000")
    yield blocker
    blocker.close()


def test_a_locked_sqlite_store_fails_writes_cleanly(
    demo_app: Application, locked: sqlite3.Connection, tmp_path: Path
) -> None:
    before = run("export")[1]
    views = demo_app.store.view_rows("account_query")
    line = {
        "aggregate_type": "account",
        "aggregate_id": "imported",
        "sequence": 1,
        "event_type": "AccountOpened",
        "event_version": "1.0",
        "payload": {"AccountOpened": {"account_id": "imported"}},
        "metadata": {},
    }
    (tmp_path / "one.jsonl").write_text(json.dumps(line) + "\n")
    writes = [
        ["exec", "ACCT-3bafb51f", DEPOSIT],
        ["exec", "new-account", '{"OpenAccount": {"account_id": "new-account"}}'],
        ["import", str(tmp_path / "one.jsonl")],
        ["rebuild"],
    ]
    for argv in writes:
        code, out, err = run(*argv)
        assert (code, out) == (3, ""), argv
        assert err.startswith("tui-es: DatabaseConnectionError: ") and "database is locked" in err
    # readers are not held up by the writer
    for argv in (["events", "--limit", "3"], ["state", "ACCT-3bafb51f"], ["check"]):
        assert run(*argv)[0] == 0, argv
    # nothing was half-written
    assert run("export")[1] == before
    assert demo_app.store.view_rows("account_query") == views

    locked.rollback()
    for argv in writes:
        assert run(*argv)[0] == 0, argv
    assert demo_app.store.head_position() == 84 + 3
    assert problems(demo_app) == []


# -- a server connection dropped in the middle of a command -----------------------------------------
class Tripwire(View):
    """A view whose update runs the armed hook, inside the command's transaction."""

    hook: ClassVar[Callable[[], None] | None] = None
    events: int = 0

    def update(self, envelope: EventEnvelope) -> None:
        self.events += 1
        hook, Tripwire.hook = Tripwire.hook, None
        if hook is not None:
            hook()


TRIPWIRE = ViewProjection(name="tripwire", view=Tripwire, aggregate_types=frozenset({"account"}))
TRIPPED = dataclasses.replace(DOMAIN, views=(*DOMAIN.views, TRIPWIRE))


def drop_writer(url: str) -> Callable[[], None]:
    """A hook that ends, from another connection, the backend that is inside a transaction."""

    def drop() -> None:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                ended = conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state = 'idle in transaction'"
                ).all()
            else:
                ids = conn.exec_driver_sql(
                    "SELECT trx_mysql_thread_id FROM information_schema.innodb_trx "
                    "WHERE trx_mysql_thread_id <> CONNECTION_ID()"
                ).all()
                for (thread,) in ids:
                    conn.exec_driver_sql(f"KILL CONNECTION {int(thread)}")
                ended = ids
        admin.dispose()
        assert len(ended) == 1  # exactly the store's writing connection

    return drop


@pytest.fixture(params=["postgresql", "mariadb"])
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with scratch_database(request.param) as url:
        yield url


def stored(app: Application) -> tuple[Any, ...]:
    store = app.store
    return (
        store.head_position(),
        [store.view_rows(v.name) for v in TRIPPED.views],
        store.checkpoints(),
    )


def test_a_connection_dropped_mid_command_writes_nothing_and_reconnects(
    server_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlEventStore(server_url)
    app = Application(TRIPPED, store)
    app.execute("acct", OpenAccount(account_id="acct"))
    app.execute("acct", DepositMoney(amount=1.0))
    before = stored(app)

    Tripwire.hook = drop_writer(server_url)
    with pytest.raises(DatabaseConnectionError):
        app.execute("acct", DepositMoney(amount=5.0), {"command_id": "dropped"})
    assert Tripwire.hook is None  # it did fire, inside the transaction
    assert stored(app) == before
    # the dropped connection is discarded quietly (a pool reset would log a traceback)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "dropped" not in command_ids(app)

    # the same store object goes on: a new connection replaces the dropped one
    app.execute("acct", DepositMoney(amount=7.0), {"command_id": "after"})
    assert command_ids(app)["after"] == 1
    state, version = app.state("acct")
    assert (version, state.state_json()["balance"]) == (3, 8.0)
    assert check_store(store, app.codec, list(TRIPPED.views)).problems == []
    store.close()


def test_the_cli_exits_3_when_the_connection_drops(
    server_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TUI_ES_DB", server_url)
    monkeypatch.setattr("tui_es.domains.load_domain", lambda name: TRIPPED)
    assert run("exec", "acct", '{"OpenAccount": {"account_id": "acct"}}')[0] == 0
    before = run("export")[1]
    Tripwire.hook = drop_writer(server_url)
    code, out, err = run("exec", "acct", DEPOSIT)
    assert (code, out) == (3, "")
    assert err.startswith("tui-es: DatabaseConnectionError: ")
    assert "Traceback" not in err
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert run("export")[1] == before
    assert run("exec", "acct", DEPOSIT)[0] == 0
