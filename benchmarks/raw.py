"""Plain ``sqlite3`` on a table shaped like tui-es's ``events``: what SQLite itself allows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from pydantic_core import to_json
from sqlalchemy import MetaData
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from tui_es.es.envelope import SerializedEvent
from tui_es.store.schema import CHECKPOINTS, view_table
from tui_es.store.sql import SQLITE_EVENTS, TYPE_INDEX

# tui-es's own SQLite DDL, imported so that the two cannot drift apart: the
# position as the rowid, cqrs-es's key as a unique constraint, and the
# event-type index. ``minimal=True`` leaves the index out (the table of
# ../shared/reference/bench/bench_sqlite_raw.py: a rowid and the unique key).
EVENTS_DDL = SQLITE_EVENTS
TYPE_INDEX_DDL = TYPE_INDEX
INSERT = (
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,"
    " payload, metadata, position, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_COLUMNS = (
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata,"
    " position, recorded_at"
)

Row = tuple[str, str, int, str, str, str, str, int, str | None]
# an event row and the view update (new version, payload, view id, expected version)
Deposit = tuple[tuple[Any, ...], tuple[int, str, str, int]]


def dumps(value: Any) -> str:
    """Compact JSON, as tui-es stores it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def connect(path: Path, synchronous: str = "FULL", *, minimal: bool = False) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit), WAL, the given synchronous level."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone() is None:
        conn.execute(EVENTS_DDL)
    if not minimal:
        conn.execute(TYPE_INDEX_DDL)
    return conn


def pragmas(conn: sqlite3.Connection) -> dict[str, Any]:
    return {
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        "page_size": conn.execute("PRAGMA page_size").fetchone()[0],
    }


def to_row(event: SerializedEvent, position: int) -> Row:
    return (
        event.aggregate_type,
        event.aggregate_id,
        event.sequence,
        event.event_type,
        event.event_version,
        dumps(event.payload),
        dumps(event.metadata),
        position,
        event.recorded_at,
    )


def to_rows(events: Iterable[SerializedEvent], first_position: int = 1) -> list[Row]:
    return [to_row(e, p) for p, e in enumerate(events, start=first_position)]


def insert_one_transaction(conn: sqlite3.Connection, rows: list[Row]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(INSERT, rows)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def insert_row_per_transaction(conn: sqlite3.Connection, rows: list[Row]) -> None:
    execute = conn.execute
    for row in rows:
        execute("BEGIN IMMEDIATE")
        execute(INSERT, row)
        execute("COMMIT")


def fast_dumps(value: Any) -> str:
    """Compact JSON by pydantic-core, the fastest at hand (json.dumps: five times as long)."""
    return to_json(value).decode()


# tui-es's view and checkpoint tables, compiled from its own schema as its store creates them
VIEW_DDL = str(
    CreateTable(view_table("account_query", MetaData())).compile(dialect=sqlite.dialect())
)
CHECKPOINTS_DDL = str(CreateTable(CHECKPOINTS).compile(dialect=sqlite.dialect()))
MOVE_CHECKPOINT = (
    "UPDATE projection_checkpoints SET position = ? WHERE name = 'account_query' AND position = ?"
)
UPDATE_VIEW = "UPDATE account_query SET version = ?, payload = ? WHERE view_id = ? AND version = ?"


class ByHand:
    """A deposit as plain code on ``sqlite3`` would do all that tui-es does for one.

    No framework: the accounts' versions, balances and ledgers live in a dict,
    and each deposit writes what tui-es writes in its transaction: the event
    (payload and metadata as JSON, a fresh command id and time), the view's
    checkpoint moved by compare-and-set, and the account's ``account_query``
    row (the whole view as JSON) by compare-and-set on its version. Against
    :func:`insert_row_per_transaction` (pre-built rows) this is what building the
    event and keeping the view in step cost plain Python code, before a
    framework adds anything.
    """

    def __init__(self, conn: sqlite3.Connection, ids: list[str], opened: list[Row]) -> None:
        """``opened``: the accounts' ``AccountOpened`` rows, written with their view rows."""
        self.conn = conn
        conn.execute(VIEW_DDL)
        conn.execute(CHECKPOINTS_DDL)
        # account id -> [version, balance, ledger]
        self.accounts: dict[str, list[Any]] = {account: [1, 0.0, []] for account in ids}
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, opened)
        conn.executemany(
            "INSERT INTO account_query (view_id, version, payload) VALUES (?, 1, ?)",
            [(account, dumps(self.view(account, 0.0, []))) for account in ids],
        )
        conn.execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ('account_query', ?)",
            (count(conn),),
        )
        conn.execute("COMMIT")

    @staticmethod
    def view(account: str, balance: float, ledger: list[dict[str, Any]]) -> dict[str, Any]:
        return {"account_id": account, "balance": balance, "written_checks": [], "ledger": ledger}

    def build(self, account: str, amount: float) -> Deposit:
        """A deposit's event row and view update (the account's state moves on)."""
        dumps = fast_dumps
        state = self.accounts[account]
        version, balance, ledger = state
        balance += amount
        command_id = str(uuid4())
        now = datetime.now(UTC).isoformat()
        event = (
            "account",
            account,
            version + 1,
            "CustomerDepositedMoney",
            "1.0",
            dumps({"CustomerDepositedMoney": {"amount": amount, "balance": balance}}),
            dumps(
                {
                    "time": now,
                    "command_id": command_id,
                    "correlation_id": command_id,
                    "causation_id": command_id,
                }
            ),
            None,
            now,
        )
        ledger = [*ledger, {"description": "deposit", "amount": amount}]
        view = dumps(self.view(account, balance, ledger))
        state[:] = version + 1, balance, ledger
        return event, (version + 1, view, account, version)

    def write(self, deposit: Deposit) -> None:
        """One transaction: the event, the checkpoint moved, the view row (compare-and-set)."""
        event, view_update = deposit
        execute = self.conn.execute
        execute("BEGIN IMMEDIATE")
        try:
            position = execute(INSERT, event).lastrowid
            if execute(MOVE_CHECKPOINT, (position, position - 1)).rowcount != 1:
                raise RuntimeError("account_query missed an event")
            if execute(UPDATE_VIEW, view_update).rowcount != 1:
                raise RuntimeError(f"account_query row {event[1]} changed under the update")
        except BaseException:
            execute("ROLLBACK")
            raise
        execute("COMMIT")

    def deposit(self, account: str, amount: float) -> None:
        """Build and write one deposit.

        A failed write leaves the dict one deposit ahead of the file: this is a
        benchmark's reference, which stops at the first error.
        """
        self.write(self.build(account, amount))

    def deposits(self, ids: list[str], commands: int) -> int:
        deposit = self.deposit
        n = len(ids)
        for k in range(commands):
            deposit(ids[k % n], 1.0)
        return commands

    def build_all(self, ids: list[str], commands: int) -> list[Deposit]:
        """The deposits of :meth:`deposits`, built ahead (not timed), for :meth:`write_all`."""
        n = len(ids)
        return [self.build(ids[k % n], 1.0) for k in range(commands)]

    def write_all(self, built: list[Deposit]) -> int:
        """Only the SQL of each deposit, every value ready: the floor for a view kept in step."""
        write = self.write
        for deposit in built:
            write(deposit)
        return len(built)

    def view_payload(self, account: str) -> Any:
        row = self.conn.execute(
            "SELECT payload FROM account_query WHERE view_id = ?", (account,)
        ).fetchone()
        return json.loads(row[0])

    def balance(self, account: str) -> float:
        return float(self.view_payload(account)["balance"])


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def load_decoded(
    conn: sqlite3.Connection, aggregate_type: str, aggregate_id: str, until: int | None = None
) -> list[tuple[Any, Any]]:
    """One aggregate's rows in order, payload and metadata parsed."""
    query = f"SELECT {SELECT_COLUMNS} FROM events WHERE aggregate_type = ? AND aggregate_id = ?"
    params: tuple[Any, ...] = (aggregate_type, aggregate_id)
    if until is not None:
        query += " AND sequence <= ?"
        params += (until,)
    loads = json.loads
    rows = conn.execute(query + " ORDER BY sequence", params)
    return [(loads(r[5]), loads(r[6])) for r in rows]


def read_log_decoded(conn: sqlite3.Connection, page: int = 10_000) -> int:
    """Every row in position order, a page at a time, payload and metadata parsed."""
    loads = json.loads
    query = f"SELECT {SELECT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
    after = 0
    seen = 0
    while True:
        rows = conn.execute(query, (after, page)).fetchall()
        for r in rows:
            loads(r[5])
            loads(r[6])
        seen += len(rows)
        if len(rows) < page:
            return seen
        after = rows[-1][7]
