"""cqrs-demo's ``account_query`` view."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from tui_es.domains.bank.events import (
    AccountOpened,
    CustomerDepositedMoney,
    CustomerWithdrewCash,
    CustomerWroteCheck,
)
from tui_es.es.envelope import EventEnvelope
from tui_es.es.views import View, ViewProjection


@dataclass(slots=True)
class LedgerEntry:
    """A line of the ledger. A plain dataclass, not a model: a rebuild makes one per event,
    and pydantic still validates and serializes it as part of the view."""

    description: str
    amount: float


class BankAccountView(View):
    account_id: str | None = None
    balance: float = 0.0
    written_checks: list[str] = Field(default_factory=list)
    ledger: list[LedgerEntry] = Field(default_factory=list)

    def update(self, envelope: EventEnvelope) -> None:
        match envelope.payload:
            case AccountOpened(account_id=account_id):
                self.account_id = account_id
            case CustomerDepositedMoney(amount=amount, balance=balance):
                self.ledger.append(LedgerEntry(description="deposit", amount=amount))
                self.balance = balance
            case CustomerWithdrewCash(amount=amount, balance=balance):
                self.ledger.append(LedgerEntry(description="atm withdrawal", amount=amount))
                self.balance = balance
            case CustomerWroteCheck(check_number=check_number, amount=amount, balance=balance):
                self.ledger.append(LedgerEntry(description=check_number, amount=amount))
                self.written_checks.append(check_number)
                self.balance = balance


ACCOUNT_QUERY = ViewProjection(
    name="account_query",
    view=BankAccountView,
    aggregate_types=frozenset({"account"}),
    description="cqrs-demo's account view: balance, written checks and the ledger",
    key_label="account",
)
