"""cqrs-demo's bank account, exactly: commands, events, errors, view and tests."""

from __future__ import annotations

from tui_es.domains.bank.aggregate import BankAccount, BankAccountError
from tui_es.domains.bank.commands import DepositMoney, OpenAccount, WithdrawMoney, WriteCheck
from tui_es.domains.bank.demo import demo_script
from tui_es.domains.bank.events import (
    UPCASTERS,
    AccountOpened,
    CustomerDepositedMoney,
    CustomerWithdrewCash,
    CustomerWroteCheck,
)
from tui_es.domains.bank.policies import ROUND_UP_SAVINGS
from tui_es.domains.bank.services import BankAccountServices, HappyPathBankAccountServices
from tui_es.domains.bank.views import ACCOUNT_QUERY, BankAccountView, LedgerEntry
from tui_es.es.domain import Domain
from tui_es.paths import data_file

DOMAIN = Domain(
    name="bank",
    title="Bank account (cqrs-demo)",
    description=(
        "cqrs-es's demo: open an account, deposit, withdraw at an ATM, write checks. "
        "The account_query view keeps the balance, the checks and a ledger."
    ),
    aggregates=(BankAccount,),
    views=(ACCOUNT_QUERY,),
    upcasters=UPCASTERS,
    make_services=HappyPathBankAccountServices,
    demo_history=data_file("bank-demo.jsonl"),
    demo_script=demo_script,
    policies=(ROUND_UP_SAVINGS,),
)

__all__ = [
    "ACCOUNT_QUERY",
    "DOMAIN",
    "AccountOpened",
    "BankAccount",
    "BankAccountError",
    "BankAccountServices",
    "BankAccountView",
    "CustomerDepositedMoney",
    "CustomerWithdrewCash",
    "CustomerWroteCheck",
    "DepositMoney",
    "HappyPathBankAccountServices",
    "LedgerEntry",
    "OpenAccount",
    "WithdrawMoney",
    "WriteCheck",
]
