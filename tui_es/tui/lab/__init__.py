"""The scenario lab: guided scenarios run on a scratch copy of the store."""

from tui_es.tui.lab.screen import LabScreen

__all__ = ["LabScreen"]
