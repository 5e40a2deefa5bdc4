"""cqrs-demo's ``BankAccount`` aggregate."""

from __future__ import annotations

from typing import Any, ClassVar

from tui_es.domains.bank.commands import (
    COMMANDS,
    DepositMoney,
    OpenAccount,
    WithdrawMoney,
    WriteCheck,
)
from tui_es.domains.bank.events import (
    EVENTS,
    AccountOpened,
    CustomerDepositedMoney,
    CustomerWithdrewCash,
    CustomerWroteCheck,
)
from tui_es.domains.bank.services import AtmError, BankAccountApi, CheckingError
from tui_es.es.aggregate import Aggregate, EventSink
from tui_es.es.errors import DomainError
from tui_es.es.messages import Command, DomainEvent, MessageSet


class BankAccountError(DomainError):
    """cqrs-demo's ``BankAccountError(String)``: the message is the whole error."""


class BankAccount(Aggregate):
    aggregate_type: ClassVar[str] = "account"
    commands: ClassVar[MessageSet[Command]] = COMMANDS
    events: ClassVar[MessageSet[DomainEvent]] = EVENTS

    account_id: str = ""
    balance: float = 0.0

    def handle(self, command: Command, services: BankAccountApi, sink: EventSink[Any]) -> None:
        match command:
            case OpenAccount(account_id=account_id):
                sink.write(AccountOpened(account_id=account_id))
            case DepositMoney(amount=amount):
                sink.write(CustomerDepositedMoney(amount=amount, balance=self.balance + amount))
            case WithdrawMoney(amount=amount, atm_id=atm_id):
                balance = self.balance - amount
                if balance < 0:
                    raise BankAccountError("funds not available")
                try:
                    services.atm_withdrawal(atm_id, amount)
                except AtmError:
                    raise BankAccountError("atm rule violation") from None
                sink.write(CustomerWithdrewCash(amount=amount, balance=balance, atm_id=atm_id))
            case WriteCheck(check_number=check_number, amount=amount):
                balance = self.balance - amount
                if balance < 0:
                    raise BankAccountError("funds not available")
                try:
                    services.validate_check(self.account_id, check_number)
                except CheckingError:
                    raise BankAccountError("check invalid") from None
                sink.write(
                    CustomerWroteCheck(check_number=check_number, amount=amount, balance=balance)
                )
            case _:
                raise BankAccountError(f"unknown command {type(command).__name__}")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AccountOpened(account_id=account_id):
                self.account_id = account_id
            case CustomerDepositedMoney() | CustomerWithdrewCash() | CustomerWroteCheck():
                self.balance = event.balance
