"""Synthetic bank histories: plausible customers, several days of activity."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from tui_es.domains.bank.commands import DepositMoney, OpenAccount, WithdrawMoney, WriteCheck
from tui_es.es.domain import DemoCommand

START = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
ATMS = ("ATM-N468290", "ATM-S112004", "ATM-E903377", "ATM34f1ba3c")


def demo_script(accounts: int, events_per_account: int, seed: int = 7) -> Iterator[DemoCommand]:
    """Commands for ``accounts`` accounts of ``events_per_account`` events each, in time order.

    Commands of one customer visit share a correlation id, like requests of
    one session behind the demo's HTTP API.
    """
    rng = random.Random(seed)
    ids = [f"ACCT-{rng.getrandbits(32):08x}" for _ in range(accounts)]
    balances = dict.fromkeys(ids, 0.0)
    remaining = dict.fromkeys(ids, events_per_account)
    steps: list[tuple[float, str]] = []
    span = max(1.0, 4 * 24 * 3600.0)  # four days
    for account in ids:
        offsets = sorted(rng.uniform(0, span) for _ in range(events_per_account))
        steps.extend((offset, account) for offset in offsets)
    steps.sort()
    checks = dict.fromkeys(ids, 1000)
    for session, (offset, account) in enumerate(steps, start=1):
        moment = (START + timedelta(seconds=offset)).isoformat()
        if remaining[account] == events_per_account:
            command: OpenAccount | DepositMoney | WithdrawMoney | WriteCheck = OpenAccount(
                account_id=account
            )
        else:
            roll = rng.random()
            balance = balances[account]
            if roll < 0.45 or balance < 20:
                command = DepositMoney(amount=round(rng.uniform(20, 1500), 2))
            elif roll < 0.75:
                command = WithdrawMoney(
                    amount=float(rng.choice((20, 40, 60, 100, 200))), atm_id=rng.choice(ATMS)
                )
            else:
                checks[account] += 1
                command = WriteCheck(
                    check_number=str(checks[account]),
                    amount=round(rng.uniform(5, balance * 0.6), 2),
                )
            if isinstance(command, WithdrawMoney | WriteCheck) and command.amount > balance:
                command = DepositMoney(amount=round(rng.uniform(20, 500), 2))
        remaining[account] -= 1
        if isinstance(command, DepositMoney):
            balances[account] += command.amount
        elif isinstance(command, WithdrawMoney | WriteCheck):
            balances[account] -= command.amount
        meta = {
            "correlation_id": f"visit-{seed:x}-{session // 3:06d}",
            "uri": f"/account/{account}",
            "User-Agent": "tui-es-demo/1.0",
        }
        yield DemoCommand("account", account, command, moment, meta)
