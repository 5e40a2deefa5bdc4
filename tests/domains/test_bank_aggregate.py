"""cqrs-demo's aggregate tests (src/domain/aggregate.rs, module aggregate_tests), ported."""

from __future__ import annotations

from tui_es.domains.bank import (
    BankAccount,
    CustomerDepositedMoney,
    CustomerWithdrewCash,
    CustomerWroteCheck,
    DepositMoney,
    WithdrawMoney,
    WriteCheck,
)
from tui_es.domains.bank.services import MockBankAccountServices
from tui_es.es.testing import TestFramework

AccountTestFramework = TestFramework[BankAccount]


def framework(services: MockBankAccountServices | None = None) -> TestFramework[BankAccount]:
    return AccountTestFramework(BankAccount).with_services(services or MockBankAccountServices())


def test_deposit_money() -> None:
    expected = CustomerDepositedMoney(amount=200.0, balance=200.0)
    framework().given_no_previous_events().when(DepositMoney(amount=200.0)).then_expect_events(
        [expected]
    )


def test_deposit_money_with_balance() -> None:
    previous = CustomerDepositedMoney(amount=200.0, balance=200.0)
    expected = CustomerDepositedMoney(amount=200.0, balance=400.0)
    framework().given([previous]).when(DepositMoney(amount=200.0)).then_expect_events([expected])


def test_withdraw_money() -> None:
    previous = CustomerDepositedMoney(amount=200.0, balance=200.0)
    expected = CustomerWithdrewCash(amount=100.0, balance=100.0, atm_id="ATM34f1ba3c")
    services = MockBankAccountServices()
    services.set_atm_withdrawal_response(True)
    command = WithdrawMoney(amount=100.0, atm_id="ATM34f1ba3c")
    framework(services).given([previous]).when(command).then_expect_events([expected])


def test_withdraw_money_client_error() -> None:
    previous = CustomerDepositedMoney(amount=200.0, balance=200.0)
    services = MockBankAccountServices()
    services.set_atm_withdrawal_response(False)
    command = WithdrawMoney(amount=100.0, atm_id="ATM34f1ba3c")
    framework(services).given([previous]).when(command).then_expect_error_message(
        "atm rule violation"
    )


def test_withdraw_money_funds_not_available() -> None:
    command = WithdrawMoney(amount=200.0, atm_id="ATM34f1ba3c")
    framework().given_no_previous_events().when(command).then_expect_error_message(
        "funds not available"
    )


def test_wrote_check() -> None:
    previous = CustomerDepositedMoney(amount=200.0, balance=200.0)
    expected = CustomerWroteCheck(check_number="1170", amount=100.0, balance=100.0)
    services = MockBankAccountServices()
    services.set_validate_check_response(True)
    command = WriteCheck(check_number="1170", amount=100.0)
    framework(services).given([previous]).when(command).then_expect_events([expected])


def test_wrote_check_bad_check() -> None:
    previous = CustomerDepositedMoney(amount=200.0, balance=200.0)
    services = MockBankAccountServices()
    services.set_validate_check_response(False)
    command = WriteCheck(check_number="1170", amount=100.0)
    framework(services).given([previous]).when(command).then_expect_error_message("check invalid")


def test_wrote_check_funds_not_available() -> None:
    command = WriteCheck(check_number="1170", amount=100.0)
    framework().given_no_previous_events().when(command).then_expect_error_message(
        "funds not available"
    )
