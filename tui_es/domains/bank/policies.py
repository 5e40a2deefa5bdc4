"""A policy for the lab: round-up savings, one aggregate commanding another.

Every ATM withdrawal from an account rounds up to the next 10 and deposits the
difference into the customer's savings account (``<account>-savings``),
opening it first if needed. It is not part of cqrs-demo: it exists so that a
learner can watch correlation and causation flow from one aggregate to
another.
"""

from __future__ import annotations

import math

from tui_es.domains.bank.commands import DepositMoney, OpenAccount
from tui_es.domains.bank.events import CustomerWithdrewCash
from tui_es.es.domain import Policy, Reaction
from tui_es.es.envelope import EventEnvelope

SAVINGS = "-savings"


def _round_up(envelope: EventEnvelope) -> list[Reaction]:
    event = envelope.payload
    if not isinstance(event, CustomerWithdrewCash) or envelope.aggregate_id.endswith(SAVINGS):
        return []
    spare = round(math.ceil(event.amount / 10) * 10 - event.amount, 2) or 10.0
    savings = envelope.aggregate_id + SAVINGS
    return [
        Reaction("account", savings, OpenAccount(account_id=savings)),
        Reaction("account", savings, DepositMoney(amount=spare)),
    ]


ROUND_UP_SAVINGS = Policy(
    name="round-up savings",
    description=(
        "Each ATM withdrawal is rounded up to the next 10; the difference is deposited into "
        "the customer's savings account."
    ),
    react=_round_up,
)
