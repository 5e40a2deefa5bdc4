"""A catch-up folded by several processes, one partition of the aggregates each (es/parallel.py).

On every store: a SQLite file folds in processes; the memory store and the servers (and any
view or setting that cannot be split) fold in one, with the same result.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stores import StoreFactory

from tui_es.domains.bank import ACCOUNT_QUERY, DOMAIN, DepositMoney, OpenAccount, WriteCheck
from tui_es.domains.bank.views import BankAccountView
from tui_es.es import Application, EventEnvelope, EventStore, View, ViewProjection, parallel
from tui_es.es.errors import DeserializationError
from tui_es.es.store import EncodedJson, EventFilter, ViewRow, partition_of
from tui_es.store import SqlEventStore

ACCOUNTS = [f"acct-{i}" for i in range(8)]


def write_history(app: Application, accounts: list[str] = ACCOUNTS) -> None:
    """Events of the accounts interleaved in the log, 8 per account."""
    for account in accounts:
        app.execute(account, OpenAccount(account_id=account))
    for round_ in range(1, 7):
        for account in accounts:
            app.execute(account, DepositMoney(amount=float(round_)))
    for n, account in enumerate(accounts):
        app.execute(account, WriteCheck(check_number=str(100 + n), amount=0.5))


def split(app: Application, processes: int = 2) -> None:
    """Fold any catch-up in ``processes``, in short stretches, with few rows kept."""
    dispatcher = app.dispatcher
    dispatcher.fold_processes = processes
    dispatcher.parallel_backlog = 1
    dispatcher.catch_up_stretch = 7
    dispatcher.working_rows = 4
    dispatcher.batch_size = 3


def processes_for(store: EventStore, asked: int = 2) -> int:
    return asked if store.partition_source() is not None else 1


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every fold process started; each must have ended by the end of the test."""
    processes: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recorded(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = popen(*args, **kwargs)
        processes.append(process)
        return process

    monkeypatch.setattr(parallel.subprocess, "Popen", recorded)
    yield processes
    assert [p.poll() is not None for p in processes] == [True] * len(processes)


def test_a_rebuild_in_processes_gives_the_live_rows(
    new_store: StoreFactory, started: list[subprocess.Popen[bytes]]
) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    write_history(app)
    live = store.view_rows("account_query")
    checkpoint = store.checkpoints()["account_query"]
    split(app, 3)
    progress: list[int] = []
    moved = app.rebuild("account_query", progress=lambda p, h: progress.append(p))
    assert moved == {"account_query": checkpoint}
    assert store.view_rows("account_query") == live
    assert store.checkpoints()["account_query"] == checkpoint
    assert app.dispatcher.last_fold_processes == {"account_query": processes_for(store, 3)}
    assert len(started) == processes_for(store, 3) - 1
    assert progress == sorted(set(progress)) and progress[-1] == checkpoint


def test_a_catch_up_in_processes_folds_what_another_program_appended(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    write_history(app, ACCOUNTS[:4])
    # another program (a cqrs-es service, say) appends without keeping the view
    write_history(Application(dataclasses.replace(DOMAIN, views=()), new_store()), ACCOUNTS[4:])
    for account in ACCOUNTS[:4]:
        Application(dataclasses.replace(DOMAIN, views=()), new_store()).execute(
            account, DepositMoney(amount=9.0)
        )
    split(app)
    moved = app.dispatcher.catch_up(store)
    assert moved["account_query"] == store.head_position() - 4 * 8
    assert app.dispatcher.last_fold_processes["account_query"] == processes_for(store)
    caught_up = store.view_rows("account_query")
    app.dispatcher.fold_processes = 1
    app.rebuild("account_query")
    assert caught_up == store.view_rows("account_query")
    assert len(caught_up) == 8
    assert {r.view_id: r.version for r in caught_up} == {
        **dict.fromkeys(ACCOUNTS[:4], 9),
        **dict.fromkeys(ACCOUNTS[4:], 8),
    }


@pytest.mark.parametrize(("changed", "partition"), [("acct-1", 1), ("acct-2", 0)])
def test_a_kept_row_is_read_again_if_it_changed(
    new_store: StoreFactory, changed: str, partition: int
) -> None:
    """Another program writes a row between two stretches; the stretch runs again on it.

    Partition 1 is folded by the other process (where there is one), partition 0 here:
    then the stretch fails here while the other process is still folding it.
    """
    store, other = new_store(), new_store()
    app = Application(DOMAIN, store)
    write_history(app, ["acct-1", "acct-2", "acct-3"])
    assert partition_of(changed, 2) == partition
    live = {row.view_id: row for row in store.view_rows("account_query")}
    transaction, other_transaction = store.transaction, other.transaction
    stretches: list[int] = []

    def tamper_after_the_first_stretch() -> Any:
        checkpoint = store.checkpoints().get("account_query", 0)
        stretches.append(checkpoint)
        if checkpoint == 3 and stretches.count(3) == 1:
            with other_transaction() as tx:
                row = tx.load_view("account_query", changed)
                assert row is not None and row.version == 1
                payload = {**row.payload, "ledger": [{"description": "tampered", "amount": 0.0}]}
                tx.save_view("account_query", ViewRow(changed, 101, payload), expected_version=1)
        return transaction()

    store.transaction = tamper_after_the_first_stretch  # type: ignore[method-assign]
    split(app)
    app.dispatcher.catch_up_stretch = 3
    app.rebuild("account_query")
    # the second stretch rolled back once and ran again; every other stretch ran once
    assert Counter(stretches) - Counter(set(stretches)) == Counter({3: 1})
    rows = {row.view_id: row for row in store.view_rows("account_query")}
    for account in {"acct-1", "acct-2", "acct-3"} - {changed}:
        assert rows[account] == live[account]
    assert rows[changed].version == live[changed].version + 100
    assert rows[changed].payload["ledger"] == [
        {"description": "tampered", "amount": 0.0},
        *live[changed].payload["ledger"],
    ]
    assert store.checkpoints()["account_query"] == store.head_position()


class BrokenAccountView(BankAccountView):
    """Fails on acct-3's fourth event (acct-3 is in the other process's partition)."""

    def update(self, envelope: EventEnvelope) -> None:
        if envelope.aggregate_id == "acct-3" and envelope.sequence == 4:
            raise ValueError("cannot fold acct-3 at 4")
        super().update(envelope)


BROKEN = dataclasses.replace(ACCOUNT_QUERY, name="broken_query", view=BrokenAccountView)


def test_an_error_in_another_process_is_raised_and_its_stretch_rolls_back(
    new_store: StoreFactory, started: list[subprocess.Popen[bytes]]
) -> None:
    store = new_store()
    write_history(Application(dataclasses.replace(DOMAIN, views=()), store))
    assert partition_of("acct-3", 2) == 1
    failing = store.read_events(filter=EventFilter(aggregate_id="acct-3"))[3].position
    assert failing is not None
    app = Application(dataclasses.replace(DOMAIN, views=(BROKEN,)), store, catch_up=False)
    split(app)
    with pytest.raises(ValueError, match="cannot fold acct-3 at 4"):
        app.rebuild("broken_query")
    assert len(started) == processes_for(store) - 1
    # whole stretches committed, up to the one with the failing event
    checkpoint = store.checkpoints()["broken_query"]
    assert checkpoint % 7 == 0 and checkpoint < failing <= checkpoint + 7
    # and each row holds exactly the events up to the checkpoint
    versions = {r.view_id: r.version for r in store.view_rows("broken_query")}
    expected: dict[str, int] = {}
    for event in store.read_events():
        if event.position is not None and event.position <= checkpoint:
            expected[event.aggregate_id] = expected.get(event.aggregate_id, 0) + 1
    assert versions == expected


@pytest.mark.parametrize("failure", ["exits at once", "cannot be started"])
def test_when_a_process_fails_to_start_the_fold_runs_in_one(
    new_store: StoreFactory, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    write_history(app)
    live = store.view_rows("account_query")
    if failure == "exits at once":
        monkeypatch.setattr(parallel, "_START", "import sys; sys.exit(3)")
    else:
        monkeypatch.setattr(parallel.sys, "executable", "/nonexistent/python")
    split(app)
    app.rebuild("account_query")
    assert store.view_rows("account_query") == live
    assert store.checkpoints()["account_query"] == store.head_position()
    assert app.dispatcher.last_fold_processes == {"account_query": 1}


def test_views_that_cannot_be_split_fold_in_one_process(new_store: StoreFactory) -> None:
    class LocalView(BankAccountView):  # not importable by name in another process
        pass

    by_type = dataclasses.replace(ACCOUNT_QUERY, name="by_type", view_id=lambda e: "all")
    local = dataclasses.replace(ACCOUNT_QUERY, name="local_query", view=LocalView)
    store = new_store()
    app = Application(dataclasses.replace(DOMAIN, views=(ACCOUNT_QUERY, by_type, local)), store)
    write_history(app)
    live = {name: store.view_rows(name) for name in ("account_query", "by_type", "local_query")}
    split(app)
    for name in live:
        app.rebuild(name)
        assert store.view_rows(name) == live[name]
    assert app.dispatcher.last_fold_processes == {
        "account_query": processes_for(store),
        "by_type": 1,
        "local_query": 1,
    }


def test_a_short_backlog_folds_in_one_process(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    write_history(app)
    split(app)
    app.dispatcher.parallel_backlog = store.head_position() + 1
    app.rebuild("account_query")
    assert app.dispatcher.last_fold_processes == {"account_query": 1}


def test_partitions_split_the_rows_without_overlap(new_store: StoreFactory) -> None:
    ids = ["a", "é", "ab", "日本", "acct-10", "acct-11", "x y", "Z"]
    store = new_store()
    write_history(Application(DOMAIN, store), ids)
    head = store.head_position()
    with store.transaction() as tx:
        whole = [r for rows in tx.iter_rows(0, head, ["account"], 5) for r in rows]
        for parts in (2, 3):
            seen: list[Any] = []
            for part in range(parts):
                rows = [r for b in tx.iter_rows(0, head, ["account"], 5, (part, parts)) for r in b]
                assert {partition_of(r[1], parts) for r in rows} <= {part}
                assert [r[7] for r in rows] == sorted(r[7] for r in rows)
                seen += rows
            assert sorted(seen, key=lambda r: r[7]) == whole
    assert len(whole) == 8 * len(ids)
    assert {partition_of(i, 3) for i in ids} == {0, 1, 2}


def test_a_view_row_given_as_json_text_is_stored_as_that_json(new_store: StoreFactory) -> None:
    store = new_store()
    Application(DOMAIN, store)
    with store.transaction() as tx:
        tx.save_view(
            "account_query",
            ViewRow("acct-1", 1, EncodedJson('{"account_id":"acct-1","balance":2.5}')),
            expected_version=0,
        )
    row = store.load_view("account_query", "acct-1")
    assert row is not None and row.payload == {"account_id": "acct-1", "balance": 2.5}


def test_a_view_class_is_sent_by_name() -> None:
    """What the other processes get must unpickle there: classes by their import path."""

    class Local(View):
        pass

    source = _FakeSource()
    codec = Application(DOMAIN, _memory()).codec
    assert parallel.FoldWorkers.can_send(source, codec, ACCOUNT_QUERY)
    local = dataclasses.replace(ACCOUNT_QUERY, view=Local)
    assert not parallel.FoldWorkers.can_send(source, codec, local)
    assert not parallel.FoldWorkers.can_send(
        source,
        codec,
        ViewProjection(
            "lambda_query",
            BankAccountView,
            frozenset({"account"}),
            view_id=lambda e: e.aggregate_id,
        ),
    )


@dataclasses.dataclass(frozen=True)
class _FakeSource:
    path: str = "x"

    def open(self) -> Any:
        raise NotImplementedError


def _memory() -> EventStore:
    from tui_es.es import InMemoryEventStore

    return InMemoryEventStore()


def test_an_undecodable_row_in_another_process_fails_the_rebuild_naming_it(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    store = SqlEventStore(tmp_path / "store.sqlite")
    app = Application(DOMAIN, store)
    write_history(app, ["acct-1", "acct-2", "acct-3"])
    assert partition_of("acct-3", 2) == 1
    damaged = store.read_events(filter=EventFilter(aggregate_id="acct-3"))[4].position
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        conn.execute("UPDATE events SET payload = '{' WHERE position = ?", (damaged,))
    conn.close()
    split(app)
    with pytest.raises(DeserializationError) as raised:
        app.rebuild("account_query")
    assert raised.value.position == damaged
    assert len(started) == 1
    checkpoint = store.checkpoints()["account_query"]
    assert checkpoint % 7 == 0 and checkpoint < damaged <= checkpoint + 7
    store.close()
