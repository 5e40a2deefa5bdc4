"""The Projections pane: the domain's views, their rows and rebuilds."""

from tui_es.tui.projections.pane import ProjectionsPane

__all__ = ["ProjectionsPane"]
