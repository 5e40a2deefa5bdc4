"""Workload 5: read the whole log of 1,000,000 events, decoded, in global order.

* tui-es: ``iter_log(store)`` with ``app.codec.decode(row)`` per event; and, when
  tui-es has one, its decoded-read API (``tui_es.es.replay.iter_envelopes`` or a
  function of that kind, found by name at run time). For reference, ``iter_log``
  without decoding.
* eventsourcing: ``recorder.select_notifications`` pages of 10,000 with
  ``mapper.to_domain_event`` per notification.
* sqlite3 (reference): SELECT by position in pages of 10,000, ``json.loads`` of
  payload and metadata.

The stores are built once per run (untimed) and shared with workload 6.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from benchmarks import peer, raw
from benchmarks.core import PEER, RAW, TUI, Context, WorkloadResult, timed
from benchmarks.data import big_log, open_store
from tui_es.domains.bank import DOMAIN
from tui_es.es import replay
from tui_es.es.application import Application
from tui_es.es.replay import iter_log

# Names a faster decoded read of the log might have; the first that exists is used.
DECODED_READ_NAMES = ("iter_envelopes", "iter_decoded", "iter_log_decoded", "read_envelopes")


@dataclass(frozen=True)
class Sizes:
    events: int = 1_000_000


FULL = Sizes()
QUICK = Sizes(events=20_000)


def decoded_read_api(app: Application) -> tuple[str, Callable[[], Iterator[Any]]] | None:
    """tui-es's own decoded read of the whole log, if it has one: (its name, a call)."""
    for name in DECODED_READ_NAMES:
        fn = getattr(replay, name, None)
        if callable(fn):
            params = inspect.signature(fn).parameters
            if "codec" in params:
                return f"tui_es.es.replay.{name}", partial(fn, app.store, app.codec)
            return f"tui_es.es.replay.{name}", partial(fn, app.store)
        method = getattr(app, name, None)
        if callable(method):
            return f"Application.{name}", method
    return None


def read_decoded(app: Application) -> int:
    decode = app.codec.decode
    seen = 0
    for row in iter_log(app.store):
        decode(row)
        seen += 1
    return seen


def read_undecoded(app: Application) -> int:
    seen = 0
    for _ in iter_log(app.store):
        seen += 1
    return seen


def drain(make: Callable[[], Iterator[Any]]) -> int:
    seen = 0
    for _ in make():
        seen += 1
    return seen


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(5, "Read the whole log, decoded", asdict(sizes))
    log = big_log(ctx, sizes.events)
    result.params.update(events_in_log=log.events, accounts=log.accounts)
    store = open_store(log.tui_path)
    app = Application(DOMAIN, store, catch_up=False)
    papp = peer.peer_app(log.peer_path)
    conn = raw.connect(log.raw_path)
    peer_events = papp.recorder.max_notification_id() or 0
    result.params["peer_events_in_log"] = peer_events

    api = decoded_read_api(app)
    result.checks["decoded_read_api"] = api[0] if api else None
    m_tui = result.measure("tui_iter_log_decode", TUI, "iter_log + codec.decode", log.events)
    m_api = (
        result.measure("tui_decoded_api", TUI, f"{api[0]}", log.events) if api is not None else None
    )
    m_bare = result.measure(
        "tui_iter_log_only", TUI, "iter_log, not decoded", log.events, reference=True
    )
    m_peer = result.measure(
        "peer_select_decode", PEER, "select_notifications + to_domain_event", peer_events
    )
    m_raw = result.measure(
        "raw_select_json", RAW, "SELECT pages + json.loads", log.events, reference=True
    )

    for r in range(ctx.repeats):
        seconds, seen = timed(TUI, lambda: read_decoded(app))
        assert seen == log.events, seen
        m_tui.runs_s.append(seconds)
        if api is not None and m_api is not None:
            seconds, seen = timed(TUI, partial(drain, api[1]))
            assert seen == log.events, seen
            m_api.runs_s.append(seconds)
        seconds, seen = timed(TUI, lambda: read_undecoded(app))
        m_bare.runs_s.append(seconds)
        seconds, seen = timed(PEER, lambda: peer.read_log_decoded(papp))
        assert seen == peer_events, seen
        m_peer.runs_s.append(seconds)
        seconds, seen = timed(RAW, lambda: raw.read_log_decoded(conn))
        assert seen == log.events, seen
        m_raw.runs_s.append(seconds)
        ctx.log(f"  workload 5: repeat {r + 1}/{ctx.repeats} done")
    result.checks["events_read"] = log.events
    store.close()
    papp.close()
    conn.close()

    best = "tui_iter_log_decode"
    if m_api is not None and m_api.median_s < m_tui.median_s:
        best = "tui_decoded_api"
    result.checks["best_decoded_read"] = best
    if m_api is not None:
        result.info_row("5 read log: iter_log + decode", tui=result.figure("tui_iter_log_decode"))
    else:
        result.notes.append(
            "no decoded-read API found in tui_es.es.replay "
            f"(looked for {', '.join(DECODED_READ_NAMES)}): iter_log + codec.decode is measured"
        )
    result.faster_than(
        "tui-es >= 1.5x eventsourcing",
        best,
        "peer_select_decode",
        1.5,
        f"5 read {log.events:,} events decoded ({'api' if m_api is not None and best == 'tui_decoded_api' else 'iter_log+decode'})",
        raw=result.figure("raw_select_json") + " (ref)",
    )
    return result
