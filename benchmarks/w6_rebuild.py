"""Workload 6: rebuild account_query from the 1,000,000-event log.

``app.rebuild("account_query")`` empties the view and folds the whole log
into it again, split by aggregate over one process per CPU (at most four), as
any catch-up of 100,000 positions or more on a SQLite file is. Neither peer has an equivalent to time here: eventsourcing's
``ProjectionRunner`` needs ``subscribe()``, which its SQLite recorder lacks
(its read-and-decode rate, workload 5, bounds any projection of it).
The log is workload 5's, built once per run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from benchmarks.core import TUI, Context, WorkloadResult, timed
from benchmarks.data import big_log, open_store
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application


@dataclass(frozen=True)
class Sizes:
    events: int = 1_000_000


FULL = Sizes()
QUICK = Sizes(events=20_000)


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(6, "Rebuild account_query", asdict(sizes))
    log = big_log(ctx, sizes.events)
    result.params.update(events_in_log=log.events, accounts=log.accounts)
    store = open_store(log.tui_path)
    app = Application(DOMAIN, store, catch_up=False)
    m = result.measure("tui_rebuild", TUI, 'app.rebuild("account_query")', log.events)
    for r in range(ctx.repeats):
        seconds, moved = timed(TUI, lambda: app.rebuild("account_query"))
        m.runs_s.append(seconds)
        result.checks["positions_folded"] = moved["account_query"]
        result.checks["view_rows"] = store.view_count("account_query")
        result.checks["fold_processes"] = app.dispatcher.last_fold_processes["account_query"]
        ctx.log(f"  workload 6: repeat {r + 1}/{ctx.repeats} done")
    result.checks["accounts"] = log.accounts
    result.params["fold_processes"] = app.dispatcher.fold_processes
    result.notes.append(
        f"folded in {result.checks['fold_processes']} processes (one per CPU, at most four)"
    )
    store.close()
    result.at_least_rate(
        "tui-es >= 100,000 events/s",
        "tui_rebuild",
        100_000,
        f"6 rebuild account_query ({log.events:,} events)",
        peer="n/a",
        raw="n/a",
    )
    return result
