"""The Event stream pane (placeholder until the Line-API view lands)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from tui_es.tui.pane import StorePane


class EventStreamPane(StorePane):
    TITLE: ClassVar[str] = "Event stream"

    def compose(self) -> ComposeResult:
        yield Static("event stream")

    def show_position(self, position: int) -> None:
        pass
