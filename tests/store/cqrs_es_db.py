"""A database as a cqrs-es service leaves it: cqrs-es's table shapes, cqrs-demo's rows.

The DDL reproduces the shapes of postgres-es's and mysql-es's init scripts
(and the same columns on SQLite); the rows are what cqrs-demo stores for its
curl scenario, with the metadata its HTTP handler adds.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import create_engine, text

DEMO_ACCOUNT = "test-acct-1234"

_TYPES = {
    "postgresql": ("text", "text", "json"),
    "mysql": ("varchar(255)", "text", "json"),
    "sqlite": ("text", "text", "text"),
}


def _ddl(dialect: str) -> list[str]:
    key, other, js = _TYPES["mysql" if dialect in ("mysql", "mariadb") else dialect]
    return [
        f"""CREATE TABLE events (
            aggregate_type {key} NOT NULL,
            aggregate_id {key} NOT NULL,
            sequence bigint NOT NULL CHECK (sequence >= 0),
            event_type {other} NOT NULL,
            event_version {other} NOT NULL,
            payload {js} NOT NULL,
            metadata {js} NOT NULL,
            PRIMARY KEY (aggregate_type, aggregate_id, sequence))""",
        f"""CREATE TABLE account_query (
            view_id {key} NOT NULL,
            version bigint NOT NULL CHECK (version >= 0),
            payload {js} NOT NULL,
            PRIMARY KEY (view_id))""",
    ]


def _meta(time: str) -> str:
    return json.dumps({"time": time, "uri": f"/account/{DEMO_ACCOUNT}", "User-Agent": "curl/8.5.0"})


# (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, time)
ROWS: list[tuple[str, str, int, str, str, str, str]] = [
    (
        "account",
        DEMO_ACCOUNT,
        1,
        "AccountOpened",
        "1.0",
        '{"AccountOpened":{"account_id":"test-acct-1234"}}',
        "2024-05-01T12:34:56.123456789+00:00",
    ),
    (
        "account",
        "ACCT-2",
        1,
        "AccountOpened",
        "1.0",
        '{"AccountOpened":{"account_id":"ACCT-2"}}',
        "2024-05-01T12:35:10.000000001+00:00",
    ),
    (
        "account",
        DEMO_ACCOUNT,
        2,
        "CustomerDepositedMoney",
        "1.0",
        '{"CustomerDepositedMoney":{"amount":1000.0,"balance":1000.0}}',
        "2024-05-01T12:35:00.5+00:00",
    ),
    (
        "account",
        DEMO_ACCOUNT,
        3,
        "CustomerWithdrewCash",
        "1.0",
        '{"CustomerWithdrewCash":{"amount":400.0,"balance":600.0}}',
        "2024-05-01T12:36:00+00:00",
    ),
    (
        "account",
        DEMO_ACCOUNT,
        4,
        "CustomerWroteCheck",
        "1.0",
        '{"CustomerWroteCheck":{"check_number":"1170","amount":256.28,"balance":343.72}}',
        "2024-05-01T12:37:00.25+00:00",
    ),
    (
        "account",
        "ACCT-2",
        2,
        "CustomerDepositedMoney",
        "1.0",
        '{"CustomerDepositedMoney":{"amount":50.0,"balance":50.0}}',
        "2024-05-01T12:38:00+00:00",
    ),
    # an aggregate type this domain does not know: browsing must not trip on it
    (
        "Customer",
        "previous_event_in_need_of_upcast",
        1,
        "NameAdded",
        "1.0",
        '{"NameAdded": {}}',
        "",
    ),
]

# the derived order: by metadata time (none first), then type, id, sequence
EXPECTED_ORDER = [
    ("Customer", "previous_event_in_need_of_upcast", 1),
    ("account", DEMO_ACCOUNT, 1),
    ("account", DEMO_ACCOUNT, 2),
    ("account", "ACCT-2", 1),
    ("account", DEMO_ACCOUNT, 3),
    ("account", DEMO_ACCOUNT, 4),
    ("account", "ACCT-2", 2),
]

VIEW_ROWS = [
    (
        DEMO_ACCOUNT,
        4,
        '{"account_id":"test-acct-1234","balance":343.72,"written_checks":["1170"],'
        '"ledger":[{"description":"deposit","amount":1000.0},{"description":"atm withdrawal",'
        '"amount":400.0},{"description":"1170","amount":256.28}]}',
    ),
    (
        "ACCT-2",
        2,
        '{"account_id":"ACCT-2","balance":50.0,"written_checks":[],'
        '"ledger":[{"description":"deposit","amount":50.0}]}',
    ),
]

INSERT_EVENT = text(
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, "
    "payload, metadata) VALUES (:t, :i, :s, :et, :ev, :p, :m)"
)


def create_cqrs_es_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in _ddl(engine.dialect.name):
            conn.exec_driver_sql(statement)
        for t, i, s, et, ev, p, time in ROWS:
            conn.execute(INSERT_EVENT, cqrs_es_row(t, i, s, et, ev, p, time))
        for view_id, version, payload in VIEW_ROWS:
            conn.execute(
                text("INSERT INTO account_query (payload, version, view_id) VALUES (:p, :v, :i)"),
                {"p": payload, "v": version, "i": view_id},
            )
    engine.dispose()


def cqrs_es_row(t: str, i: str, s: int, et: str, ev: str, p: str, time: str) -> dict[str, Any]:
    return {"t": t, "i": i, "s": s, "et": et, "ev": ev, "p": p, "m": _meta(time) if time else "{}"}


def snapshot_of_everything(url: str) -> dict[str, Any]:
    """Every table's columns and rows, to prove that nothing changed."""
    from sqlalchemy import inspect

    engine = create_engine(url)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            columns = [c["name"] for c in inspect(conn).get_columns(table)]
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = (columns, sorted(str(tuple(r)) for r in rows))
    engine.dispose()
    return out
