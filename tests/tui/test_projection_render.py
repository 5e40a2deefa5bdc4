"""Rendering a view row without knowing the view: scalars, lists, tables."""

from __future__ import annotations

from rich.console import Console

from tui_es.tui.projections.render import MAX_TABLE_ROWS, render_payload
from tui_es.tui.values import format_scalar, summary

ACCOUNT_ROW = {
    "account_id": "ACCT-1",
    "balance": 4123.840000000001,
    "written_checks": ["1001", "1002"],
    "ledger": [
        {"description": "deposit", "amount": 5000.0},
        {"description": "1001", "amount": 876.16},
    ],
}


def text(renderable: object, width: int = 60) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_scalars_lists_and_tables() -> None:
    lines = text(render_payload(ACCOUNT_ROW))
    assert lines[:4] == [
        "account_id      ACCT-1",
        "balance         4123.84",
        "written_checks  1001, 1002",
        "ledger          2 entries, below",
    ]
    assert "ledger" in lines[5]
    header = lines[6].split()
    assert header == ["description", "amount"]
    assert lines[8].split() == ["deposit", "5000.0"]
    assert lines[9].split() == ["1001", "876.16"]
    # numbers are right-aligned under their header
    assert lines[8].endswith("5000.0")
    assert lines[9].endswith("876.16")


def test_nested_objects_and_empty_collections() -> None:
    lines = text(render_payload({"owner": {"name": "Ada", "vip": True}, "tags": [], "note": None}))
    assert lines == [
        "owner  name  Ada",
        "       vip   true",
        "tags   none",
        "note   null",
    ]


def test_long_tables_are_cut() -> None:
    rows = [{"n": i} for i in range(MAX_TABLE_ROWS + 5)]
    lines = text(render_payload({"rows": rows}))
    assert lines[-1].strip() == "… 5 more"


def test_format_scalar() -> None:
    assert format_scalar(1000.0) == "1000.0"
    assert format_scalar(0.1 + 0.2) == "0.3"
    assert format_scalar(1e20) == "1e+20"
    assert format_scalar(False) == "false"
    assert format_scalar(None) == "null"
    assert format_scalar(7) == "7"


def test_summary_skips_the_row_id_and_counts_collections() -> None:
    assert summary(ACCOUNT_ROW, skip="ACCT-1") == "balance=4123.84 written_checks[2] ledger[2]"
    assert summary(ACCOUNT_ROW, skip="ACCT-1", width=12) == "balance=412…"
