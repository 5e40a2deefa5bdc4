"""Workload 2: bulk import of 200,000 validated events, one transaction.

* tui-es: ``app.import_lines(lines)`` of the JSON Lines ``tui-es export`` writes
  (parse, validate every event against its type and the stream's sequence,
  append, update account_query); and ``app.import_events(events)`` of
  ``SerializedEvent``s when the Application has it.
* sqlite3: ``executemany`` of the pre-built rows in one transaction, into tui-es's events
  table (and, for reference, the same table without its event-type index).
* eventsourcing (reference, no target): one ``save()`` of the accounts holding
  all the events as pending events (mapping and insert in one transaction).

The events are synthesized once (``tui_es.demo.synthesize``); each repeat
imports into a fresh file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from benchmarks import peer, raw
from benchmarks.core import PEER, RAW, TUI, Context, WorkloadResult, remove_sqlite, timed
from benchmarks.data import export_lines, open_store, synthesized_list
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.envelope import SerializedEvent


@dataclass(frozen=True)
class Sizes:
    events: int = 200_000


FULL = Sizes()
QUICK = Sizes(events=10_000)


def import_events_api() -> bool:
    return hasattr(Application, "import_events")


def events_for(ctx: Context, total: int) -> list[SerializedEvent]:
    key = f"synthesized:{total}"
    if key not in ctx.cache:
        ctx.cache[key] = synthesized_list(total)
    events: list[SerializedEvent] = ctx.cache[key]
    return events


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(2, "Bulk import (one transaction)", asdict(sizes))
    events = events_for(ctx, sizes.events)
    n = len(events)
    accounts = len({e.aggregate_id for e in events})
    result.params.update(events_generated=n, accounts=accounts)
    lines = export_lines(events)
    rows = raw.to_rows(events)
    has_import_events = import_events_api()
    result.checks["import_events_available"] = has_import_events

    lines_m = result.measure("tui_import_lines", TUI, "app.import_lines(JSON Lines)", n)
    events_m = (
        result.measure("tui_import_events", TUI, "app.import_events(SerializedEvents)", n)
        if has_import_events
        else None
    )
    bulk_m = result.measure(
        "tui_import_events_bulk", TUI, "app.import_events(..., update_views=False)", n
    )
    catch_up_m = result.measure(
        "tui_views_catch_up", TUI, "then app.dispatcher.catch_up (views)", n, reference=True
    )
    sql = result.measure("raw_executemany", RAW, "executemany, one transaction", n)
    sql_minimal = result.measure(
        "raw_executemany_minimal", RAW, "same, no event-type index", n, reference=True
    )
    es = result.measure(
        "peer_save_all", PEER, "one save() of all pending events", n, reference=True
    )

    for r in range(ctx.repeats):
        path = ctx.db_path("w2-tui-lines")
        store = open_store(path)
        app = Application(DOMAIN, store)
        seconds, committed = timed(TUI, partial(app.import_lines, lines))
        lines_m.runs_s.append(seconds)
        result.checks["tui_import_lines_committed"] = len(committed)
        result.checks["tui_events_in_store"] = store.count_events()
        result.checks["tui_account_query_rows"] = store.view_count("account_query")
        store.close()
        remove_sqlite(path)

        if events_m is not None:
            path = ctx.db_path("w2-tui-events")
            store = open_store(path)
            app = Application(DOMAIN, store)
            importer: Any = getattr(app, "import_events")  # noqa: B009  (newer API, maybe absent)
            seconds, committed = timed(TUI, partial(importer, events))
            events_m.runs_s.append(seconds)
            result.checks["tui_import_events_in_store"] = store.count_events()
            store.close()
            remove_sqlite(path)

            path = ctx.db_path("w2-tui-bulk")
            store = open_store(path)
            app = Application(DOMAIN, store)
            seconds, committed = timed(TUI, partial(app.import_events, events, update_views=False))
            bulk_m.runs_s.append(seconds)
            seconds, _ = timed(TUI, partial(app.dispatcher.catch_up, store))
            catch_up_m.runs_s.append(seconds)
            result.checks["tui_bulk_in_store"] = store.count_events()
            result.checks["tui_bulk_views_lag"] = app.dispatcher.lag(store)["account_query"]
            store.close()
            remove_sqlite(path)

        # tui-es's table, then the table without the event-type index
        for measurement, minimal in ((sql, False), (sql_minimal, True)):
            path = ctx.db_path("w2-raw")
            conn = raw.connect(path, minimal=minimal)
            seconds, _ = timed(RAW, partial(raw.insert_one_transaction, conn, rows))
            measurement.runs_s.append(seconds)
            result.checks[f"raw_rows_committed{'_minimal' if minimal else ''}"] = raw.count(conn)
            conn.close()
            remove_sqlite(path)

        path = ctx.db_path("w2-peer")
        papp = peer.peer_app(path)
        pending = [
            a for batch in peer.account_histories(accounts, max(1, n // accounts)) for a in batch
        ]
        es.events = sum(len(a.pending_events) for a in pending)
        seconds, _ = timed(PEER, partial(papp.save, *pending))
        es.runs_s.append(seconds)
        result.checks["peer_events_committed"] = papp.recorder.max_notification_id()
        papp.close()
        del pending
        remove_sqlite(path)
        ctx.log(f"  workload 2: repeat {r + 1}/{ctx.repeats} done")

    best = "tui_import_lines"
    if events_m is not None and events_m.runs_s and events_m.median_s < lines_m.median_s:
        best = "tui_import_events"
    if bulk_m.runs_s and bulk_m.median_s < min(
        lines_m.median_s, events_m.median_s if events_m and events_m.runs_s else lines_m.median_s
    ):
        best = "tui_import_events_bulk"
    result.checks["best_bulk_path"] = best
    result.notes.append(
        f"the target is read on the best bulk path: {best} "
        f"({ {'tui_import_events': 'app.import_events', 'tui_import_events_bulk': 'app.import_events(update_views=False), views caught up after'}.get(best, 'app.import_lines') })"
        + ("" if has_import_events else "; Application.import_events does not exist yet")
    )
    if has_import_events:
        result.info_row("2 bulk import: import_lines", tui=result.figure("tui_import_lines"))
    result.notes.append(
        "raw sqlite3 on the table without tui-es's event-type index, for reference: "
        + result.figure("raw_executemany_minimal")
    )
    result.faster_than(
        "tui-es >= 0.5x raw executemany",
        best,
        "raw_executemany",
        0.5,
        f"2 bulk import ({best.removeprefix('tui_')})",
        peer=result.figure("peer_save_all") + " (ref)",
    )
    return result
