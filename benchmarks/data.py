"""Histories for the benchmarks: synthesized bank events, long aggregates, big logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path
from typing import Any

from benchmarks import peer, raw
from benchmarks.core import Context
from tui_es.demo import synthesize
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount
from tui_es.es.aggregate import Aggregate, EventSink
from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent
from tui_es.es.snapshots import SnapshotPolicy
from tui_es.store.sql import SqlEventStore

EVENTS_EACH = 100  # events per account in synthesized histories


def open_store(location: str | Path) -> SqlEventStore:
    """tui-es's SQL store with the durability every subject shares: WAL + synchronous=FULL."""
    return SqlEventStore(location, synchronous="FULL")


def store_pragmas(store: SqlEventStore) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {
            "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
            "synchronous": conn.exec_driver_sql("PRAGMA synchronous").scalar(),
        }


# -- synthesized histories --------------------------------------------------------------------
def synthesized(total: int, events_each: int = EVENTS_EACH) -> Iterator[list[SerializedEvent]]:
    """About ``total`` bank events from the domain's demo script, whole accounts, 1,000 at a time.

    Each chunk is one ``synthesize`` run with its own seed; a seed whose
    account ids collide with an earlier chunk's is skipped, so the ids are unique.
    """
    accounts = max(1, total // events_each)
    seen: set[str] = set()
    seeds = count(7)
    while accounts > 0:
        size = min(1000, accounts)
        chunk = synthesize(DOMAIN, size, events_each, seed=next(seeds))
        ids = {e.aggregate_id for e in chunk}
        if ids & seen:
            continue
        seen |= ids
        accounts -= size
        yield chunk


def synthesized_list(total: int, events_each: int = EVENTS_EACH) -> list[SerializedEvent]:
    return [e for chunk in synthesized(total, events_each) for e in chunk]


def export_lines(events: list[SerializedEvent]) -> list[str]:
    """The events as ``tui-es export`` writes them (with positions 1..n)."""
    return [
        json.dumps(replace(e, position=p).to_json_dict(), separators=(",", ":"), ensure_ascii=False)
        for p, e in enumerate(events, start=1)
    ]


# -- commands ---------------------------------------------------------------------------------
def account_ids(accounts: int, prefix: str = "ACCT") -> list[str]:
    return [f"{prefix}-{i:06d}" for i in range(accounts)]


def open_accounts(app: Application, ids: list[str]) -> None:
    for account_id in ids:
        app.execute(account_id, OpenAccount(account_id=account_id))


def build_long_aggregate(
    app: Application, aggregate_id: str, events: int, batch: int = 100
) -> None:
    """One account of ``events`` events: an open, then deposits of 1.0, ``batch`` per commit.

    Each commit is what ``execute`` does (load, handle, commit, with the
    application's snapshot policy), only with ``batch`` commands handled
    between the load and the commit: 100,000 one-command transactions
    would take minutes to build.
    """
    framework = app.framework()
    commands: list[Any] = [OpenAccount(account_id=aggregate_id)] + [
        DepositMoney(amount=1.0) for _ in range(events - 1)
    ]
    for start in range(0, events, batch):
        context = framework.load(aggregate_id)
        sink: EventSink[Aggregate] = EventSink(context.aggregate)
        for command in commands[start : start + batch]:
            context.aggregate.handle(command, app.services, sink)
        framework.commit(context, sink.collect(), framework.command_metadata(None))


def viewless_app(store: SqlEventStore, snapshots: SnapshotPolicy | None = None) -> Application:
    """The bank domain without its view: for building long histories (the view is not timed)."""
    return Application(replace(DOMAIN, views=()), store, snapshots=snapshots)


# -- big logs, built once per run -------------------------------------------------------------------
@dataclass
class BigLog:
    """The same-sized log in each subject's own store."""

    events: int
    accounts: int
    tui_path: Path
    peer_path: Path
    raw_path: Path


def big_log(ctx: Context, total: int) -> BigLog:
    """Stores of ``total`` events (tui-es, eventsourcing, raw), built the first time they are asked for."""
    key = f"big_log:{total}"
    if key in ctx.cache:
        cached: BigLog = ctx.cache[key]
        return cached
    tui_path = ctx.db_path(f"log-{total}-tui")
    raw_path = ctx.db_path(f"log-{total}-raw")
    peer_path = ctx.db_path(f"log-{total}-peer")
    store = open_store(tui_path)
    conn = raw.connect(raw_path)
    written = 0
    accounts = 0
    for chunk in synthesized(total):
        with store.transaction() as tx:
            tx.append(chunk)
        raw.insert_one_transaction(conn, raw.to_rows(chunk, written + 1))
        written += len(chunk)
        accounts += len({e.aggregate_id for e in chunk})
        ctx.log(f"  building the {total:,}-event logs: tui-es and sqlite3 at {written:,}")
    store.close()
    conn.close()
    app = peer.peer_app(peer_path)
    peer_written = peer.fill_log(app, accounts, max(1, written // accounts))
    app.close()
    ctx.log(f"  building the {total:,}-event logs: eventsourcing at {peer_written:,}")
    log = BigLog(written, accounts, tui_path, peer_path, raw_path)
    ctx.cache[key] = log
    return log
