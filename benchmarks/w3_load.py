"""Workload 3: load an aggregate of 10,000 events.

* tui-es: ``app.framework().load(id)`` with the default policy (no snapshots:
  replays 10,000 events), and with ``SnapshotPolicy.every(100)`` (the snapshot
  at 10,000, nothing to replay). For reference, the worst case of that policy:
  an aggregate of 10,099 events, 99 of them after the last snapshot.
* eventsourcing: ``repository.get(id)`` without snapshots (the target's
  baseline) and, for reference, with ``snapshotting_intervals`` of 100.
* sqlite3 (reference): SELECT the 10,000 rows and ``json.loads`` each payload and metadata.

The aggregates are built once (untimed): deposits of 1.0 after an open, 100
per commit with snapshots every 100 (each commit as ``execute`` does it), 1,000
per commit without. Each repeat times ``samples`` loads after one warm-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import peer, raw
from benchmarks.core import PEER, RAW, TUI, Context, Measurement, WorkloadResult, timed
from benchmarks.data import build_long_aggregate, open_store, viewless_app
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.snapshots import SnapshotPolicy

LONG = "ACCT-LONG"
TAIL = "ACCT-LONG-TAIL"


@dataclass(frozen=True)
class Sizes:
    events: int = 10_000
    samples: int = 5  # timed loads per repeat


FULL = Sizes()
QUICK = Sizes(events=2_000, samples=3)


def sample(
    m: Measurement, subject: str, samples: int, fn: Callable[[], Any], check: Callable[[Any], None]
) -> None:
    check(fn())  # warm-up, and the result is right
    for _ in range(samples):
        seconds, _ = timed(subject, fn)
        m.runs_s.append(seconds)


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(3, "Load an aggregate", asdict(sizes))
    n = sizes.events
    every = SnapshotPolicy.every(100)

    # -- build, untimed
    plain_store = open_store(ctx.db_path("w3-tui-plain"))
    build_long_aggregate(viewless_app(plain_store), LONG, n, batch=1000)
    snap_store = open_store(ctx.db_path("w3-tui-snap"))
    builder = viewless_app(snap_store, every)
    build_long_aggregate(builder, LONG, n, batch=100)
    build_long_aggregate(builder, TAIL, n + 99, batch=100)
    peer_plain = peer.peer_app(ctx.db_path("w3-peer-plain"))
    plain_id = peer.long_account(peer_plain, n, batch=1000)
    peer_snap = peer.peer_app(ctx.db_path("w3-peer-snap"), peer.SnapshottingPeerApp)
    snap_id = peer.long_account(peer_snap, n, batch=100)
    conn = raw.connect(ctx.db_path("w3-raw"))
    raw.insert_one_transaction(conn, raw.to_rows(plain_store.load_events("account", LONG)))
    ctx.log(f"  workload 3: built the {n:,}-event aggregates")

    plain = Application(DOMAIN, plain_store, catch_up=False).framework()
    snapped = Application(DOMAIN, snap_store, snapshots=every, catch_up=False).framework()

    m_plain = result.measure("tui_load_no_snapshots", TUI, "framework().load(id), no snapshots")
    m_snap = result.measure("tui_load_snapshot_100", TUI, "load(id), SnapshotPolicy.every(100)")
    m_tail = result.measure(
        "tui_load_snapshot_100_tail99",
        TUI,
        "load(id), every(100), 99 events after the snapshot",
        reference=True,
    )
    m_peer = result.measure("peer_get_no_snapshots", PEER, "repository.get(id), no snapshots")
    m_peer_snap = result.measure(
        "peer_get_snapshot_100",
        PEER,
        "repository.get(id), snapshotting_intervals=100",
        reference=True,
    )
    m_raw = result.measure("raw_select_json", RAW, "SELECT rows + json.loads", reference=True)

    def check_context(expected_sequence: int, uses_snapshot: bool) -> Callable[[Any], None]:
        def check(context: Any) -> None:
            assert context.sequence == expected_sequence, context.sequence
            assert context.aggregate.balance == expected_sequence - 1, context.aggregate.balance
            assert context.snapshot_used == uses_snapshot
            result.checks[f"tui_events_read_{expected_sequence}_{uses_snapshot}"] = (
                context.events_read
            )

        return check

    def check_peer(account: Any) -> None:
        assert account.version == n and account.balance == n - 1

    def check_raw(rows: list[Any]) -> None:
        assert len(rows) == n

    for r in range(ctx.repeats):
        sample(m_plain, TUI, sizes.samples, lambda: plain.load(LONG), check_context(n, False))
        sample(m_snap, TUI, sizes.samples, lambda: snapped.load(LONG), check_context(n, True))
        sample(m_tail, TUI, sizes.samples, lambda: snapped.load(TAIL), check_context(n + 99, True))
        sample(m_peer, PEER, sizes.samples, lambda: peer_plain.repository.get(plain_id), check_peer)
        sample(
            m_peer_snap, PEER, sizes.samples, lambda: peer_snap.repository.get(snap_id), check_peer
        )
        sample(
            m_raw, RAW, sizes.samples, lambda: raw.load_decoded(conn, "account", LONG), check_raw
        )
        ctx.log(f"  workload 3: repeat {r + 1}/{ctx.repeats} done")

    result.checks["tui_balance"] = plain.load(LONG).aggregate.balance
    result.checks["expected_balance"] = float(n - 1)
    plain_store.close()
    snap_store.close()
    peer_plain.close()
    peer_snap.close()
    conn.close()

    result.faster_than(
        "tui-es >= 4x faster than eventsourcing (no snapshots)",
        "tui_load_no_snapshots",
        "peer_get_no_snapshots",
        4.0,
        f"3 load {n:,} events, no snapshots",
        raw=result.figure("raw_select_json") + " (ref)",
    )
    result.at_most_ms(
        "tui-es <= 5 ms with a snapshot every 100",
        "tui_load_snapshot_100",
        5.0,
        f"3 load {n:,} events, snapshot every 100",
        peer=result.figure("peer_get_snapshot_100") + " (ref)",
    )
    result.info_row(
        "3 load, every 100, 99 events after it", tui=result.figure("tui_load_snapshot_100_tail99")
    )
    return result
