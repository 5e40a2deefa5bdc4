"""Workload 7: the dashboard on a 1,000,000-event store, driven headless. NOT MEASURED YET.

The issue's targets: start to the first complete screen <= 1.5 s; jump to any
position of the stream <= 100 ms; a time-travel step <= 50 ms; resident memory
<= 300 MB; following another process that appends 1,000 events/s, the stream
lags <= 1 s. This entry is a placeholder so that the suite's output shows the
gap: it reports no figure and no verdict until the measurement is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.core import Context, SummaryRow, WorkloadResult

NOT_MEASURED = "not measured yet"

TARGETS = (
    "start to first complete screen <= 1.5 s",
    "jump to any position <= 100 ms",
    "time-travel step <= 50 ms",
    "resident memory <= 300 MB",
    "follow 1,000 appended events/s with lag <= 1 s",
)


@dataclass(frozen=True)
class Sizes:
    events: int = 1_000_000


FULL = Sizes()
QUICK = Sizes(events=20_000)


def run(ctx: Context, sizes: Sizes = FULL) -> WorkloadResult:
    result = WorkloadResult(7, "Dashboard on a 1,000,000-event store", {"events": sizes.events})
    result.status = NOT_MEASURED
    result.notes.append(f"{NOT_MEASURED}: the headless dashboard measurement will be added later")
    for target in TARGETS:
        result.summary.append(
            SummaryRow(workload="7 dashboard", target=target, result=NOT_MEASURED)
        )
    return result
