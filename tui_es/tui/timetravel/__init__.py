"""The Time travel pane (placeholder until it lands)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from tui_es.tui.pane import StorePane


class TimeTravelPane(StorePane):
    TITLE: ClassVar[str] = "Time travel"

    def compose(self) -> ComposeResult:
        yield Static("time travel")

    def show_aggregate(self, aggregate_type: str, aggregate_id: str, version: int | None = None) -> None:
        pass
