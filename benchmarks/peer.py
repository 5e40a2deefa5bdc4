"""The peer: ``eventsourcing`` 9.5.6 on its own SQLite recorder, with the bank account's events.

``PeerAccount`` records the same two events as tui-es's bank account, with the
same fields: ``AccountOpened(account_id)`` and
``CustomerDepositedMoney(amount, balance)``. The library's defaults are kept:
JSON transcoding, no cache, no compression, WAL with ``synchronous`` left at
SQLite's FULL (checked by :func:`pragmas`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class PeerAccount(Aggregate):
    @event("AccountOpened")
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.balance = 0.0

    def deposit_money(self, amount: float) -> None:
        """The command: decide the new balance, record it."""
        self.deposited(amount=amount, balance=self.balance + amount)

    @event("CustomerDepositedMoney")
    def deposited(self, amount: float, balance: float) -> None:
        self.balance = balance


class PeerApp(Application[UUID]):
    """No snapshots, no aggregate cache: every ``get`` replays from the store."""


class SnapshottingPeerApp(PeerApp):
    """A snapshot every 100 versions, taken synchronously by ``save()`` (the library's way)."""

    snapshotting_intervals = {PeerAccount: 100}


def peer_app(path: Path, cls: type[PeerApp] = PeerApp) -> PeerApp:
    return cls(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "CREATE_TABLE": "y",
            "AGGREGATE_CACHE_MAXSIZE": "",  # empty: no cache ("0" would mean unbounded)
            "COMPRESSOR_TOPIC": "",
            "CIPHER_TOPIC": "",
        }
    )


def pragmas(app: PeerApp) -> dict[str, Any]:
    """The journal mode and synchronous level the peer's connections really use."""
    datastore: Any = getattr(app.recorder, "datastore")  # noqa: B009  (SQLite recorders have one)
    with datastore.get_connection(commit=False) as conn:
        raw = conn._sqlite_conn
        return {
            "journal_mode": raw.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": raw.execute("PRAGMA synchronous").fetchone()[0],
            "page_size": raw.execute("PRAGMA page_size").fetchone()[0],
        }


def open_accounts(app: PeerApp, accounts: int) -> list[PeerAccount]:
    """``accounts`` new accounts, saved together (one transaction)."""
    opened = [PeerAccount(account_id=f"ACCT-{i:06d}") for i in range(accounts)]
    app.save(*opened)
    return opened


def account_histories(
    accounts: int, events_each: int, seed: int = 7
) -> Iterator[list[PeerAccount]]:
    """Accounts with ``events_each`` pending events each (an open, then deposits), 1,000 at a time."""
    rng = random.Random(seed)
    batch: list[PeerAccount] = []
    for i in range(accounts):
        account = PeerAccount(account_id=f"ACCT-{i:06d}")
        for _ in range(events_each - 1):
            account.deposit_money(round(rng.uniform(20, 1500), 2))
        batch.append(account)
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def fill_log(app: PeerApp, accounts: int, events_each: int) -> int:
    """Record ``accounts`` x ``events_each`` events through the mapper and the recorder."""
    to_stored = app.mapper.to_stored_event
    written = 0
    for batch in account_histories(accounts, events_each):
        stored = [to_stored(e) for account in batch for e in account.collect_events()]
        for i in range(0, len(stored), 10_000):
            app.recorder.insert_events(stored[i : i + 10_000])
        written += len(stored)
    return written


def long_account(app: PeerApp, events: int, batch: int) -> UUID:
    """One account of ``events`` events (deposits of 1.0), saved ``batch`` events at a time."""
    account = PeerAccount(account_id="ACCT-LONG")
    pending = 1
    for _ in range(events - 1):
        account.deposit_money(1.0)
        pending += 1
        if pending == batch:
            app.save(account)
            pending = 0
    if pending:
        app.save(account)
    assert account.version == events, account.version
    return account.id


def read_log_decoded(app: PeerApp, page: int = 10_000) -> int:
    """The library's global read: ``select_notifications`` pages, each decoded by the mapper."""
    select = app.recorder.select_notifications
    to_domain_event = app.mapper.to_domain_event
    start = 1
    seen = 0
    while True:
        items = select(start=start, limit=page)
        for item in items:
            to_domain_event(item)
        seen += len(items)
        if len(items) < page:
            return seen
        start = items[-1].id + 1
