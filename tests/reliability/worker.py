"""A writer process for the concurrency and crash tests: ``python -m tests.reliability.worker``.

It opens the bank domain on ``--db``, prints ``ready``, then runs a stream of
commands on the given accounts with a retry policy. After ``execute`` returns
it prints ``ack <command_id>`` (flushed): a line printed is a command
acknowledged. A command the domain rejects prints ``rejected <command_id>``, one
that still conflicts after the retries ``conflict <command_id>``; any other
error ends the process with a traceback (the tests then fail on its exit code).

With ``--ledger FILE`` it also runs :class:`LedgerQuery`, a query outside the
database that runs after each commit, so a kill can land between a commit and
the query (whose checkpoint then lags).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_es.domains.bank import DOMAIN, DepositMoney, WithdrawMoney
from tui_es.es import AggregateConflict, Application, EventEnvelope, RetryPolicy, UserError
from tui_es.es.messages import Command
from tui_es.store import SqlEventStore

# a withdrawal no account in these tests can afford: always rejected, never written
REJECTED_AMOUNT = 1e12


class LedgerQuery:
    """Appends the position of every envelope it is given to a file, one per line.

    After a crash it is fed again from its checkpoint in the store, so the file
    may hold a position twice (at least once), never miss one.
    """

    name = "ledger"

    def __init__(self, path: Path, delay: float = 0.0) -> None:
        self.path = path
        self.delay = delay

    def dispatch(self, aggregate_id: str, envelopes: Sequence[EventEnvelope]) -> None:
        if self.delay:
            time.sleep(self.delay)  # widen the window between a commit and its query
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(f"{e.position}\n" for e in envelopes))


def ledger_positions(path: Path) -> list[int]:
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    # a kill may have cut the last line short: only whole lines count
    return [int(line) for line in text.split("\n")[:-1] if line]


def command(rng: random.Random) -> Command:
    if rng.random() < 0.1:
        return WithdrawMoney(amount=REJECTED_AMOUNT, atm_id="ATM-none")
    return DepositMoney(amount=float(rng.randint(1, 100)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--prefix", required=True, help="command ids are PREFIX-1, PREFIX-2…")
    parser.add_argument("--accounts", required=True, help="comma-separated account ids")
    parser.add_argument("--commands", type=int, default=0, help="how many (0: until killed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ledger", type=Path)
    parser.add_argument("--ledger-delay", type=float, default=0.0)
    parser.add_argument("--wait", action="store_true", help="start on a line from stdin")
    args = parser.parse_args(argv)

    accounts = args.accounts.split(",")
    rng = random.Random(args.seed)
    queries = [] if args.ledger is None else [LedgerQuery(args.ledger, args.ledger_delay)]
    app = Application(
        DOMAIN,
        SqlEventStore(args.db),
        retry=RetryPolicy(attempts=200, backoff_seconds=0.001),
        queries=queries,
    )
    conflicts = count_conflicts(app)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    if args.wait:
        sys.stdin.readline()  # every writer starts at once
    number = 0
    while args.commands == 0 or number < args.commands:
        number += 1
        command_id = f"{args.prefix}-{number}"
        try:
            app.execute(rng.choice(accounts), command(rng), {"command_id": command_id})
        except UserError:
            out.write(f"rejected {command_id}\n")
        except AggregateConflict:
            out.write(f"conflict {command_id}\n")
        else:
            out.write(f"ack {command_id}\n")
        out.flush()
    out.write(f"conflicts {len(conflicts)}\n")
    app.store.close()
    return 0


def count_conflicts(app: Application) -> list[str]:
    """Record every commit that lost a race (and was retried on a fresh load)."""
    seen: list[str] = []
    for framework in app.frameworks.values():
        commit = framework.commit

        def counting(*args: Any, commit: Any = commit, **kwargs: Any) -> Any:
            try:
                return commit(*args, **kwargs)
            except AggregateConflict:
                seen.append(args[0].aggregate_id)
                raise

        framework.commit = counting  # type: ignore[method-assign]
    return seen


if __name__ == "__main__":
    sys.exit(main())
