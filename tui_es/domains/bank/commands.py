"""cqrs-demo's ``BankAccountCommand``."""

from __future__ import annotations

from pydantic import Field

from tui_es.es.messages import Command, MessageSet


class OpenAccount(Command):
    account_id: str = Field(description="the account's id, as the customer knows it")


class DepositMoney(Command):
    amount: float = Field(description="amount deposited")


class WithdrawMoney(Command):
    amount: float = Field(description="amount withdrawn at the ATM")
    atm_id: str = Field(description="the ATM used")


class WriteCheck(Command):
    check_number: str = Field(description="the check's number")
    amount: float = Field(description="amount of the check")


BankAccountCommand = OpenAccount | DepositMoney | WithdrawMoney | WriteCheck

COMMANDS: MessageSet[Command] = MessageSet(
    "command", [OpenAccount, DepositMoney, WithdrawMoney, WriteCheck]
)
