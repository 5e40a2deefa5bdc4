"""A numeric field of the state over the versions, the current version marked (textual-plotext)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.color import Color
from textual_plotext import PlotextPlot

from tui_es.tui.values import format_scalar


@dataclass(frozen=True, slots=True)
class PlotData:
    """What the plot shows: kept so that it can be read back (tests read this, not pixels)."""

    field: str
    versions: list[int]
    values: list[float]
    current: int
    current_value: float | None


class FieldPlot(PlotextPlot):
    """Draws one ``PlotData``: the field as a line, a vertical line at the current version."""

    DEFAULT_CSS = """
    FieldPlot { height: 1fr; width: 1fr; min-height: 5; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: PlotData | None = None

    def show(self, data: PlotData | None) -> None:
        self.data = data
        plt = self.plt
        plt.clear_data()
        if data is None or not data.versions:
            plt.title("no numeric field to plot")
            self.refresh()
            return
        accent = self._colour("accent", (255, 165, 0))
        plt.plot(data.versions, data.values, marker="braille")
        plt.vertical_line(data.current, color=accent)
        if data.current_value is not None:
            plt.scatter([data.current], [data.current_value], marker="●", color=accent)
        value = "—" if data.current_value is None else format_scalar(data.current_value)
        plt.title(f"{data.field} over versions · v{data.current} = {value}")
        plt.xlabel("version")
        self.refresh()

    def _colour(self, variable: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
        try:
            return Color.parse(self.app.theme_variables[variable]).rgb
        except Exception:
            return default
