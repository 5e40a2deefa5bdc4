"""cqrs-demo's ``BankAccountEvent``, with one schema evolution.

All events are at version 1.0 and byte-for-byte what cqrs-demo stores, except
``CustomerWithdrewCash``: at 2.0 it also records the ATM (``atm_id``). Rows
stored at 1.0 are upcast with ``"atm_id": null``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tui_es.es.messages import DomainEvent, MessageSet
from tui_es.es.upcasting import SemanticVersionUpcaster


class AccountOpened(DomainEvent):
    account_id: str


class CustomerDepositedMoney(DomainEvent):
    amount: float
    balance: float


class CustomerWithdrewCash(DomainEvent):
    event_version: ClassVar[str] = "2.0"

    amount: float
    balance: float
    atm_id: str | None = None


class CustomerWroteCheck(DomainEvent):
    check_number: str
    amount: float
    balance: float


BankAccountEvent = (
    AccountOpened | CustomerDepositedMoney | CustomerWithdrewCash | CustomerWroteCheck
)

EVENTS: MessageSet[DomainEvent] = MessageSet(
    "event", [AccountOpened, CustomerDepositedMoney, CustomerWithdrewCash, CustomerWroteCheck]
)


def _add_atm_id(payload: dict[str, Any]) -> dict[str, Any]:
    body = dict(payload.get("CustomerWithdrewCash") or {})
    body.setdefault("atm_id", None)
    return {"CustomerWithdrewCash": body}


UPCASTERS = (SemanticVersionUpcaster("CustomerWithdrewCash", "2.0", _add_atm_id),)
