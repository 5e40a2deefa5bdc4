"""What the reliability tests share: writer processes, and what a healthy store looks like."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tui_es.domains.bank import DOMAIN
from tui_es.es import Application
from tui_es.es.check import check_store
from tui_es.es.replay import iter_log

ROOT = Path(__file__).resolve().parents[2]


def spawn_worker(*args: str) -> subprocess.Popen[str]:
    """``python -m tests.reliability.worker ARGS``, its output piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def reported(output: str, kind: str) -> list[str]:
    """The command ids of the complete ``KIND <id>`` lines (a killed writer may cut the last)."""
    lines = output.split("\n")[:-1]
    return [line.split(" ", 1)[1] for line in lines if line.startswith(kind + " ")]


def command_ids(app: Application) -> Counter[str]:
    """How many stored events each command id has."""
    return Counter(e.metadata.get("command_id", "") for e in iter_log(app.store))


def problems(app: Application) -> list[str]:
    """What ``tui-es check`` reports (nothing for a healthy store)."""
    report = check_store(app.store, app.codec, list(DOMAIN.views))
    return [str(p) for p in report.problems]


def balances_follow(app: Application) -> list[str]:
    """Every money event's balance is the previous balance plus (or minus) its amount.

    A lost update (two writers both appending to the same version) would break
    the chain even where the sequences look fine.
    """
    wrong = []
    last: dict[str, float] = {}
    for event in iter_log(app.store):
        ((name, body),) = event.payload.items()
        if name == "AccountOpened":
            last[event.aggregate_id] = 0.0
            continue
        sign = 1.0 if name == "CustomerDepositedMoney" else -1.0
        expected = last[event.aggregate_id] + sign * body["amount"]
        if body["balance"] != expected:
            wrong.append(f"position {event.position}: balance {body['balance']} != {expected}")
        last[event.aggregate_id] = body["balance"]
    return wrong
