"""Workload 7: the dashboard on a 1,000,000-event store, driven headless.

The store is the run's big log (``data.big_log``: 1,000,000 events, among them
one account of 10,000 spread through the log), copied so that this workload's
appends leave the shared one alone, with its views caught up as a store in
use has them. Every figure comes from a *child process* running the real
``Dashboard`` headless (``run_test(size=(160, 48))``, the grid of four
panes, the default poll interval), so that its memory is the dashboard's own:

    python -m benchmarks.w7_dashboard start   --store PATH --json OUT
    python -m benchmarks.w7_dashboard session --store PATH --json OUT --aggregate ID ...
    python -m benchmarks.w7_dashboard append  --store PATH --json OUT --events N ...

When is something "shown"? The child's dashboard records every frame it
paints (its ``_display``, the compositor's output, which headless Textual
renders and then drops). After each frame it checks what the panes hold, and
a step is done at the first frame after which the check passes; nothing waits
a fixed time. Rows of the event stream count as drawn only once the stream's
own row cache holds them as drawn with their event (not as placeholders).

* **start** (``start``, one child per start, and the session child's start:
  median): from opening the store (``SqlEventStore``, ``Application`` with
  its catch-up, as ``tui-es ui`` does) and constructing the ``Dashboard`` to
  the first frame of a complete screen: the commands form mounted; the
  stream's window opened on the whole log, tailing, every row on screen drawn
  with its event, the newest among them; the projections' views table and
  first page of rows filled; the time travel pane's list of aggregate ids
  filled. For reference, the process's CPU time over the same span, and the
  time from spawning the process (interpreter and imports included).
* **jump** (``session``): ``show_position(p)`` for random positions (fixed
  seed) until the stream shows ``p`` selected, on screen, its row drawn with
  the cursor. For reference, until its details (which a jump opens) show it
  too, and jumps typed as a user does (``p``, the digits, then ``enter``
  timed).
* **time-travel step** (``session``): the biggest aggregate opened at its
  middle version (its load timed for reference), then ``→`` pressed on the
  version slider, each time until the pane shows the next version's state,
  title and event.
* **resident memory**: the session child's peak RSS (``VmHWM``) after all
  of its work: start, jumps, time travel and following the appends.
* **follow lag** (``session`` + ``append``): once the session child is
  tailing again, an ``append`` child imports batches of 100 events at 1,000
  events/s (``Application.import_events``, views updated, one transaction per
  batch) and records when each batch committed; the session child records
  when its stream first drew each position. Lag = drawn - committed, per batch
  (the clocks are ``time.monotonic``: CLOCK_MONOTONIC, shared by all processes
  on Linux). The target applies to the **maximum** lag.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.core import PROFILING, TUI, Context, WorkloadResult, remove_sqlite
from benchmarks.data import big_log, open_store

SIZE = (160, 48)
AGGREGATE_TYPE = "account"
FOLLOW_BATCH = 100
FOLLOW_RATE = 1_000  # events per second
FOLLOW_SEED = 424_243  # the appended accounts (checked against the store's ids)
JUMP_SEED = 7
WAIT_S = 60.0  # longest wait for any one thing to show before the child gives up
CHILD_TIMEOUT_S = 600.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    events: int = 1_000_000
    starts: int = 5  # start children
    jumps: int = 30
    typed_jumps: int = 5
    steps: int = 50
    follow_seconds: float = 10.0


FULL = Sizes()
QUICK = Sizes(events=20_000, starts=3, jumps=10, typed_jumps=3, steps=20, follow_seconds=3.0)


# == the parent: the workload ===================================================================
def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(7, "Dashboard on a 1,000,000-event store", asdict(sizes))
    log = big_log(ctx, sizes.events)
    path = ctx.db_path(f"w7-dashboard-{sizes.events}")
    copied_s, caught_up = prepare_store(log.tui_path, path)
    result.params.update(
        events_in_store=log.events,
        accounts=log.accounts,
        aggregate=log.biggest_id,
        aggregate_events=log.biggest_events,
        terminal=f"{SIZE[0]}x{SIZE[1]}",
        poll_interval_s=0.25,  # the Dashboard's default (not imported: the parent never loads Textual)
        follow_rate_events_per_s=FOLLOW_RATE,
        follow_batch=FOLLOW_BATCH,
    )
    result.checks.update(store_copy_s=round(copied_s, 2), views_caught_up_from=caught_up)
    ctx.log(f"  workload 7: store copied in {copied_s:.1f} s; views caught up from {caught_up}")
    profile_dir = Path(tempfile.mkdtemp(prefix="w7-profile-", dir=ctx.tmp))
    profiling = PROFILING.subject == TUI
    extra = ["--profile-dir", str(profile_dir)] if profiling else []
    try:
        measure_starts(ctx, result, path, sizes, extra)
        measure_session(ctx, result, path, log.biggest_id, log.biggest_events, sizes, extra)
        if profiling:
            load_profiles(profile_dir)
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)
        remove_sqlite(path)
    add_targets(result)
    return result


def measure_starts(
    ctx: Context, result: WorkloadResult, path: Path, sizes: Sizes, extra: list[str]
) -> None:
    """``sizes.starts`` start children (the session child's start is one more sample)."""
    for n in range(sizes.starts):
        out = ctx.tmp / f"w7-start-{n}.json"
        spawned = time.monotonic()
        child("start", path, out, *extra)
        found = json.loads(out.read_text())
        add_start(result, found, spawned)
        result.checks.setdefault("start_children_max_rss_mb", []).append(
            round(found["max_rss_mb"], 1)
        )
        result.checks.setdefault("start_children_memory_mb", []).append(found["memory_mb"]["start"])
        ctx.log(f"  workload 7: start {n + 1}/{sizes.starts}: {found['start_s'] * 1000:.0f} ms")


def add_start(result: WorkloadResult, found: dict[str, Any], spawned: float) -> None:
    result.measure(
        "tui_start", TUI, "open store + Dashboard -> first complete screen (160x48)"
    ).runs_s.append(found["start_s"])
    result.measure(
        "tui_start_cpu",
        TUI,
        "CPU time of the process during that start (all threads)",
        reference=True,
    ).runs_s.append(found["start_cpu_s"])
    result.measure(
        "tui_start_process",
        TUI,
        "spawn the process -> first complete screen (imports included)",
        reference=True,
    ).runs_s.append(found["complete_at"] - spawned)
    result.checks.setdefault("start_breakdown_s", []).append(found["breakdown_s"])


def measure_session(
    ctx: Context,
    result: WorkloadResult,
    path: Path,
    aggregate_id: str,
    aggregate_events: int,
    sizes: Sizes,
    extra: list[str],
) -> None:
    follow_events = max(FOLLOW_BATCH, int(sizes.follow_seconds * FOLLOW_RATE))
    follow_events -= follow_events % FOLLOW_BATCH
    spawned = time.monotonic()
    found, appended = run_session(ctx, path, aggregate_id, sizes, follow_events, extra)
    add_start(result, found, spawned)
    result.measure(
        "tui_jump", TUI, "show_position(p) -> p selected, its row drawn"
    ).runs_s += found["jumps_s"]
    result.measure(
        "tui_jump_details",
        TUI,
        "show_position(p) -> ... and its details shown",
        reference=True,
    ).runs_s += found["jumps_details_s"]
    result.measure(
        "tui_jump_typed", TUI, "p, digits, enter (timed) -> p selected, drawn", reference=True
    ).runs_s += found["typed_jumps_s"]
    result.measure(
        "tui_tt_open",
        TUI,
        f"time travel: open the {aggregate_events:,}-event aggregate -> shown",
        reference=True,
    ).runs_s.append(found["tt_open_s"])
    result.measure(
        "tui_tt_step", TUI, "time travel: right arrow -> next version shown"
    ).runs_s += found["steps_s"]
    result.measure(
        "tui_rss", TUI, "peak resident memory of the session child", unit="MB"
    ).runs_s.append(found["max_rss_mb"])
    phases = found["memory_mb"]
    anon = [m["RssAnon"] for m in phases.values() if "RssAnon" in m]
    if anon:
        result.measure(
            "tui_rss_anon",
            TUI,
            "... of it, anonymous (no file pages), largest at a phase end",
            unit="MB",
            reference=True,
        ).runs_s.append(max(anon))
    result.checks["session_memory_mb"] = phases
    file_pages = max((m.get("RssFile", 0.0) for m in phases.values()), default=0.0)
    if anon and file_pages > max(anon):
        result.notes.append(
            f"peak RSS is mostly mapped file pages: up to {file_pages:,.0f} MB, against at "
            f"most {max(anon):,.0f} MB of the process's own (anonymous) memory"
        )
    lags = follow_lags(found["follow_frames"], appended["batches"], found["follow_ended_at"])
    m_lag = result.measure(
        "tui_follow_lag", TUI, "follow: batch committed -> its last row drawn (each batch)"
    )
    m_lag.runs_s += [lag for lag, _drawn in lags]
    never = sum(not drawn for _lag, drawn in lags)
    result.checks.update(
        jump_positions=found["jump_positions"],
        tt_versions_stepped=[found["tt_first_version"], found["tt_last_version"]],
        tt_aggregate_version=found["tt_history_version"],
        follow_batches=len(appended["batches"]),
        follow_batches_never_drawn=never,
        follow_events_appended=appended["events"],
        follow_appended_rate=round(appended["rate"], 1),
        follow_last_position_drawn=found["follow_shown"],
        follow_lag_median_ms=round(m_lag.median_ms, 1) if m_lag.runs_s else None,
        follow_lag_max_ms=round(max(m_lag.runs_s, default=0.0) * 1000, 1),
        frames_painted=found["frames"],
        errors_notified=found["errors"],
        clock=found["clock"],
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
    if found["errors"]:
        result.notes.append(f"the dashboard notified errors: {found['errors'][:3]}")
    if never:
        result.notes.append(
            f"{never} appended batch(es) never drawn: their lag counts as at least the time "
            "to the end of the follow"
        )
    if appended["rate"] < 0.9 * FOLLOW_RATE:
        result.notes.append(
            f"the appending process reached {appended['rate']:,.0f} events/s, not {FOLLOW_RATE:,}"
        )


def add_targets(result: WorkloadResult) -> None:
    row = "7 dashboard"
    result.at_most_ms("start to first complete screen <= 1.5 s", "tui_start", 1500, f"{row}: start")
    result.at_most_ms("jump to any position <= 100 ms", "tui_jump", 100, f"{row}: jump")
    result.at_most_ms("time-travel step <= 50 ms", "tui_tt_step", 50, f"{row}: time-travel step")
    result.at_most_mb("resident memory <= 300 MB", "tui_rss", 300, f"{row}: resident memory")
    lag = result.get("tui_follow_lag")
    result.at_most_ms(
        "follow 1,000 events/s: max lag <= 1 s",
        "tui_follow_lag",
        1000,
        f"{row}: follow lag",
        statistic="max",
        tui=f"median {lag.median_ms:,.0f} ms, max {max(lag.runs_s) * 1000:,.0f} ms" if lag else "-",
    )


def prepare_store(source: Path, path: Path) -> tuple[float, int | None]:
    """Copy the shared log to ``path`` and catch its views up (None: they were up to date)."""
    from tui_es.domains.bank import DOMAIN
    from tui_es.es.application import Application

    started = time.perf_counter()
    src = sqlite3.connect(source)
    dst = sqlite3.connect(path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    copied = time.perf_counter() - started
    store = open_store(path)
    try:
        head = store.head_position()
        behind = min((store.checkpoints().get(v.name, 0) for v in DOMAIN.views), default=head)
        if behind >= head:
            return copied, None
        application = Application(DOMAIN, store, catch_up=False)
        if behind == 0:
            application.rebuild()  # the whole log: one sorted pass
        else:
            application.dispatcher.catch_up(store)
        return copied, behind
    finally:
        store.close()


def child_command(command: str, store: Path, out: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks.w7_dashboard",
        command,
        "--store",
        str(store),
        "--json",
        str(out),
        *args,
    ]


def child(command: str, store: Path, out: Path, *args: str) -> None:
    """Run a child to its end; its stderr is in the error if it fails."""
    done = subprocess.run(
        child_command(command, store, out, *args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command} child failed ({done.returncode}): {done.stderr[-3000:]}")


def run_session(
    ctx: Context,
    store: Path,
    aggregate_id: str,
    sizes: Sizes,
    follow_events: int,
    extra: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The session child, and the appending child once the session is ready to follow."""
    out = ctx.tmp / "w7-session.json"
    ready = ctx.tmp / "w7-session.ready"
    appended_json = ctx.tmp / "w7-append.json"
    ready.unlink(missing_ok=True)
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed below, the child writes it)
    session = subprocess.Popen(
        child_command(
            "session",
            store,
            out,
            "--aggregate",
            aggregate_id,
            "--jumps",
            str(sizes.jumps),
            "--typed-jumps",
            str(sizes.typed_jumps),
            "--steps",
            str(sizes.steps),
            "--follow-events",
            str(follow_events),
            "--ready",
            str(ready),
            *extra,
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while not ready.exists():
            if session.poll() is not None or time.monotonic() > deadline:
                errors.seek(0)
                raise RuntimeError(
                    f"session child stopped before following: {errors.read()[-3000:]}"
                )
            time.sleep(0.02)
        ctx.log("  workload 7: session ready to follow; appending")
        child(
            "append",
            store,
            appended_json,
            "--events",
            str(follow_events),
            "--batch",
            str(FOLLOW_BATCH),
            "--rate",
            str(FOLLOW_RATE),
        )
        code = session.wait(timeout=CHILD_TIMEOUT_S)
        if code != 0:
            errors.seek(0)
            raise RuntimeError(f"session child failed ({code}): {errors.read()[-3000:]}")
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
        errors.close()
    return json.loads(out.read_text()), json.loads(appended_json.read_text())


def follow_lags(
    frames: list[list[float]], batches: list[list[float]], ended: float
) -> list[tuple[float, bool]]:
    """Per batch: (when its last position was first drawn - when it committed, drawn at all).

    A batch never drawn gets the time from its commit to the end of the follow:
    a lower bound of its lag.
    """
    lags: list[tuple[float, bool]] = []
    k = 0
    for last_position, _begun, committed in batches:
        while k < len(frames) and frames[k][1] < last_position:
            k += 1
        if k < len(frames):
            lags.append((frames[k][0] - committed, True))
        else:
            lags.append((max(0.0, ended - committed), False))
    return lags


def load_profiles(folder: Path) -> None:
    """The children's pyinstrument sessions, into the run's profile."""
    from pyinstrument.session import Session

    for path in sorted(folder.glob("*.pyisession")):
        PROFILING.sessions.append(Session.load(str(path)))


# == the children =================================================================================
def max_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MB.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries it over ``exec`` from the
    forked copy of the parent, so a child of a big benchmark process would
    report the parent's peak (seen: 324 MB reported, 126 MB ``VmHWM``).
    """
    peak = memory_mb().get("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def memory_mb() -> dict[str, float]:
    """This process's resident memory now (Linux /proc), in MB.

    ``RssFile`` is mapped file pages (the interpreter, libraries); ``RssAnon``
    is the process's own memory: Python's heap, SQLite's page caches.
    """
    found: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    found[key] = round(int(value.split()[0]) / 1024, 1)  # kB
    except OSError:
        pass
    return found


class Profiles:
    """pyinstrument around the timed sections of a child (its UI thread), if asked for."""

    def __init__(self, folder: str | None, name: str) -> None:
        self.folder = Path(folder) if folder else None
        self.name = name
        self.count = 0
        self.profiler: Any = None

    def begin(self) -> None:
        if self.folder is not None:
            from pyinstrument import Profiler

            self.profiler = Profiler(interval=0.001, async_mode="disabled")
            self.profiler.start()

    def end(self) -> None:
        if self.profiler is not None:
            session = self.profiler.stop()
            self.profiler = None
            assert self.folder is not None
            session.save(str(self.folder / f"{self.name}-{os.getpid()}-{self.count}.pyisession"))
            self.count += 1


def measured_dashboard_class() -> type[Any]:
    """The dashboard with a frame hook (imported late: the parent never loads Textual)."""
    from rich.console import RenderableType
    from textual.screen import Screen

    from tui_es.tui.app import Dashboard

    class MeasuredDashboard(Dashboard):
        """Calls ``on_frame`` after every frame painted (headless: rendered, not written)."""

        frames = 0
        on_frame: list[Callable[[float], None]]

        def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            now = time.monotonic()
            self.frames += 1
            for hook in list(getattr(self, "on_frame", ())):
                hook(now)

    return MeasuredDashboard


def frame_when(app: Any, condition: Callable[[], bool]) -> asyncio.Future[float]:
    """The time of the first frame painted after which ``condition`` holds."""
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def hook(now: float) -> None:
        if not future.done() and condition():
            future.set_result(now)
            app.on_frame.remove(hook)

    app.on_frame.append(hook)
    return future


async def shown(future: asyncio.Future[float], what: str) -> float:
    try:
        return await asyncio.wait_for(future, WAIT_S)
    except TimeoutError:
        raise TimeoutError(f"not shown within {WAIT_S:.0f} s: {what}") from None


# -- what the panes show ----------------------------------------------------------------------------
def drawn_rows(stream: Any) -> dict[int, int]:
    """Rows of the stream's window drawn with their event: index -> position.

    ``EventLines`` caches each drawn row by (window, index, position, ...);
    a placeholder has no position. The cache is cleared when rows or the
    cursor change, so what it holds for the rows on screen is what is drawn.
    """
    mine = id(stream.window)
    return {key[1]: key[2] for key in strip_keys(stream) if key[0] == mine and key[2] is not None}


def strip_keys(stream: Any) -> list[tuple[Any, ...]]:
    """The keys of the rows ``EventLines`` has drawn: the measurement's one look inside."""
    cache = stream.lines._strips
    return list(cache.keys())


def on_screen(stream: Any) -> range:
    lines, window = stream.lines, stream.window
    top = lines.scroll_offset.y
    return range(top, min(top + lines.rows_visible, window.count))


def stream_tail_drawn(stream: Any, head: int) -> bool:
    """Tailing the log up to ``head``: every row on screen drawn, the newest among them."""
    window = stream.window
    if window is None or not window.opened or window.head < head or not stream.lines.tail:
        return False
    rows = on_screen(stream)
    if not rows or rows[-1] != window.count - 1:
        return False
    drawn = drawn_rows(stream)
    return all(index in drawn for index in rows)


def complete_screen(app: Any, head: int) -> bool:
    """All four panes show their first data (see the module's docstring)."""
    from textual.css.query import NoMatches

    try:
        return panes_complete(app, head)
    except (KeyError, NoMatches):  # not all composed yet
        return False


def panes_complete(app: Any, head: int) -> bool:
    from textual.widgets import DataTable, OptionList

    from tui_es.tui.commands.outcome import Outcome

    if not app.pane("commands").query(Outcome):
        return False
    if not stream_tail_drawn(app.pane("stream"), head):
        return False
    projections = app.pane("projections")
    loaded = projections.loaded
    if loaded is None:
        return False
    views = projections.query_one("#views", DataTable)
    rows = projections.query_one("#view-rows", DataTable)
    if views.row_count != len(loaded.views) or rows.row_count != len(loaded.rows):
        return False
    timetravel = app.pane("timetravel")
    return bool(timetravel.query_one("#tt-ids", OptionList).option_count > 0)


def position_drawn(stream: Any, position: int) -> bool:
    """``position`` selected and on screen, its row drawn with the cursor on it."""
    window, lines = stream.window, stream.lines
    cursor = lines.cursor
    if window is None or cursor is None or cursor not in on_screen(stream):
        return False
    event = window.get(cursor)
    if event is None or event.position != position:
        return False
    mine = id(window)
    return any(
        k[0] == mine and k[1] == cursor and k[2] == position and k[4] for k in strip_keys(stream)
    )


def details_shown(stream: Any, position: int) -> bool:
    """``position`` drawn as selected, and the details under the rows show its event."""
    from textual.content import Content
    from textual.widgets import Static

    if not position_drawn(stream, position) or not stream.has_class("-detail"):
        return False
    title = stream.query_one("#stream-detail #event-title", Static).content
    text = title.plain if isinstance(title, Content) else str(title)
    return f"#{position} " in text


def version_shown(timetravel: Any, version: int) -> bool:
    """The pane at ``version``: slider, state title, the event that led to it."""
    from textual.content import Content
    from textual.widgets import Static

    if timetravel.version != version or timetravel.slider.value != version:
        return False
    title = timetravel.query_one("#tt-state-title", Static).content
    text = title.plain if isinstance(title, Content) else str(title)
    if f"at version {version} of" not in text:
        return False
    event = timetravel.history.event_at(version) if timetravel.history else None
    shown_title = timetravel.query_one("#tt-event #event-title", Static).content
    shown_text = shown_title.plain if isinstance(shown_title, Content) else str(shown_title)
    return event is None or f"seq {version} " in shown_text


def focused(app: Any, widget: Any) -> bool:
    return app.focused is widget


def has_value(field: Any, text: str) -> bool:
    return bool(field.value == text)


def errors_of(app: Any) -> list[str]:
    return [
        f"{n.title}: {n.message}"
        for n in getattr(app, "_notifications", [])
        if getattr(n, "severity", "") == "error"
    ]


# -- start ----------------------------------------------------------------------------------------
def head_of(store_path: str) -> int:
    """The log's head, read aside (not part of any timed section)."""
    conn = sqlite3.connect(store_path)
    try:
        return int(conn.execute("SELECT max(position) FROM events").fetchone()[0] or 0)
    finally:
        conn.close()


@asynccontextmanager
async def started(store_path: str, profiles: Profiles) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """Open the store and the dashboard, headless; yields (app, figures) once the screen is complete."""
    from tui_es.domains.bank import DOMAIN
    from tui_es.es.application import Application

    cls = measured_dashboard_class()
    head = head_of(store_path)
    gc.collect()
    profiles.begin()
    cpu0 = time.process_time()
    t0 = time.monotonic()
    store = open_store(store_path)
    application = Application(DOMAIN, store)
    t_app = time.monotonic()
    app = cls(application)
    app.on_frame = []
    complete = frame_when(app, lambda: complete_screen(app, head))
    t_dashboard = time.monotonic()
    async with app.run_test(size=SIZE):
        t_running = time.monotonic()
        t_complete = await shown(complete, "the first complete screen")
        cpu = time.process_time() - cpu0
        profiles.end()
        figures = {
            "start_s": t_complete - t0,
            "start_cpu_s": cpu,
            "complete_at": t_complete,
            "head": head,
            "breakdown_s": {
                "store_and_application": round(t_app - t0, 4),
                "dashboard_constructed": round(t_dashboard - t_app, 4),
                "app_running": round(t_running - t0, 4),
                "complete": round(t_complete - t0, 4),
            },
        }
        yield app, figures


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (untimed) for ``condition``, checking every few milliseconds."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {WAIT_S:.0f} s: {what}")
        await asyncio.sleep(0.005)


async def start_main(args: argparse.Namespace) -> dict[str, Any]:
    async with started(args.store, Profiles(args.profile_dir, "start")) as (app, figures):
        figures["errors"] = errors_of(app)
        figures["memory_mb"] = {"start": memory_mb()}
    figures["max_rss_mb"] = max_rss_mb()
    return figures


# -- session --------------------------------------------------------------------------------------
async def session_main(args: argparse.Namespace) -> dict[str, Any]:
    async with started(args.store, Profiles(None, "")) as (app, figures):
        figures["memory_mb"] = {"start": memory_mb()}
        result = await session(app, figures, args)
    result["max_rss_mb"] = max_rss_mb()
    return result


async def session(app: Any, figures: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from textual import events
    from textual.widgets import Input

    profiles = Profiles(args.profile_dir, "session")
    head = figures["head"]
    stream = app.pane("stream")
    timetravel = app.pane("timetravel")
    rng = random.Random(JUMP_SEED)

    def press(key: str, character: str | None = None) -> None:
        app._driver.send_message(events.Key(key, character))  # as a terminal's input does

    async def settle() -> None:
        """Let the last frame's workers and refreshes finish before the next timed action."""
        await asyncio.sleep(0.05)
        gc.collect()

    # -- jumps: show_position(p)
    positions = [rng.randint(1, head) for _ in range(args.jumps)]
    jumps: list[float] = []
    jumps_details: list[float] = []
    for position in positions:
        await settle()
        drawn = frame_when(app, partial(position_drawn, stream, position))
        detailed = frame_when(app, partial(details_shown, stream, position))
        profiles.begin()
        t0 = time.monotonic()
        stream.show_position(position)
        jumps.append(await shown(drawn, f"position {position}") - t0)
        jumps_details.append(await shown(detailed, f"details of {position}") - t0)
        profiles.end()

    memory = figures["memory_mb"]
    memory["jumps"] = memory_mb()

    # -- jumps typed: p, the digits, enter (enter timed)
    typed: list[float] = []
    for _ in range(args.typed_jumps):
        position = rng.randint(1, head)
        await settle()
        lines = stream.lines
        lines.focus()
        await until(partial(focused, app, lines), "focus on the stream")
        press("p", "p")
        goto = stream.query_one("#stream-goto", Input)
        await until(partial(focused, app, goto), "the go-to field")
        for digit in str(position):
            press(digit, digit)
        await until(partial(has_value, goto, str(position)), "the position typed")
        await asyncio.sleep(0.02)
        done = frame_when(app, partial(position_drawn, stream, position))
        t0 = time.monotonic()
        press("enter", "\r")
        typed.append(await shown(done, f"typed position {position}") - t0)

    # -- time travel: open the biggest aggregate at its middle version, then step
    await settle()
    last = stream.application.store.last_sequence(AGGREGATE_TYPE, args.aggregate)
    middle = max(0, min(last // 2, last - args.steps))
    opened = frame_when(app, lambda: version_shown(timetravel, middle))
    t0 = time.monotonic()
    timetravel.show_aggregate(AGGREGATE_TYPE, args.aggregate, middle)
    tt_open = await shown(opened, f"{args.aggregate} at version {middle}") - t0
    memory["time_travel_open"] = memory_mb()
    slider = timetravel.slider
    slider.focus()
    await until(partial(focused, app, slider), "focus on the version slider")
    steps: list[float] = []
    for _ in range(args.steps):
        await settle()
        target = timetravel.version + 1
        done = frame_when(app, partial(version_shown, timetravel, target))
        profiles.begin()
        t0 = time.monotonic()
        press("right")
        steps.append(await shown(done, f"version {target}") - t0)
        profiles.end()

    memory["time_travel_steps"] = memory_mb()

    # -- follow: tail again, say so, then record when each new position is drawn
    await settle()
    tailing = frame_when(app, lambda: stream_tail_drawn(stream, head))
    stream.lines.action_last()
    await shown(tailing, "the stream tailing again")
    last_position = head + args.follow_events
    frames: list[list[float]] = []

    def follow(now: float) -> None:
        window = stream.window
        if window is None or not stream.lines.tail:
            return
        drawn = drawn_rows(stream)
        for index in reversed(on_screen(stream)):
            position = drawn.get(index)
            if position is not None:
                if not frames or position > frames[-1][1]:
                    frames.append([now, position])
                return

    app.on_frame.append(follow)
    followed = frame_when(app, lambda: bool(frames) and frames[-1][1] >= last_position)
    Path(args.ready).write_text(str(head))
    with suppress(TimeoutError):  # reported: the batches never drawn
        await asyncio.wait_for(followed, WAIT_S + args.follow_events / FOLLOW_RATE)
    ended = time.monotonic()
    memory["follow"] = memory_mb()
    app.on_frame.remove(follow)
    result = {
        **figures,
        "jump_positions": positions,
        "jumps_s": jumps,
        "jumps_details_s": jumps_details,
        "typed_jumps_s": typed,
        "tt_open_s": tt_open,
        "tt_first_version": middle,
        "tt_last_version": timetravel.version,
        "tt_history_version": last,
        "steps_s": steps,
        "follow_frames": frames,
        "follow_shown": frames[-1][1] if frames else None,
        "follow_ended_at": ended,
        "frames": app.frames,
        "errors": errors_of(app),
        "clock": time.get_clock_info("monotonic").implementation,
    }
    return result


# -- append ---------------------------------------------------------------------------------------
def append_main(args: argparse.Namespace) -> dict[str, Any]:
    """Import ``events`` new events in batches, paced at ``rate`` events/s; when each committed."""
    from tui_es.demo import synthesize
    from tui_es.domains.bank import DOMAIN
    from tui_es.es.application import Application

    store = open_store(args.store)
    application = Application(DOMAIN, store, catch_up=False)
    accounts = max(1, args.events // 100)
    seed = FOLLOW_SEED
    while True:
        events = synthesize(DOMAIN, accounts, 100, seed=seed)[: args.events]
        ids = {e.aggregate_id for e in events}
        if not any(store.last_sequence(AGGREGATE_TYPE, i) for i in ids):
            break
        seed += 1
    batches: list[list[float]] = []
    started = time.monotonic()
    for k in range(0, len(events), args.batch):
        due = started + k / args.rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        begun = time.monotonic()
        committed = application.import_events(events[k : k + args.batch])
        done = time.monotonic()
        batches.append([committed[-1].position or 0, begun, done])
    elapsed = time.monotonic() - started
    store.close()
    return {"events": len(events), "batches": batches, "rate": len(events) / elapsed}


# -- entry point ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w7_dashboard")
    parser.add_argument("command", choices=("start", "session", "append"))
    parser.add_argument("--store", required=True)
    parser.add_argument("--json", required=True, type=Path)
    parser.add_argument("--aggregate")
    parser.add_argument("--jumps", type=int, default=FULL.jumps)
    parser.add_argument("--typed-jumps", type=int, default=FULL.typed_jumps)
    parser.add_argument("--steps", type=int, default=FULL.steps)
    parser.add_argument("--follow-events", type=int, default=10_000)
    parser.add_argument("--ready")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=FOLLOW_BATCH)
    parser.add_argument("--rate", type=float, default=FOLLOW_RATE)
    parser.add_argument("--profile-dir")
    args = parser.parse_args(argv)
    if args.command == "start":
        found = asyncio.run(start_main(args))
    elif args.command == "session":
        if not args.aggregate or not args.ready:
            parser.error("session needs --aggregate and --ready")
        found = asyncio.run(session_main(args))
    else:
        found = append_main(args)
    args.json.write_text(json.dumps(found), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
