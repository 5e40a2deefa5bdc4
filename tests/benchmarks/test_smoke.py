"""Every benchmark workload at a tiny size: it runs, and what it measured makes sense.

No timing is asserted (only that rates and times are positive numbers): these
tests keep ``benchmarks/`` from rotting as tui-es changes. Workloads 1-7 run on
SQLite files (7 in child processes, as in a run), workload 8 on the local
PostgreSQL server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import (
    run,
    w1_commands,
    w2_import,
    w3_load,
    w4_state,
    w5_log,
    w6_rebuild,
    w7_dashboard,
    w8_postgres,
)
from benchmarks.core import PROFILING, TUI, Context, WorkloadResult
from tests.servers import POSTGRES_ADMIN


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """One context for the module, so that workloads 5 and 6 share their log, as in a run."""
    yield Context(tmp=tmp_path_factory.mktemp("bench"), repeats=1, postgres_url=POSTGRES_ADMIN)


def assert_sane(result: WorkloadResult) -> None:
    assert result.status == "measured", result.status
    assert result.measurements
    for m in result.measurements.values():
        assert m.runs_s, m.key
        assert all(math.isfinite(s) and s > 0 for s in m.runs_s), m.key
        if m.events:
            assert m.rate > 0, m.key
    for target in result.targets:
        assert target.value is not None and target.value > 0, target.text
        assert target.verdict in ("PASS", "FAIL")
    json.dumps(result.to_json())  # what the run writes
    run.print_workload(result)


def test_durability_is_the_same_for_every_subject(ctx: Context) -> None:
    found = run.durability(ctx)
    assert found["all_wal_synchronous_full"], found
    assert set(found["subjects"]) == {"tui-es", "eventsourcing", "sqlite3"}
    assert found["same_page_size"], found
    assert len({subject["page_size"] for subject in found["subjects"].values()}) == 1


def test_machine_info(ctx: Context) -> None:
    info = run.machine_info(ctx.tmp)
    assert info["nproc"] and info["sqlite_version"] and info["python"]
    assert info["packages"]["eventsourcing"] == "9.5.6"


def test_w1_command_pipeline(ctx: Context) -> None:
    result = w1_commands.run(ctx, w1_commands.Sizes(accounts=3, commands=10))
    assert_sane(result)
    assert result.checks["tui_events_committed"] == 10
    assert result.checks["peer_events_committed"] == 10
    assert result.checks["raw_rows_committed"] == 10
    assert result.checks["raw_rows_committed_minimal"] == 10
    assert result.checks["tui_view_balance_first_account"] == 4.0
    assert result.checks["expected_balance_first_account"] == 4.0
    # the reference run without the view wrote the same events and kept no checkpoint
    assert result.checks["tui_no_views_events_committed"] == 10
    assert result.checks["tui_no_views_checkpoints"] == 0
    # the by-hand reference wrote as many events and kept the view in step
    assert result.checks["raw_by_hand_rows_committed"] == 10
    assert result.checks["raw_by_hand_view_balance_first_account"] == 4.0
    assert result.checks["raw_by_hand_view_same_as_tui"] is True
    assert any("by hand" in note and "x of raw" in note for note in result.notes)
    # the floor: the same SQL with every value built ahead wrote the same rows
    assert result.checks["raw_prebuilt_rows_committed"] == 10
    assert result.checks["raw_prebuilt_view_same_as_tui"] is True
    assert any("built ahead" in note and "x of raw" in note for note in result.notes)
    assert len(result.targets) == 2
    # every subject's CPU per command is recorded beside its wall time
    for m in result.measurements.values():
        assert len(m.user_s) == len(m.sys_s) == len(m.runs_s) == ctx.repeats
        cpu = m.cpu_us_per_event()
        assert cpu is not None and cpu[0] + cpu[1] > 0
        # one thread: its CPU time is at most the wall time, give or take the kernel's
        # tick-late accounting of the running thread (up to 10 ms at each end)
        assert sum(m.user_s) + sum(m.sys_s) <= sum(m.runs_s) + 0.025 * len(m.runs_s)
        assert m.to_json()["cpu_us_per_event"] == {
            "user": round(cpu[0], 1),
            "sys": round(cpu[1], 1),
        }


def test_w2_bulk_import(ctx: Context) -> None:
    result = w2_import.run(ctx, w2_import.Sizes(events=200))
    assert_sane(result)
    events = result.params["events_generated"]
    assert events > 0
    assert result.checks["tui_import_lines_committed"] == events
    assert result.checks["tui_events_in_store"] == events
    assert result.checks["tui_account_query_rows"] == result.params["accounts"]
    assert result.checks["raw_rows_committed"] == events
    assert result.checks["peer_events_committed"] == events
    if result.checks["import_events_available"]:
        assert result.checks["tui_import_events_in_store"] == events


def test_w3_load_aggregate(ctx: Context) -> None:
    result = w3_load.run(ctx, w3_load.Sizes(events=150, samples=1))
    assert_sane(result)
    assert result.checks["tui_balance"] == result.checks["expected_balance"] == 149.0
    # the snapshot is at 100: the load with snapshots replays the 50 events after it
    assert result.checks["tui_events_read_150_True"] == 50
    assert result.checks["tui_events_read_150_False"] == 150


def test_w4_state_at_version(ctx: Context) -> None:
    result = w4_state.run(ctx, w4_state.Sizes(events=300, versions=3))
    assert_sane(result)
    assert result.checks["states_checked"] == 3
    assert (
        result.checks["tui_balance_at_last_version"]
        == result.checks["expected_balance_at_last_version"]
    )


def test_w5_read_log(ctx: Context) -> None:
    result = w5_log.run(ctx, w5_log.Sizes(events=300))
    assert_sane(result)
    assert result.checks["events_read"] == result.params["events_in_log"] == 300
    assert result.params["peer_events_in_log"] == 300


def test_w6_rebuild(ctx: Context) -> None:
    result = w6_rebuild.run(ctx, w6_rebuild.Sizes(events=300))
    assert_sane(result)
    assert result.checks["positions_folded"] == 300
    assert result.checks["view_rows"] == result.checks["accounts"] == 3
    assert result.checks["fold_processes"] == 1  # 300 positions: too few to split the fold


def test_w7_dashboard(ctx: Context) -> None:
    sizes = w7_dashboard.Sizes(
        events=2_000, starts=0, jumps=2, typed_jumps=1, steps=2, follow_seconds=0.3
    )
    result = w7_dashboard.run(ctx, sizes)
    assert_sane(result)
    assert len(result.targets) == 5
    assert len(result.measurements["tui_start"].runs_s) == 1  # the session child's start
    assert len(result.measurements["tui_jump"].runs_s) == 2
    assert len(result.measurements["tui_tt_step"].runs_s) == 2
    checks = result.checks
    first, last = checks["tt_versions_stepped"]
    assert last == first + 2 <= checks["tt_aggregate_version"]
    assert checks["follow_events_appended"] == 300 and checks["follow_batches"] == 3
    assert checks["follow_batches_never_drawn"] == 0
    assert checks["follow_last_position_drawn"] == result.params["events_in_store"] + 300
    assert checks["errors_notified"] == []


def test_w8_postgres(ctx: Context) -> None:
    result = w8_postgres.run(
        ctx,
        w8_postgres.Sizes(
            accounts=4, commands=8, import_events=200, writers=2, sqlite_writers=False
        ),
    )
    assert_sane(result)
    assert result.checks["pg_commands_committed"] == 8
    assert result.checks["pg_view_balance_first_account"] == 2.0
    assert result.checks["pg_import_lines_committed"] == result.checks["pg_events_in_store"]
    assert result.checks["pg_4_writers_commands"] == 8
    assert result.checks["pg_4_writers_events_in_store"] == 4 + 8


def test_profile_and_summary(ctx: Context, tmp_path: Path) -> None:
    PROFILING.enable(TUI)
    try:
        result = w1_commands.run(ctx, w1_commands.Sizes(accounts=2, commands=4))
    finally:
        PROFILING.disable()
    assert PROFILING.sessions  # one session per timed tui-es section
    assert "tui_commands" in PROFILING.render_text()
    run.print_summary(result.summary)
