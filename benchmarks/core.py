"""What every workload shares: timing, profiling, results, targets and scratch files."""

from __future__ import annotations

import gc
import itertools
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")

TUI = "tui-es"
PEER = "eventsourcing"
RAW = "sqlite3"
SUBJECTS = (TUI, PEER, RAW)

DEFAULT_POSTGRES = os.environ.get(
    "TUI_ES_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# -- profiling ------------------------------------------------------------------------------
class Profiling:
    """pyinstrument around the timed sections of one subject (tui-es), and nothing else.

    Each timed section gets its own profiler and the sessions are combined at
    the end, so setup, the other subjects and the gaps between runs stay out
    of the profile.
    """

    def __init__(self) -> None:
        self.subject: str | None = None
        self.interval = 0.001
        self.sessions: list[Any] = []

    def enable(self, subject: str = TUI, interval: float = 0.001) -> None:
        self.subject = subject
        self.interval = interval
        self.sessions = []

    def disable(self) -> None:
        self.subject = None

    def begin(self, subject: str) -> Any:
        if self.subject != subject:
            return None
        from pyinstrument import Profiler

        profiler = Profiler(interval=self.interval)
        profiler.start()
        return profiler

    def end(self, profiler: Any) -> None:
        if profiler is not None:
            self.sessions.append(profiler.stop())

    def render_text(self) -> str:
        from pyinstrument.renderers import ConsoleRenderer
        from pyinstrument.session import Session

        if not self.sessions:
            return "(no timed section of this subject ran)\n"
        session = self.sessions[0]
        for more in self.sessions[1:]:
            session = Session.combine(session, more)
        renderer = ConsoleRenderer(unicode=False, color=False, show_all=False, timeline=False)
        return str(renderer.render(session))


PROFILING = Profiling()


def timed(subject: str, fn: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``fn`` took (after a full collection), and what it returned."""
    seconds, _cpu, result = timed_cpu(subject, fn)
    return seconds, result


def timed_cpu(subject: str, fn: Callable[[], T]) -> tuple[float, tuple[float, float], T]:
    """``timed``, with the user and system CPU seconds the calling thread spent in ``fn``."""
    gc.collect()
    profiler = PROFILING.begin(subject)
    user, system = cpu_seconds()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - start
        user_after, system_after = cpu_seconds()
        PROFILING.end(profiler)
    return elapsed, (user_after - user, system_after - system), result


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU time of the calling thread so far (the process's off Linux)."""
    usage = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return usage.ru_utime, usage.ru_stime


def timed_into(measurement: Measurement, fn: Callable[[], T]) -> T:
    """``timed`` for ``measurement``'s subject, keeping the run's wall and CPU times in it.

    The CPU times tell a commit's wait for the disk from the work around it:
    at ``synchronous=FULL`` every command sleeps in its fsync, and the work that
    follows runs on caches that the sleep left cold.
    """
    seconds, (user, system), result = timed_cpu(measurement.subject, fn)
    measurement.runs_s.append(seconds)
    measurement.user_s.append(user)
    measurement.sys_s.append(system)
    return result


# -- results ----------------------------------------------------------------------------------
@dataclass
class Measurement:
    """One thing timed, every run of it: a throughput (``events`` > 0) or a latency.

    Or, with ``unit="MB"``, a memory size: ``runs_s`` then holds megabytes.
    """

    key: str
    subject: str
    label: str
    events: int = 0  # events one timed run handles; 0 for a latency
    runs_s: list[float] = field(default_factory=list)
    reference: bool = False  # shown for context, no target reads it
    unit: Literal["s", "MB"] = "s"
    user_s: list[float] = field(default_factory=list)  # CPU of each run, by ``timed_into``
    sys_s: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s)

    @property
    def median_ms(self) -> float:
        return self.median_s * 1000

    @property
    def rate(self) -> float:
        """Events per second at the median run."""
        return self.events / self.median_s if self.events and self.median_s > 0 else 0.0

    def figure(self) -> str:
        if self.unit == "MB":
            return f"{self.median_s:,.1f} MB"
        if self.events:
            return f"{self.rate:,.0f} ev/s"
        return f"{self.median_ms:,.2f} ms"

    def cpu_us_per_event(self) -> tuple[float, float] | None:
        """Median user and system CPU per event, in µs (None if not recorded)."""
        if not self.user_s or not self.events:
            return None
        return (
            statistics.median(self.user_s) / self.events * 1e6,
            statistics.median(self.sys_s) / self.events * 1e6,
        )

    def to_json(self) -> dict[str, Any]:
        if self.unit == "MB":
            return {
                "subject": self.subject,
                "label": self.label,
                "runs_mb": [round(r, 1) for r in self.runs_s],
                "median_mb": round(self.median_s, 1) if self.runs_s else None,
                "reference": self.reference,
            }
        out: dict[str, Any] = {
            "subject": self.subject,
            "label": self.label,
            "runs_s": [round(r, 6) for r in self.runs_s],
            "median_s": round(self.median_s, 6) if self.runs_s else None,
            "median_ms": round(self.median_ms, 3) if self.runs_s else None,
            "reference": self.reference,
        }
        if self.events:
            out["events"] = self.events
            out["events_per_s"] = round(self.rate, 1) if self.runs_s else None
        cpu = self.cpu_us_per_event()
        if cpu is not None:
            out["user_s"] = [round(r, 6) for r in self.user_s]
            out["sys_s"] = [round(r, 6) for r in self.sys_s]
            out["cpu_us_per_event"] = {"user": round(cpu[0], 1), "sys": round(cpu[1], 1)}
        return out


@dataclass
class Target:
    """A target of the issue: ``value`` (a ratio, ms or events/s) against ``threshold``."""

    text: str
    value: float | None
    threshold: float
    kind: Literal["at_least", "at_most"]
    unit: str  # "x", "ms", "ev/s" or "MB"
    basis: str  # how the value was computed

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        if self.kind == "at_least":
            return self.value >= self.threshold
        return self.value <= self.threshold

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]

    def value_text(self) -> str:
        if self.value is None:
            return "-"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit == "ms":
            return f"{self.value:,.2f} ms"
        if self.unit == "MB":
            return f"{self.value:,.1f} MB"
        return f"{self.value:,.0f} ev/s"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "value": None if self.value is None else round(self.value, 4),
            "threshold": self.threshold,
            "kind": self.kind,
            "unit": self.unit,
            "basis": self.basis,
            "result": self.verdict,
        }


@dataclass
class SummaryRow:
    """One line of the final table: what tui-es, the peer and raw SQLite did, and the verdict."""

    workload: str
    tui: str = "-"
    peer: str = "-"
    raw: str = "-"
    ratio: str = "-"
    target: str = "-"
    result: str = "-"

    def to_json(self) -> dict[str, str]:
        return {
            "workload": self.workload,
            "tui-es": self.tui,
            "eventsourcing": self.peer,
            "sqlite3": self.raw,
            "ratio": self.ratio,
            "target": self.target,
            "result": self.result,
        }


@dataclass
class WorkloadResult:
    number: int
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Measurement] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "measured"  # or "not measured yet", or "error: ..."

    def measure(
        self,
        key: str,
        subject: str,
        label: str,
        events: int = 0,
        *,
        reference: bool = False,
        unit: Literal["s", "MB"] = "s",
    ) -> Measurement:
        """The measurement under ``key``, created on first use."""
        if key not in self.measurements:
            self.measurements[key] = Measurement(key, subject, label, events, [], reference, unit)
        return self.measurements[key]

    def get(self, key: str) -> Measurement | None:
        found = self.measurements.get(key)
        return found if found is not None and found.runs_s else None

    # -- targets ------------------------------------------------------------------------------
    def faster_than(
        self, text: str, mine: str, theirs: str, threshold: float, row: str, **cells: str
    ) -> Target:
        """``mine`` at least ``threshold`` times ``theirs`` (rates, or inverse latencies)."""
        a, b = self.get(mine), self.get(theirs)
        value: float | None = None
        basis = f"{mine} / {theirs}"
        if a is not None and b is not None:
            if a.events and b.events:
                value = a.rate / b.rate
                basis = f"events/s of {mine} / events/s of {theirs}"
            else:
                value = b.median_s / a.median_s
                basis = f"median time of {theirs} / median time of {mine}"
        target = Target(text, value, threshold, "at_least", "x", basis)
        filled = {"tui": self.figure(mine)}
        other = self.measurements.get(theirs)
        if other is not None:
            filled[{PEER: "peer", RAW: "raw"}.get(other.subject, "tui")] = self.figure(theirs)
        self._row(row, target, **{**filled, **cells})
        return target

    def at_most_ms(
        self,
        text: str,
        key: str,
        threshold_ms: float,
        row: str,
        *,
        statistic: Literal["median", "max"] = "median",
        **cells: str,
    ) -> Target:
        m = self.get(key)
        value: float | None = None
        if m is not None:
            value = m.median_ms if statistic == "median" else max(m.runs_s) * 1000
        target = Target(text, value, threshold_ms, "at_most", "ms", f"{statistic} of {key}")
        self._row(row, target, **{"tui": self.figure(key), **cells})
        return target

    def at_most_mb(
        self, text: str, key: str, threshold_mb: float, row: str, **cells: str
    ) -> Target:
        """A memory size (a ``unit="MB"`` measurement, its largest run) at most ``threshold_mb``."""
        m = self.get(key)
        value = max(m.runs_s) if m is not None else None
        target = Target(text, value, threshold_mb, "at_most", "MB", f"max of {key}")
        self._row(row, target, **{"tui": self.figure(key), **cells})
        return target

    def at_least_rate(
        self, text: str, key: str, threshold: float, row: str, **cells: str
    ) -> Target:
        m = self.get(key)
        value = m.rate if m is not None else None
        target = Target(text, value, threshold, "at_least", "ev/s", f"events/s of {key}")
        self._row(row, target, **{"tui": self.figure(key), **cells})
        return target

    def _row(self, row: str, target: Target, **cells: str) -> None:
        self.targets.append(target)
        self.summary.append(
            SummaryRow(
                workload=row,
                ratio=target.value_text() if target.unit == "x" else "-",
                target=target.text,
                result=target.verdict,
                **cells,
            )
        )

    def info_row(self, row: str, **cells: str) -> None:
        """A summary line without a target (figures for comparison only)."""
        self.summary.append(SummaryRow(workload=row, **{"target": "(no target)", **cells}))

    def figure(self, key: str) -> str:
        m = self.get(key)
        return m.figure() if m is not None else "-"

    def ratio(self, mine: str, theirs: str) -> str:
        """``mine``'s rate over ``theirs``, as the targets print it ("-" if either is missing)."""
        a, b = self.get(mine), self.get(theirs)
        if a is None or b is None or not a.events or not b.events:
            return "-"
        return f"{a.rate / b.rate:.2f}x"

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "params": self.params,
            "measurements": {k: m.to_json() for k, m in self.measurements.items()},
            "targets": [t.to_json() for t in self.targets],
            "summary": [r.to_json() for r in self.summary],
            "checks": self.checks,
            "notes": self.notes,
        }


# -- where the databases live -------------------------------------------------------------------
@dataclass
class Context:
    """One run: scratch folder, repeats, the PostgreSQL admin URL, a log, shared stores."""

    tmp: Path
    repeats: int = 3
    postgres_url: str = DEFAULT_POSTGRES
    log: Callable[[str], None] = lambda _message: None
    cache: dict[str, Any] = field(default_factory=dict)
    _names: Iterator[int] = field(default_factory=itertools.count)

    def db_path(self, name: str) -> Path:
        """A path for a new SQLite file (nothing there yet)."""
        path = self.tmp / f"{name}-{next(self._names)}.sqlite"
        remove_sqlite(path)
        return path


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_repeats(ctx: Context, label: str, repeats: int, body: Callable[[int], None]) -> None:
    for r in range(repeats):
        body(r)
        ctx.log(f"  {label}: repeat {r + 1}/{repeats} done")
