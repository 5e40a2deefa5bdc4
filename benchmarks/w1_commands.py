"""Workload 1: the command pipeline, one DepositMoney per transaction across 1,000 accounts.

* tui-es: ``app.execute(account_id, DepositMoney(amount=1.0))`` on
  ``Application(DOMAIN, SqlEventStore(path))``: load, handle, append, and the
  ``account_query`` view updated in the same transaction; for reference, the
  same commands on the domain without its view (what keeping it in step costs).
* eventsourcing: ``account.deposit_money(1.0); app.save(account)`` with the
  accounts kept in memory (one event per ``save()``, no view); also, for
  reference, ``repository.get`` + command + ``save`` (a replay per command).
* sqlite3: ``BEGIN IMMEDIATE; INSERT; COMMIT`` per pre-built row of tui-es's events table
  (and, for reference, of the same table without its event-type index); also, for
  reference, each deposit written by hand on sqlite3 with everything tui-es writes
  for it (event, view checkpoint, view row): what the view costs before any framework;
  and the same three statements with every value built ahead (untimed): the floor of
  what keeping the view in step in the command's transaction costs: only the driver's calls.

The accounts are opened first, untimed. Every repeat starts from a fresh file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import partial
from uuid import UUID

from benchmarks import peer, raw
from benchmarks.core import PEER, RAW, TUI, Context, WorkloadResult, remove_sqlite, timed_into
from benchmarks.data import account_ids, open_accounts, open_store
from tui_es.domains.bank import DOMAIN, DepositMoney
from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent


@dataclass(frozen=True)
class Sizes:
    accounts: int = 1000
    commands: int = 5000


FULL = Sizes()
QUICK = Sizes(accounts=100, commands=300)


def tui_commands(app: Application, ids: list[str], commands: int) -> int:
    execute = app.execute
    n = len(ids)
    for k in range(commands):
        execute(ids[k % n], DepositMoney(amount=1.0))
    return commands


def expected_balance(k: int, accounts: int, commands: int) -> float:
    """Deposits of 1.0 went round-robin: account k got this many."""
    return float(commands // accounts + (1 if k < commands % accounts else 0))


def raw_rows(ids: list[str], commands: int, first_position: int) -> list[raw.Row]:
    """The rows tui-es would write for the deposits (same payload and metadata shapes)."""
    n = len(ids)
    balances = dict.fromkeys(ids, 0.0)
    events = []
    for k in range(commands):
        account = ids[k % n]
        balances[account] += 1.0
        command_id = f"00000000-0000-4000-8000-{k:012d}"
        events.append(
            SerializedEvent(
                aggregate_type="account",
                aggregate_id=account,
                sequence=1 + k // n + 1,
                event_type="CustomerDepositedMoney",
                event_version="1.0",
                payload={"CustomerDepositedMoney": {"amount": 1.0, "balance": balances[account]}},
                metadata={
                    "time": "2026-11-02T08:30:00.000000+00:00",
                    "command_id": command_id,
                    "correlation_id": command_id,
                    "causation_id": command_id,
                },
                recorded_at="2026-11-02T08:30:00.000000+00:00",
            )
        )
    return raw.to_rows(events, first_position)


def raw_open_rows(ids: list[str]) -> list[raw.Row]:
    events = [
        SerializedEvent(
            "account",
            account,
            1,
            "AccountOpened",
            "1.0",
            {"AccountOpened": {"account_id": account}},
            {"time": "2026-11-02T08:30:00.000000+00:00"},
            recorded_at="2026-11-02T08:30:00.000000+00:00",
        )
        for account in ids
    ]
    return raw.to_rows(events)


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(1, "Command pipeline (1 command per transaction)", asdict(sizes))
    ids = account_ids(sizes.accounts)
    n = sizes.commands
    tui = result.measure("tui_execute", TUI, "app.execute(DepositMoney), account_query synced", n)
    tui_bare = result.measure(
        "tui_execute_no_views", TUI, "same, the domain without its view", n, reference=True
    )
    es_save = result.measure("peer_save", PEER, "deposit + save(), 1 event per save", n)
    es_get = result.measure(
        "peer_get_save", PEER, "repository.get + deposit + save()", n, reference=True
    )
    sql = result.measure("raw_insert", RAW, "BEGIN IMMEDIATE; INSERT; COMMIT per row", n)
    sql_minimal = result.measure(
        "raw_insert_minimal", RAW, "same, no event-type index", n, reference=True
    )
    by_hand = result.measure(
        "raw_by_hand_with_view",
        RAW,
        "by hand: event + checkpoint + view row per transaction",
        n,
        reference=True,
    )
    floor = result.measure(
        "raw_prebuilt_with_view",
        RAW,
        "the same SQL, every value built ahead (the floor)",
        n,
        reference=True,
    )
    rows = raw_rows(ids, n, sizes.accounts + 1)

    for r in range(ctx.repeats):
        # tui-es
        path = ctx.db_path("w1-tui")
        store = open_store(path)
        app = Application(DOMAIN, store)
        open_accounts(app, ids)
        timed_into(tui, partial(tui_commands, app, ids, n))
        view = store.load_view("account_query", ids[0])
        result.checks["tui_events_committed"] = store.count_events() - len(ids)
        result.checks["tui_view_balance_first_account"] = view.payload["balance"] if view else None
        tui_first_view = view.payload if view else None
        result.checks["expected_balance_first_account"] = expected_balance(0, len(ids), n)
        store.close()
        remove_sqlite(path)

        # tui-es without account_query: what keeping the view in step costs a command
        path = ctx.db_path("w1-tui-bare")
        store = open_store(path)
        app = Application(replace(DOMAIN, views=()), store)
        open_accounts(app, ids)
        timed_into(tui_bare, partial(tui_commands, app, ids, n))
        result.checks["tui_no_views_events_committed"] = store.count_events() - len(ids)
        result.checks["tui_no_views_checkpoints"] = len(store.checkpoints())
        store.close()
        remove_sqlite(path)

        # eventsourcing, aggregates in memory
        path = ctx.db_path("w1-peer")
        papp = peer.peer_app(path)
        accounts = peer.open_accounts(papp, len(ids))

        def peer_saves(
            accounts: list[peer.PeerAccount] = accounts, app: peer.PeerApp = papp
        ) -> int:
            save = app.save
            m = len(accounts)
            for k in range(n):
                account = accounts[k % m]
                account.deposit_money(1.0)
                save(account)
            return n

        timed_into(es_save, peer_saves)
        result.checks["peer_events_committed"] = (papp.recorder.max_notification_id() or 0) - len(
            ids
        )
        papp.close()
        remove_sqlite(path)

        # eventsourcing, each command replays its aggregate
        path = ctx.db_path("w1-peer-get")
        papp = peer.peer_app(path)
        opened = [a.id for a in peer.open_accounts(papp, len(ids))]

        def peer_get_saves(opened: list[UUID] = opened, app: peer.PeerApp = papp) -> int:
            get = app.repository.get
            save = app.save
            m = len(opened)
            for k in range(n):
                account: peer.PeerAccount = get(opened[k % m])
                account.deposit_money(1.0)
                save(account)
            return n

        timed_into(es_get, peer_get_saves)
        papp.close()
        remove_sqlite(path)

        # raw sqlite3: tui-es's table, then the table without the event-type index
        for measurement, minimal in ((sql, False), (sql_minimal, True)):
            path = ctx.db_path("w1-raw")
            conn = raw.connect(path, minimal=minimal)
            raw.insert_one_transaction(conn, raw_open_rows(ids))
            timed_into(measurement, partial(raw.insert_row_per_transaction, conn, rows))
            result.checks[f"raw_rows_committed{'_minimal' if minimal else ''}"] = raw.count(
                conn
            ) - len(ids)
            conn.close()
            remove_sqlite(path)

        # sqlite3 by hand, keeping account_query in step as tui-es does
        path = ctx.db_path("w1-raw-by-hand")
        conn = raw.connect(path)
        hand = raw.ByHand(conn, ids, raw_open_rows(ids))
        timed_into(by_hand, partial(hand.deposits, ids, n))
        result.checks["raw_by_hand_rows_committed"] = raw.count(conn) - len(ids)
        result.checks["raw_by_hand_view_balance_first_account"] = hand.balance(ids[0])
        # the same row as tui-es's, field for field
        result.checks["raw_by_hand_view_same_as_tui"] = hand.view_payload(ids[0]) == tui_first_view
        conn.close()
        remove_sqlite(path)

        # the by-hand deposits' SQL alone: the events, checkpoints and view rows built ahead
        path = ctx.db_path("w1-raw-prebuilt")
        conn = raw.connect(path)
        hand = raw.ByHand(conn, ids, raw_open_rows(ids))
        built = hand.build_all(ids, n)
        timed_into(floor, partial(hand.write_all, built))
        result.checks["raw_prebuilt_rows_committed"] = raw.count(conn) - len(ids)
        result.checks["raw_prebuilt_view_same_as_tui"] = hand.view_payload(ids[0]) == tui_first_view
        conn.close()
        remove_sqlite(path)
        ctx.log(f"  workload 1: repeat {r + 1}/{ctx.repeats} done")

    result.faster_than(
        "tui-es >= 1.2x eventsourcing",
        "tui_execute",
        "peer_save",
        1.2,
        "1 command pipeline vs eventsourcing",
    )
    result.faster_than(
        "tui-es >= 0.6x raw sqlite3", "tui_execute", "raw_insert", 0.6, "1 command pipeline vs raw"
    )
    result.notes.append(
        "eventsourcing repository.get + command + save() (a replay per command) for reference: "
        + result.figure("peer_get_save")
    )
    result.notes.append(
        "raw sqlite3 on the table without tui-es's event-type index, for reference: "
        + result.figure("raw_insert_minimal")
    )
    result.notes.append(
        "tui-es with the domain's view left out, for reference: "
        + result.figure("tui_execute_no_views")
    )
    result.notes.append(
        "sqlite3 by hand, writing the event, the view's checkpoint and its row per transaction"
        f" (no framework), for reference: {result.figure('raw_by_hand_with_view')}"
        f" = {result.ratio('raw_by_hand_with_view', 'raw_insert')} of raw"
    )
    result.notes.append(
        "sqlite3, the same three statements per transaction with every value built ahead (the"
        " floor for a view kept in step: only the driver's calls), for reference:"
        f" {result.figure('raw_prebuilt_with_view')}"
        f" = {result.ratio('raw_prebuilt_with_view', 'raw_insert')} of raw"
    )
    return result
