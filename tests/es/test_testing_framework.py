"""The given / when / then framework itself (cqrs_es::test)."""

from __future__ import annotations

import pytest
from counter_domain import (
    Add,
    Counter,
    CounterError,
    Explode,
    Incremented,
    Noop,
    Recorded,
    Reject,
    Step,
)

from tui_es.domains.bank import (
    BankAccount,
    BankAccountError,
    CustomerDepositedMoney,
    DepositMoney,
    WriteCheck,
)
from tui_es.domains.bank.services import MockBankAccountServices
from tui_es.es import DomainError
from tui_es.es.testing import TestFramework


def counter() -> TestFramework[Counter]:
    return TestFramework(Counter)


def test_then_expect_events_passes_on_the_exact_events() -> None:
    counter().given_no_previous_events().when(Step()).then_expect_events(
        [Incremented(), Recorded(value=1)]
    )


@pytest.mark.parametrize(
    "expected",
    [
        [Recorded(value=1), Incremented()],  # wrong order
        [Incremented()],  # one missing
        [Incremented(), Recorded(value=1), Incremented()],  # one extra
        [Incremented(), Recorded(value=2)],  # wrong value
        [],
    ],
)
def test_then_expect_events_fails_on_other_events(expected: list) -> None:
    with pytest.raises(AssertionError, match="expected events"):
        counter().given_no_previous_events().when(Step()).then_expect_events(expected)


def test_then_expect_events_fails_when_the_command_is_rejected() -> None:
    with pytest.raises(AssertionError, match="expected success, received aggregate error"):
        counter().given_no_previous_events().when(Reject()).then_expect_events([Incremented()])


def test_then_expect_events_matching_ignores_order_and_extras() -> None:
    validator = counter().given_no_previous_events().when(Step())
    validator.then_expect_events_matching([Recorded(value=1)])
    validator.then_expect_events_matching([Recorded(value=1), Incremented()])
    validator.then_expect_events_matching([])


def test_then_expect_events_matching_fails_on_a_missing_event() -> None:
    validator = counter().given_no_previous_events().when(Step())
    with pytest.raises(AssertionError, match="missing events") as excinfo:
        validator.then_expect_events_matching([Incremented(), Recorded(value=2)])
    assert "Recorded(value=2)" in str(excinfo.value)
    assert "Incremented()" not in str(excinfo.value).split("found")[0]
    with pytest.raises(AssertionError, match="expected success"):
        counter().given_no_previous_events().when(Reject()).then_expect_events_matching([])


def test_then_expect_error_message() -> None:
    validator = counter().given_no_previous_events().when(Reject())
    validator.then_expect_error_message("counter says no")
    with pytest.raises(AssertionError, match="expected error message"):
        validator.then_expect_error_message("counter says yes")
    with pytest.raises(AssertionError, match="expected error, received events"):
        counter().given_no_previous_events().when(Add(times=1)).then_expect_error_message("x")


def test_then_expect_error_compares_type_and_value() -> None:
    validator = counter().given_no_previous_events().when(Reject())
    validator.then_expect_error(CounterError("counter says no"))
    with pytest.raises(AssertionError, match="expected error"):
        validator.then_expect_error(CounterError("something else"))
    with pytest.raises(AssertionError, match="expected error"):
        validator.then_expect_error(DomainError("counter says no"))
    with pytest.raises(AssertionError, match="expected error, received events"):
        counter().given_no_previous_events().when(Noop()).then_expect_error(CounterError("x"))


def test_bank_error_through_then_expect_error() -> None:
    TestFramework(BankAccount, MockBankAccountServices()).given_no_previous_events().when(
        WriteCheck(check_number="1", amount=1.0)
    ).then_expect_error(BankAccountError("funds not available"))


def test_inspect_result() -> None:
    events = counter().given_no_previous_events().when(Add(times=2)).inspect_result()
    assert events == [Incremented(), Incremented()]
    assert counter().given_no_previous_events().when(Noop()).inspect_result() == []
    error = counter().given_no_previous_events().when(Reject()).inspect_result()
    assert isinstance(error, CounterError)
    assert str(error) == "counter says no"


def test_a_non_domain_error_is_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        counter().given_no_previous_events().when(Explode())


def test_given_and_and_accumulate_in_order() -> None:
    executor = counter().given([Incremented(), Recorded(value=5)]).and_([Incremented()])
    executor.when(Step()).then_expect_events([Incremented(), Recorded(value=3)])
    # and_ does not change the executor it was called on
    base = counter().given([Incremented()])
    base.and_([Incremented(), Incremented()])
    base.when(Step()).then_expect_events([Incremented(), Recorded(value=2)])
    counter().given([]).and_([Incremented()]).and_([Incremented()]).when(Step()).then_expect_events(
        [Incremented(), Recorded(value=3)]
    )


def test_given_events_set_the_state_the_command_sees() -> None:
    TestFramework(BankAccount).given([CustomerDepositedMoney(amount=1.0, balance=1.0)]).and_(
        [CustomerDepositedMoney(amount=2.0, balance=3.0)]
    ).when(DepositMoney(amount=4.0)).then_expect_events(
        [CustomerDepositedMoney(amount=4.0, balance=7.0)]
    )


def test_with_services_passes_the_services_to_handle() -> None:
    seen: list[object] = []

    def services(state: Counter, command: object) -> None:
        seen.append((state.count, command))

    TestFramework(Counter).with_services(services).given([Incremented()]).when(
        Add(times=1)
    ).then_expect_events([Incremented()])
    assert seen == [(1, Add(times=1))]
