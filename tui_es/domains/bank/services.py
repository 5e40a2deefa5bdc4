"""cqrs-demo's ``BankAccountServices``: the ATM network and check validation."""

from __future__ import annotations

from typing import Protocol


class AtmError(Exception):
    pass


class CheckingError(Exception):
    pass


class BankAccountApi(Protocol):
    def atm_withdrawal(self, atm_id: str, amount: float) -> None:
        """Raise AtmError if the ATM network refuses."""
        ...

    def validate_check(self, account_id: str, check_number: str) -> None:
        """Raise CheckingError if the check is not valid."""
        ...


class BankAccountServices:
    """The services the demo runs with: accept everything, unless told to refuse.

    ``reject_atm_withdrawals`` and ``reject_checks`` let a learner provoke the
    ``atm rule violation`` and ``check invalid`` errors on purpose.
    """

    def __init__(
        self, *, reject_atm_withdrawals: bool = False, reject_checks: bool = False
    ) -> None:
        self.reject_atm_withdrawals = reject_atm_withdrawals
        self.reject_checks = reject_checks

    def atm_withdrawal(self, atm_id: str, amount: float) -> None:
        if self.reject_atm_withdrawals:
            raise AtmError(atm_id)

    def validate_check(self, account_id: str, check_number: str) -> None:
        if self.reject_checks:
            raise CheckingError(check_number)


class HappyPathBankAccountServices(BankAccountServices):
    """cqrs-demo's happy path: both calls always succeed."""


class MockBankAccountServices:
    """cqrs-demo's test mock: each call takes the response set for it; an unset call fails."""

    def __init__(self) -> None:
        self._atm: list[bool] = []
        self._check: list[bool] = []

    def set_atm_withdrawal_response(self, ok: bool) -> None:
        self._atm.append(ok)

    def set_validate_check_response(self, ok: bool) -> None:
        self._check.append(ok)

    def atm_withdrawal(self, atm_id: str, amount: float) -> None:
        if not self._atm:
            raise AssertionError("atm_withdrawal called without a response set")
        if not self._atm.pop(0):
            raise AtmError(atm_id)

    def validate_check(self, account_id: str, check_number: str) -> None:
        if not self._check:
            raise AssertionError("validate_check called without a response set")
        if not self._check.pop(0):
            raise CheckingError(check_number)
