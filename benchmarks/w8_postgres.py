"""Workload 8: PostgreSQL (local server): workloads 1 and 2, then 1 with 4 writer processes.

tui-es only, on a scratch database created for each repeat and dropped after
(as ``tests/servers.py`` does). No target yet: the figures are reported beside
SQLite's (workloads 1 and 2 of the same run, and the same 4 writers on a
SQLite file). Each writer process has its own Application and its own
accounts; the throughput is all their commands over the time from the first
start to the last finish.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from benchmarks import w1_commands
from benchmarks.core import TUI, Context, Measurement, WorkloadResult, remove_sqlite, timed
from benchmarks.data import account_ids, export_lines, open_accounts, open_store
from benchmarks.w2_import import events_for, import_events_api
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.framework import RetryPolicy


@dataclass(frozen=True)
class Sizes:
    accounts: int = 1000
    commands: int = 5000
    import_events: int = 200_000
    writers: int = 4
    sqlite_writers: bool = True  # the same writers on a SQLite file, for comparison


FULL = Sizes()
QUICK = Sizes(accounts=100, commands=300, import_events=10_000)


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new database on the server, its URL, and the database dropped afterwards."""
    name = f"tui_es_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


def server_info(admin_url: str) -> dict[str, Any]:
    admin = create_engine(admin_url)
    try:
        with admin.connect() as conn:
            return {
                "server_version": conn.exec_driver_sql("SHOW server_version").scalar(),
                "synchronous_commit": conn.exec_driver_sql("SHOW synchronous_commit").scalar(),
                "fsync": conn.exec_driver_sql("SHOW fsync").scalar(),
                "wal_sync_method": conn.exec_driver_sql("SHOW wal_sync_method").scalar(),
            }
    finally:
        admin.dispose()


# -- several writers ------------------------------------------------------------------------
def writer_process(
    url: str, index: int, accounts: int, commands: int, barrier: Any, results: Any
) -> None:
    """One writer: its own Application and accounts; waits for the others, then runs."""
    try:
        store = open_store(url)
        app = Application(DOMAIN, store, retry=RetryPolicy(attempts=10))
        ids = account_ids(accounts, prefix=f"W{index}")
        open_accounts(app, ids)
        barrier.wait()
        start = time.monotonic()
        w1_commands.tui_commands(app, ids, commands)
        end = time.monotonic()
        store.close()
        results.put((index, start, end, commands, None))
    except Exception as e:  # reported by the parent
        try:
            barrier.abort()
        finally:
            results.put((index, 0.0, 0.0, 0, f"{type(e).__name__}: {e}"))


def many_writers(url: str, writers: int, accounts: int, commands: int) -> tuple[float, int]:
    """Seconds from the first writer's start to the last one's end, and the commands run."""
    Application(DOMAIN, open_store(url)).store.close()  # the schema, before the race
    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(writers)
    results = mp.Queue()
    share_accounts = max(1, accounts // writers)
    share_commands = max(1, commands // writers)
    procs = [
        mp.Process(
            target=writer_process,
            args=(url, i, share_accounts, share_commands, barrier, results),
        )
        for i in range(writers)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [g[4] for g in got if g[4]]
    if errors:
        raise RuntimeError(f"writer failed: {errors[0]}")
    start = min(g[1] for g in got)
    end = max(g[2] for g in got)
    return end - start, sum(g[3] for g in got)


def count_events(url: str) -> int:
    store = open_store(url)
    try:
        return store.count_events()
    finally:
        store.close()


# -- the workload -----------------------------------------------------------------------------
def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(8, "PostgreSQL: workloads 1 and 2, and 1 with 4 writers", asdict(sizes))
    try:
        result.params["postgres"] = server_info(ctx.postgres_url)
    except Exception as e:
        result.status = f"error: PostgreSQL not reachable at {ctx.postgres_url}: {e}"
        result.notes.append(result.status)
        return result
    ids = account_ids(sizes.accounts)
    n = sizes.commands
    events = events_for(ctx, sizes.import_events)
    lines = export_lines(events)
    has_import_events = import_events_api()

    m_cmd = result.measure("pg_execute", TUI, "PostgreSQL: app.execute(DepositMoney)", n)
    m_imp = result.measure("pg_import_lines", TUI, "PostgreSQL: app.import_lines", len(events))
    m_imp_ev: Measurement | None = None
    if has_import_events:
        m_imp_ev = result.measure(
            "pg_import_events", TUI, "PostgreSQL: app.import_events", len(events)
        )
    m_many = result.measure(
        "pg_execute_4_writers",
        TUI,
        f"PostgreSQL: {sizes.writers} writer processes, app.execute",
        n,
    )
    m_many_sqlite = (
        result.measure(
            "sqlite_execute_4_writers",
            TUI,
            f"SQLite: {sizes.writers} writer processes, app.execute",
            n,
            reference=True,
        )
        if sizes.sqlite_writers
        else None
    )

    for r in range(ctx.repeats):
        with scratch_database(ctx.postgres_url) as url:
            store = open_store(url)
            app = Application(DOMAIN, store)
            open_accounts(app, ids)
            seconds, _ = timed(TUI, partial(w1_commands.tui_commands, app, ids, n))
            m_cmd.runs_s.append(seconds)
            result.checks["pg_commands_committed"] = store.count_events() - len(ids)
            view = store.load_view("account_query", ids[0])
            result.checks["pg_view_balance_first_account"] = (
                view.payload["balance"] if view else None
            )
            result.checks["expected_balance_first_account"] = w1_commands.expected_balance(
                0, len(ids), n
            )
            store.close()

        with scratch_database(ctx.postgres_url) as url:
            store = open_store(url)
            app = Application(DOMAIN, store)
            seconds, committed = timed(TUI, partial(app.import_lines, lines))
            m_imp.runs_s.append(seconds)
            result.checks["pg_import_lines_committed"] = len(committed)
            result.checks["pg_events_in_store"] = store.count_events()
            store.close()

        if m_imp_ev is not None:
            with scratch_database(ctx.postgres_url) as url:
                store = open_store(url)
                app = Application(DOMAIN, store)
                importer: Any = getattr(app, "import_events")  # noqa: B009
                seconds, _ = timed(TUI, partial(importer, events))
                m_imp_ev.runs_s.append(seconds)
                result.checks["pg_import_events_in_store"] = store.count_events()
                store.close()

        with scratch_database(ctx.postgres_url) as url:
            seconds, done = many_writers(url, sizes.writers, sizes.accounts, n)
            m_many.events = done
            m_many.runs_s.append(seconds)
            result.checks["pg_4_writers_commands"] = done
            result.checks["pg_4_writers_events_in_store"] = count_events(url)

        if m_many_sqlite is not None:
            path = ctx.db_path("w8-sqlite-writers")
            seconds, done = many_writers(str(path), sizes.writers, sizes.accounts, n)
            m_many_sqlite.events = done
            m_many_sqlite.runs_s.append(seconds)
            result.checks["sqlite_4_writers_events_in_store"] = count_events(str(path))
            remove_sqlite(path)
        ctx.log(f"  workload 8: repeat {r + 1}/{ctx.repeats} done")

    def sqlite_figure(number: int, key: str) -> str:
        earlier = ctx.cache.get("results", {}).get(number)
        if isinstance(earlier, WorkloadResult) and earlier.get(key) is not None:
            return f"SQLite: {earlier.figure(key)}"
        return "SQLite: (not run)"

    result.info_row(
        "8 PG command pipeline",
        tui=result.figure("pg_execute"),
        ratio="-",
        target=f"(no target) {sqlite_figure(1, 'tui_execute')}",
    )
    result.info_row(
        "8 PG bulk import (import_lines)",
        tui=result.figure("pg_import_lines"),
        target=f"(no target) {sqlite_figure(2, 'tui_import_lines')}",
    )
    if m_imp_ev is not None:
        result.info_row(
            "8 PG bulk import (import_events)",
            tui=result.figure("pg_import_events"),
            target=f"(no target) {sqlite_figure(2, 'tui_import_events')}",
        )
    result.info_row(
        f"8 PG command pipeline, {sizes.writers} writers",
        tui=result.figure("pg_execute_4_writers"),
        target=f"(no target) SQLite {sizes.writers} writers: "
        + result.figure("sqlite_execute_4_writers"),
    )
    return result
