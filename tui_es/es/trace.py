"""The command trace: what ``execute`` did, step by step, with its values and timings.

load (snapshot v + k events → state) → handle (events or the error) →
commit (expected version, sequences, positions) → dispatch (each view's rows
before and after, its checkpoint moving). The dashboard shows it after every
command; ``tui-es trace`` prints it as JSON.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TraceStep:
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    milliseconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"step": self.name, "ms": round(self.milliseconds, 3), **self.values}


@dataclass
class CommandTrace:
    aggregate_type: str
    aggregate_id: str
    command: dict[str, Any]
    steps: list[TraceStep] = field(default_factory=list)
    outcome: str = "running"  # committed, no events, rejected, conflict, failed
    error: str | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[TraceStep]:
        step = TraceStep(name)
        self.steps.append(step)
        started = time.perf_counter()
        try:
            yield step
        finally:
            step.milliseconds = (time.perf_counter() - started) * 1000

    def get(self, name: str) -> TraceStep | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def milliseconds(self) -> float:
        # dispatch runs inside the commit's transaction: its time is part of the commit's
        return sum(s.milliseconds for s in self.steps if s.name != "dispatch")

    def to_json(self) -> dict[str, Any]:
        return {
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "command": self.command,
            "outcome": self.outcome,
            "error": self.error,
            "ms": round(self.milliseconds, 3),
            "steps": [s.to_json() for s in self.steps],
        }
