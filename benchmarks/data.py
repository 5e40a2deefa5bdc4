"""Histories for the benchmarks: synthesized bank events, long aggregates, big logs."""

from __future__ import annotations

import heapq
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
LONG_EVENTS_MAX = 10_000  # the long account of a big log (workload 7's time travel)
LONG_SEED = 1_000_003  # synthesizes the long account; chunks use seeds from 7 up


def open_store(location: str | Path) -> SqlEventStore:
    """tui-es's SQL store with the durability every subject shares: WAL + synchronous=FULL."""
    return SqlEventStore(location, synchronous="FULL")


def store_pragmas(store: SqlEventStore) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {
            "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
            "synchronous": conn.exec_driver_sql("PRAGMA synchronous").scalar(),
            "page_size": conn.exec_driver_sql("PRAGMA page_size").scalar(),
        }


# -- synthesized histories --------------------------------------------------------------------
def synthesized(
    total: int, events_each: int = EVENTS_EACH, taken: set[str] | None = None
) -> Iterator[list[SerializedEvent]]:
    """About ``total`` bank events from the domain's demo script, whole accounts, 1,000 at a time.

    Each chunk is one ``synthesize`` run with its own seed; a seed whose
    account ids collide with an earlier chunk's (or with ``taken``) is skipped,
    so the ids are unique.
    """
    accounts = max(1, total // events_each)
    seen: set[str] = set(taken or ())
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
    """The same-sized log in each subject's own store.

    Besides its accounts of ``EVENTS_EACH`` events, a log of 10,000 events or
    more holds one long account (1% of the log, at most ``LONG_EVENTS_MAX``
    events) whose events are spread through it: the aggregate the dashboard's
    time travel steps through in workload 7.
    """

    events: int
    accounts: int  # in tui-es's store, the long account included
    tui_path: Path
    peer_path: Path
    raw_path: Path
    biggest_id: str = ""  # the account with the most events (the long one, if any)
    biggest_events: int = 0
    long_events: int = 0  # events of the long account (0: the log has none)


def long_events_for(total: int) -> int:
    """Events of a log's long account: 1% of it in whole hundreds, at most ``LONG_EVENTS_MAX``."""
    return min(LONG_EVENTS_MAX, total // 10_000 * 100)


def chunks_with_long_account(total: int) -> tuple[Iterator[list[SerializedEvent]], str | None]:
    """``synthesized`` chunks of about ``total`` events in all, 1% of them one long account's.

    The long account's events are cut in as many slices as there are chunks; each
    slice joins its chunk in time order (both are sorted by recorded_at), so the
    account is spread through the log as a busy customer's would be. The chunks
    are made one at a time, as they are written.
    """
    long_events = long_events_for(total)
    if long_events == 0:
        return synthesized(total), None
    long = synthesize(DOMAIN, 1, long_events, seed=LONG_SEED)
    long_id = long[0].aggregate_id
    accounts = (total - long_events) // EVENTS_EACH
    slices = max(1, -(-accounts // 1000))  # synthesized makes chunks of 1,000 accounts
    share = -(-len(long) // slices)

    def merged() -> Iterator[list[SerializedEvent]]:
        for k, chunk in enumerate(synthesized(total - long_events, taken={long_id})):
            part = long[k * share : (k + 1) * share]
            yield list(heapq.merge(chunk, part, key=lambda e: e.recorded_at or ""))

    return merged(), long_id


def big_log(ctx: Context, total: int) -> BigLog:
    """Stores of ``total`` events (tui-es, eventsourcing, raw), built the first time they are asked for."""
    key = f"big_log:{total}"
    if key in ctx.cache:
        cached: BigLog = ctx.cache[key]
        return cached
    tui_path = ctx.db_path(f"log-{total}-tui")
    raw_path = ctx.db_path(f"log-{total}-raw")
    peer_path = ctx.db_path(f"log-{total}-peer")
    chunks, long_id = chunks_with_long_account(total)
    store = open_store(tui_path)
    conn = raw.connect(raw_path)
    written = 0
    sizes: dict[str, int] = {}
    for chunk in chunks:
        with store.transaction() as tx:
            tx.append(chunk)
        raw.insert_one_transaction(conn, raw.to_rows(chunk, written + 1))
        written += len(chunk)
        for event in chunk:
            sizes[event.aggregate_id] = event.sequence
        ctx.log(f"  building the {total:,}-event logs: tui-es and sqlite3 at {written:,}")
    store.close()
    conn.close()
    long_events = sizes.get(long_id, 0) if long_id is not None else 0
    regular = len(sizes) - (long_id is not None)
    app = peer.peer_app(peer_path)
    peer_written = peer.fill_log(app, regular, max(1, (written - long_events) // max(1, regular)))
    if long_events:
        peer.long_account(app, long_events, batch=1000)
        peer_written += long_events
    app.close()
    ctx.log(f"  building the {total:,}-event logs: eventsourcing at {peer_written:,}")
    biggest_id = max(sizes, key=lambda i: sizes[i], default="")
    log = BigLog(
        written,
        len(sizes),
        tui_path,
        peer_path,
        raw_path,
        biggest_id,
        sizes.get(biggest_id, 0),
        long_events,
    )
    ctx.cache[key] = log
    return log
