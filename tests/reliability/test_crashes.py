"""A writer killed with SIGKILL at random points loses nothing it acknowledged.

Each round starts ``tests/reliability/worker.py`` on the same store, lets it run
a stream of commands, and kills it (SIGKILL) after a random delay: while it is
starting and catching up, in the middle of a command, between a commit and
the after-commit query, or between a commit and printing its ``ack``. After
every kill:

- ``check`` passes on the store as the killed process left it, before any
  catch-up: views are written in the commit's transaction, so they are never
  behind and equal a rebuild;
- every acknowledged command is stored, and every command at most once;
- opening the store again brings the after-commit query (``LedgerQuery``,
  whose checkpoint lags while it works) up to the head: its file then holds
  every position of the log.

CI runs 5 rounds per backend; the full 20 (or any number) with::

    TUI_ES_CRASH_ROUNDS=20 .venv/bin/pytest tests/reliability/test_crashes.py

``TUI_ES_CRASH_SEED`` fixes the random kill points (a failure prints its seed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.support import command_ids, problems, reported, spawn_worker
from tests.reliability.worker import LedgerQuery, ledger_positions
from tests.servers import scratch_database
from tui_es.domains.bank import DOMAIN, OpenAccount
from tui_es.es import Application
from tui_es.store import SqlEventStore

ROUNDS = int(os.environ.get("TUI_ES_CRASH_ROUNDS", "5"))
SEED = int(os.environ.get("TUI_ES_CRASH_SEED", str(random.randrange(1 << 30))))
ACCOUNTS = ("crash-1", "crash-2")


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "crash.sqlite")
        return
    with scratch_database(request.param) as url:
        yield url


def kill_at_random(worker: subprocess.Popen[str], rng: random.Random) -> str:
    """SIGKILL the worker at a random moment; its output up to then."""
    assert worker.stdout is not None
    if rng.random() < 0.2:
        time.sleep(rng.uniform(0.0, 1.0))  # may land while it starts or catches up
    else:
        line = worker.stdout.readline()
        if line != "ready\n":
            _, err = worker.communicate(timeout=60)
            pytest.fail(f"the worker ended before it was ready ({worker.returncode}): {err}")
        time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the stream of commands
    worker.send_signal(signal.SIGKILL)
    out, err = worker.communicate(timeout=60)
    # killed, not dead of an error of its own
    assert worker.returncode == -signal.SIGKILL, err
    return out


def test_killed_writers_lose_nothing_acknowledged(crash_url: str, tmp_path: Path) -> None:
    print(f"TUI_ES_CRASH_SEED={SEED}")
    rng = random.Random(SEED)
    ledger = tmp_path / "ledger.txt"
    open_accounts(crash_url, ledger)
    acknowledged: list[str] = []
    lagging = 0
    for round_ in range(1, ROUNDS + 1):
        worker = spawn_worker(
            "--db",
            crash_url,
            "--prefix",
            f"r{round_}",
            "--accounts",
            ",".join(ACCOUNTS),
            "--seed",
            str(rng.randrange(1 << 30)),
            "--ledger",
            str(ledger),
            "--ledger-delay",
            "0.002",
        )
        out = kill_at_random(worker, rng)
        acknowledged += reported(out, "ack")
        where = f"round {round_} (TUI_ES_CRASH_SEED={SEED})"

        # the store as the killed writer left it: no catch-up, no query
        store = SqlEventStore(crash_url)
        app = Application(DOMAIN, store, catch_up=False)
        assert problems(app) == [], where
        stored = command_ids(app)
        assert [i for i in acknowledged if stored[i] != 1] == [], where
        assert [i for i, n in stored.items() if n != 1] == [], where

        # the next open catches the lagging query up
        behind = Application(DOMAIN, store, queries=[LedgerQuery(ledger)], catch_up=False)
        lagging += behind.dispatcher.lag(store)["ledger"] > 0
        reopened = Application(DOMAIN, store, queries=[LedgerQuery(ledger)])
        head = store.head_position()
        assert reopened.dispatcher.lag(store) == {"account_query": 0, "ledger": 0}, where
        assert set(ledger_positions(ledger)) == set(range(1, head + 1)), where
        store.close()
    # the rounds did write (if none had, the checks above would prove little)
    assert len(acknowledged) > ROUNDS
    print(f"{len(acknowledged)} commands acknowledged; the query lagged after {lagging} kills")


def open_accounts(url: str, ledger: Path) -> None:
    setup = Application(DOMAIN, SqlEventStore(url), queries=[LedgerQuery(ledger)])
    for account in ACCOUNTS:
        setup.execute(account, OpenAccount(account_id=account), {"command_id": f"open-{account}"})
    setup.store.close()


def test_a_query_killed_in_the_middle_catches_up_on_the_next_open(
    crash_url: str, tmp_path: Path
) -> None:
    """The same, with the kill placed for certain: after a commit, inside its query."""
    ledger = tmp_path / "ledger.txt"
    open_accounts(crash_url, ledger)
    store = SqlEventStore(crash_url)
    worker = spawn_worker(
        "--db",
        crash_url,
        "--prefix",
        "slow",
        "--accounts",
        ",".join(ACCOUNTS),
        "--ledger",
        str(ledger),
        "--ledger-delay",
        "60",  # the query sleeps after the first commit, until it is killed
    )
    assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    for _ in range(600):
        if store.head_position() > len(ACCOUNTS):
            break  # committed: the worker is now in the query
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL, err
    assert reported(out, "ack") == []  # execute never returned
    head = store.head_position()
    assert head == len(ACCOUNTS) + 1
    assert command_ids(Application(DOMAIN, store, catch_up=False))["slow-1"] == 1

    behind = Application(DOMAIN, store, queries=[LedgerQuery(ledger)], catch_up=False)
    assert behind.dispatcher.lag(store) == {"account_query": 0, "ledger": 1}
    assert problems(behind) == []
    assert ledger_positions(ledger) == [1, 2]
    Application(DOMAIN, store, queries=[LedgerQuery(ledger)])  # the next open
    assert ledger_positions(ledger) == [1, 2, 3]
    assert behind.dispatcher.lag(store) == {"account_query": 0, "ledger": 0}
    store.close()
