"""Workload 4: the state at a random version of a 100,000-event aggregate.

* tui-es: ``app.state(id, version=v)`` on an aggregate built with
  ``SnapshotPolicy.every(100)`` and read by an Application with that policy
  (the target), and on one built and read without snapshots.
* eventsourcing (no target): ``repository.get(id, version=v)`` with and
  without ``snapshotting_intervals`` of 100.
* sqlite3 (reference): SELECT the rows up to v, ``json.loads`` each.

The versions are drawn once with a fixed seed; every repeat reads all of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from benchmarks import peer, raw
from benchmarks.core import PEER, RAW, TUI, Context, Measurement, WorkloadResult, timed
from benchmarks.data import build_long_aggregate, open_store, viewless_app
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.snapshots import SnapshotPolicy

LONG = "ACCT-LONG"


@dataclass(frozen=True)
class Sizes:
    events: int = 100_000
    versions: int = 10  # random versions read per repeat
    seed: int = 4


FULL = Sizes()
QUICK = Sizes(events=5_000, versions=5)


def versions_for(sizes: Sizes) -> list[int]:
    rng = random.Random(sizes.seed)
    return [rng.randint(1, sizes.events) for _ in range(sizes.versions)]


def sample_versions(
    m: Measurement,
    subject: str,
    versions: list[int],
    fn: Callable[[int], Any],
    balance: Callable[[Any], float],
) -> None:
    for v in versions:
        seconds, state = timed(subject, partial(fn, v))
        got = balance(state)
        assert got == v - 1, (subject, v, got)
        m.runs_s.append(seconds)


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(4, "State at a random version", asdict(sizes))
    n = sizes.events
    versions = versions_for(sizes)
    result.params["versions_read"] = versions
    every = SnapshotPolicy.every(100)

    # -- build, untimed
    snap_store = open_store(ctx.db_path("w4-tui-snap"))
    build_long_aggregate(viewless_app(snap_store, every), LONG, n, batch=100)
    plain_store = open_store(ctx.db_path("w4-tui-plain"))
    build_long_aggregate(viewless_app(plain_store), LONG, n, batch=1000)
    peer_plain = peer.peer_app(ctx.db_path("w4-peer-plain"))
    plain_id = peer.long_account(peer_plain, n, batch=1000)
    peer_snap = peer.peer_app(ctx.db_path("w4-peer-snap"), peer.SnapshottingPeerApp)
    snap_id = peer.long_account(peer_snap, n, batch=100)
    conn = raw.connect(ctx.db_path("w4-raw"))
    raw.insert_one_transaction(conn, raw.to_rows(plain_store.load_events("account", LONG)))
    ctx.log(f"  workload 4: built the {n:,}-event aggregates")

    snapped = Application(DOMAIN, snap_store, snapshots=every, catch_up=False)
    plain = Application(DOMAIN, plain_store, catch_up=False)
    m_snap = result.measure("tui_state_snapshot_100", TUI, "app.state(id, version=v), every(100)")
    m_plain = result.measure(
        "tui_state_no_snapshots", TUI, "app.state(id, version=v), no snapshots"
    )
    m_peer_snap = result.measure(
        "peer_get_version_snapshot_100", PEER, "repository.get(id, version=v), intervals=100"
    )
    m_peer = result.measure("peer_get_version_no_snapshots", PEER, "repository.get(id, version=v)")
    m_raw = result.measure("raw_select_json", RAW, "SELECT rows <= v + json.loads", reference=True)

    def tui_balance(state: Any) -> float:
        aggregate, version = state
        assert version == int(aggregate.balance) + 1
        return float(aggregate.balance)

    def peer_balance(account: Any) -> float:
        return float(account.balance)

    def raw_balance(rows: list[Any]) -> float:
        return float(len(rows) - 1)

    # warm-up: the first read of each store pays for opening files and caches
    snapped.state(LONG, version=1)
    plain.state(LONG, version=1)
    peer_plain.repository.get(plain_id, version=1)
    peer_snap.repository.get(snap_id, version=1)
    for r in range(ctx.repeats):
        sample_versions(
            m_snap, TUI, versions, lambda v: snapped.state(LONG, version=v), tui_balance
        )
        sample_versions(m_plain, TUI, versions, lambda v: plain.state(LONG, version=v), tui_balance)
        sample_versions(
            m_peer_snap,
            PEER,
            versions,
            lambda v: peer_snap.repository.get(snap_id, version=v),
            peer_balance,
        )
        sample_versions(
            m_peer,
            PEER,
            versions,
            lambda v: peer_plain.repository.get(plain_id, version=v),
            peer_balance,
        )
        sample_versions(
            m_raw,
            RAW,
            versions,
            lambda v: raw.load_decoded(conn, "account", LONG, until=v),
            raw_balance,
        )
        ctx.log(f"  workload 4: repeat {r + 1}/{ctx.repeats} done")

    result.checks["states_checked"] = len(versions) * ctx.repeats
    last: Any = snapped.state(LONG, version=versions[-1])[0]
    result.checks["tui_balance_at_last_version"] = last.balance
    result.checks["expected_balance_at_last_version"] = float(versions[-1] - 1)
    snap_store.close()
    plain_store.close()
    peer_plain.close()
    peer_snap.close()
    conn.close()

    result.at_most_ms(
        "tui-es median <= 20 ms (snapshots every 100)",
        "tui_state_snapshot_100",
        20.0,
        f"4 state at random version of {n:,}, every(100)",
        peer=result.figure("peer_get_version_snapshot_100") + " (ref)",
        raw=result.figure("raw_select_json") + " (ref)",
    )
    result.info_row(
        f"4 state at random version of {n:,}, no snapshots",
        tui=result.figure("tui_state_no_snapshots"),
        peer=result.figure("peer_get_version_no_snapshots"),
    )
    return result
