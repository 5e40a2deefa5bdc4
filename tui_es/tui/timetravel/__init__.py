"""The Time travel pane: an aggregate at any version, the event that led there, what it changed."""

from __future__ import annotations

from tui_es.tui.timetravel.pane import TimeTravelPane

__all__ = ["TimeTravelPane"]
