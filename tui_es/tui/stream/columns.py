"""The stream's columns: which fit in the width, and one event as a line of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.style import Style
from rich.text import Text

from tui_es.es.envelope import SerializedEvent
from tui_es.tui.eventtext import short_time, summary

Align = Literal["left", "right"]
StyleFor = Callable[[str], Style]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int
    align: Align = "left"
    drop_order: int = 0  # the first to go when the width is short (0: never)


SUMMARY_MIN = 12
SUMMARY_MAX = 400  # a payload summary is cut here, whatever the width


@dataclass(frozen=True, slots=True)
class Widths:
    """The widths of the data-dependent columns."""

    position: int = 3
    aggregate_type: int = 7
    aggregate_id: int = 13
    sequence: int = 3
    event: int = 20


def layout(total: int, widths: Widths) -> list[Column]:
    """The columns that fit in ``total`` cells; summary takes what is left."""
    columns = [
        Column("position", "#", max(widths.position, 1), "right"),
        Column("time", "recorded (UTC)", 14, drop_order=3),
        Column("aggregate_type", "type", widths.aggregate_type, drop_order=1),
        Column("aggregate_id", "aggregate", widths.aggregate_id, drop_order=5),
        Column("sequence", "seq", max(widths.sequence, 3), "right", drop_order=2),
        Column("event", "event@version", widths.event),
    ]
    fixed = [c for c in columns]
    while _span(fixed) + SUMMARY_MIN > total:
        droppable = [c for c in fixed if c.drop_order]
        if not droppable:
            break
        fixed.remove(min(droppable, key=lambda c: c.drop_order))
    rest = max(0, total - _span(fixed))
    return [*fixed, Column("summary", "payload", rest)]


def _span(columns: Sequence[Column]) -> int:
    return sum(c.width + 1 for c in columns)


def cell(text: str, width: int, align: Align) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 0 else ""
    return text.rjust(width) if align == "right" else text.ljust(width)


def header(columns: Sequence[Column]) -> Text:
    line = Text(no_wrap=True, overflow="crop")
    for column in columns:
        line.append(cell(column.title, column.width, column.align) + " ")
    return line


def row_cells(event: SerializedEvent) -> dict[str, str]:
    return {
        "position": str(event.position or ""),
        "time": short_time(event.recorded_at),
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "sequence": str(event.sequence),
        "event": f"{event.event_type}@{event.event_version}",
        "summary": summary(event.event_type, event.payload)[:SUMMARY_MAX],
    }


def row(
    event: SerializedEvent,
    columns: Sequence[Column],
    style_for: StyleFor,
    damaged: str | None = None,
) -> Text:
    """One event as a line; ``style_for(column key)`` gives each cell its style.

    A ``damaged`` row (one that cannot be decoded) shows ``⚠`` and why instead of its summary.
    """
    cells = row_cells(event)
    if damaged is not None:
        cells["summary"] = f"⚠ {damaged}"[:SUMMARY_MAX]
    line = Text(no_wrap=True, overflow="crop")
    for column in columns:
        line.append(cell(cells[column.key], column.width, column.align), style_for(column.key))
        line.append(" ")
    return line


def placeholder(position: int | None, columns: Sequence[Column], style: Style) -> Text:
    """A row not read yet: its position when known, dots for the rest."""
    line = Text(no_wrap=True, overflow="crop", style=style)
    for column in columns:
        text = str(position) if column.key == "position" and position else "·"
        line.append(cell(text, column.width, column.align) + " ")
    return line
