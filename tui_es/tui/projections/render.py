"""A view row's payload, readable whatever the view: no knowledge of any domain here.

Scalars become key/value lines, lists of scalars comma lists, lists of
objects tables (one column per key), nested objects indented key/values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tui_es.tui.values import format_scalar, is_scalar

MAX_TABLE_ROWS = 200  # a row of a long-lived aggregate can hold thousands; rich lays each out


def _scalar_text(value: Any) -> Text:
    if value is None:
        return Text("null", style="dim italic")
    return Text(format_scalar(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> Text:
    if is_scalar(value):
        return _scalar_text(value)
    return Text(json.dumps(value, ensure_ascii=False), style="dim")


def objects_table(rows: Sequence[Mapping[str, Any]]) -> RenderableType:
    """One column per key (in the order keys first appear), numbers right-aligned."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    shown = rows[:MAX_TABLE_ROWS]
    for column in columns:
        numeric = all(_is_number(r.get(column)) for r in shown if column in r) and any(
            column in r for r in shown
        )
        table.add_column(column, justify="right" if numeric else "left", no_wrap=False)
    for row in shown:
        table.add_row(*(_cell(row[c]) if c in row else Text("") for c in columns))
    if len(rows) > len(shown):
        return Group(table, Text(f"… {len(rows) - len(shown)} more", style="dim"))
    return table


def render_payload(payload: Mapping[str, Any]) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    tables: list[RenderableType] = []
    for key, value in payload.items():
        if is_scalar(value):
            grid.add_row(key, _scalar_text(value))
        elif isinstance(value, Mapping):
            grid.add_row(key, render_payload(value) if value else Text("{}", style="dim"))
        elif isinstance(value, list) and all(is_scalar(v) for v in value):
            grid.add_row(
                key,
                Text(", ".join(format_scalar(v) for v in value))
                if value
                else Text("none", style="dim italic"),
            )
        elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            noun = "entry" if len(value) == 1 else "entries"
            grid.add_row(key, Text(f"{len(value)} {noun}, below", style="dim"))
            tables.append(Text(f"\n{key}", style="bold"))
            tables.append(objects_table(value))
        else:
            grid.add_row(key, _cell(value))
    return Group(grid, *tables) if tables else grid
