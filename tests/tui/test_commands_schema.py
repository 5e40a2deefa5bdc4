"""Form fields from pydantic schemas, and typed text back to commands (no terminal needed)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import pytest
from pydantic import Field, field_validator

from tui_es.domains.bank.commands import DepositMoney, OpenAccount, WithdrawMoney, WriteCheck
from tui_es.es.messages import Command
from tui_es.tui.commands.history import CommandHistory, RecentCommand
from tui_es.tui.commands.schema import (
    OMIT,
    FieldSpec,
    body_values,
    build_command,
    command_fields,
    parse_field,
    skeleton_body,
    value_text,
)


class Speed(StrEnum):
    slow = "slow"
    fast = "fast"


class Everything(Command):
    """A command with one field of each kind the form knows."""

    name: str = Field(description="who")
    count: int = 1
    ratio: float | None = None
    urgent: bool = False
    speed: Speed = Speed.slow
    mode: Literal["a", "b"] = "a"
    tags: list[str] = Field(default_factory=list)

    @field_validator("count")
    @classmethod
    def positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value


def spec(name: str, model: type[Command] = Everything) -> FieldSpec:
    return next(s for s in command_fields(model) if s.name == name)


def test_bank_commands_become_required_fields_with_descriptions() -> None:
    (amount, atm_id) = command_fields(WithdrawMoney)
    assert (amount.name, amount.kind, amount.required) == ("amount", "number", True)
    assert (atm_id.name, atm_id.kind, atm_id.required) == ("atm_id", "string", True)
    assert amount.label == "amount *"
    assert amount.placeholder == "amount withdrawn at the ATM (number)"
    assert [s.name for s in command_fields(WriteCheck)] == ["check_number", "amount"]
    assert [s.kind for s in command_fields(OpenAccount)] == ["string"]


def test_kinds_defaults_and_choices() -> None:
    kinds = {s.name: (s.kind, s.required, s.nullable) for s in command_fields(Everything)}
    assert kinds == {
        "name": ("string", True, False),
        "count": ("integer", False, False),
        "ratio": ("number", False, True),
        "urgent": ("boolean", False, False),
        "speed": ("choice", False, False),
        "mode": ("choice", False, False),
        "tags": ("json", False, False),
    }
    assert spec("speed").choices == ("slow", "fast")
    assert spec("mode").choices == ("a", "b")
    assert spec("count").initial_text() == "1"
    assert spec("ratio").initial_text() == ""
    assert spec("ratio").placeholder == "number, empty for null"
    assert spec("count").placeholder == "whole number, empty for the default"


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("ratio", "2.5", 2.5),
        ("ratio", " 1_000 ", 1000.0),
        ("ratio", "", None),
        ("count", "12", 12),
        ("count", "", OMIT),
        ("name", "", OMIT),
        ("name", "Ada", "Ada"),
        ("urgent", True, True),
        ("speed", "fast", "fast"),
        ("speed", None, OMIT),
        ("tags", '["x", "y"]', ["x", "y"]),
    ],
)
def test_parse_field_values(name: str, raw: str | bool | None, expected: object) -> None:
    value, error = parse_field(spec(name), raw)
    assert error is None
    assert value == expected


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("ratio", "abc", "'abc' is not a number"),
        ("ratio", "inf", "must be a finite number"),
        ("count", "1.5", "'1.5' is not a whole number"),
        ("tags", "[1,", "invalid JSON at column 4: Expecting value"),
    ],
)
def test_parse_field_errors(name: str, raw: str, message: str) -> None:
    assert parse_field(spec(name), raw) == (OMIT, message)


def test_build_command_validates_the_whole_model() -> None:
    specs = command_fields(Everything)
    result = build_command(Everything, specs, {"name": "Ada", "speed": "fast", "tags": '["x"]'})
    assert result.ok
    assert result.command == Everything(name="Ada", speed=Speed.fast, tags=["x"])

    result = build_command(Everything, specs, {"count": "0", "ratio": "x"})
    assert not result.ok
    assert result.errors == {
        "ratio": "'x' is not a number",
        "name": "required",
        "count": "Value error, must be at least 1",
    }


def test_strings_are_not_numbers_for_a_float_field() -> None:
    specs = command_fields(DepositMoney)
    assert build_command(DepositMoney, specs, {"amount": "ten"}).errors == {
        "amount": "'ten' is not a number"
    }
    result = build_command(DepositMoney, specs, {"amount": "10"})
    assert result.command == DepositMoney(amount=10.0)
    assert result.body == {"amount": 10.0}


def test_values_round_trip_through_the_form() -> None:
    specs = command_fields(Everything)
    command = Everything(name="Ada", count=3, ratio=0.5, urgent=True, tags=["x"])
    raw = body_values(specs, command.model_dump(mode="json"))
    assert raw["ratio"] == "0.5"
    assert raw["urgent"] is True
    assert raw["tags"] == '["x"]'
    assert build_command(Everything, specs, raw).command == command
    assert value_text(spec("amount", DepositMoney), 1000) == "1000.0"


def test_history_keeps_distinct_commands_newest_first() -> None:
    history = CommandHistory(limit=2)
    first = RecentCommand("account", "A", DepositMoney(amount=1.0))
    second = RecentCommand("account", "B", DepositMoney(amount=2.0), {"k": "v"})
    history.add(first)
    history.add(second)
    history.add(RecentCommand("account", "A", DepositMoney(amount=1.0)))
    assert history.items() == [first, second]
    history.add(RecentCommand("account", "C", OpenAccount(account_id="C")))
    assert [r.aggregate_id for r in history.items()] == ["C", "A"]
    assert second.body_json == '{"DepositMoney": {"amount": 2.0}}'
    assert second.label == "DepositMoney → B  amount=2.0"


def test_skeleton_shows_the_shape_of_a_body() -> None:
    specs = command_fields(WithdrawMoney)
    assert skeleton_body(specs, {}) == {"amount": 0.0, "atm_id": ""}
    assert skeleton_body(specs, {"atm_id": "A"}) == {"amount": 0.0, "atm_id": "A"}
    assert skeleton_body(command_fields(Everything), {}) == {"name": ""}


def test_the_time_machine_writes_floats_as_the_other_panes_do() -> None:
    from tui_es.tui.timetravel.diff import value_text

    assert value_text(958.4100000000001) == "958.41"  # a sum's noise, not a change
    assert value_text(0.1 + 0.2) == "0.3"
    assert value_text(2.0) == "2.0"
    assert value_text("50") == '"50"'  # strings stay quoted, as in the payloads
