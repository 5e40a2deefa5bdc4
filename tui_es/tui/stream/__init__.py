"""The Event stream pane: the global log, live, as a Line-API view that reads only what it shows."""

from __future__ import annotations

from tui_es.tui.stream.pane import EventStreamPane

__all__ = ["EventStreamPane"]
