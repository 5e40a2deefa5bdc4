"""Four processes write to the same three accounts at once; nothing is lost or doubled.

Each writer (``tests/reliability/worker.py``) runs commands with a retry policy
and prints the id of every command ``execute`` acknowledged; the writers start
together, and the test checks that some commits did lose a race (and were
retried). Afterwards, on
SQLite, PostgreSQL and MariaDB:

- every acknowledged command's event is stored exactly once (metadata
  ``command_id``), and nothing else is: a rejected command wrote nothing;
- each account's sequences run 1, 2, 3… and each balance follows from the one
  before (no lost update), and ``check`` passes (views equal a rebuild).
"""

from __future__ import annotations

from tests.reliability.support import (
    balances_follow,
    command_ids,
    problems,
    reported,
    spawn_worker,
)
from tui_es.domains.bank import DOMAIN, OpenAccount
from tui_es.es import Application
from tui_es.store import SqlEventStore

WRITERS = 4
COMMANDS = 40
ACCOUNTS = ("shared-1", "shared-2", "shared-3")


def test_processes_writing_to_the_same_aggregates(store_url: str) -> None:
    app = Application(DOMAIN, SqlEventStore(store_url))
    for account in ACCOUNTS:
        app.execute(account, OpenAccount(account_id=account), {"command_id": f"open-{account}"})
    writers = [
        spawn_worker(
            "--db",
            store_url,
            "--prefix",
            f"w{w}",
            "--accounts",
            ",".join(ACCOUNTS),
            "--commands",
            str(COMMANDS),
            "--seed",
            str(w),
            "--wait",
        )
        for w in range(WRITERS)
    ]
    heads = []
    for writer in writers:
        assert writer.stdout is not None
        heads.append(writer.stdout.readline())  # "ready": the store is open
    assert heads == ["ready\n"] * WRITERS
    for writer in writers:  # go: all at once
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outputs = []
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err
        outputs.append(out)

    acknowledged = [i for out in outputs for i in reported(out, "ack")]
    rejected = [i for out in outputs for i in reported(out, "rejected")]
    conflicted = [i for out in outputs for i in reported(out, "conflict")]
    # every command got an answer, and most of them were accepted
    assert len(acknowledged) + len(rejected) + len(conflicted) == WRITERS * COMMANDS
    assert len(acknowledged) > WRITERS * COMMANDS // 2
    # the writers did race: some commits lost to another writer and were retried
    retried = sum(int(i) for out in outputs for i in reported(out, "conflicts"))
    print(f"{retried} commits lost a race and were retried")
    assert retried > 0

    stored = command_ids(app)
    expected = {f"open-{a}": 1 for a in ACCOUNTS} | dict.fromkeys(acknowledged, 1)
    assert dict(stored) == expected  # each acknowledged command once; nothing else
    assert app.store.head_position() == len(ACCOUNTS) + len(acknowledged)
    assert balances_follow(app) == []
    assert problems(app) == []
    app.store.close()
