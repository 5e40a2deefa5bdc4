"""The Commands pane and the pieces it is built from."""

from tui_es.tui.commands.pane import CommandsPane

__all__ = ["CommandsPane"]
