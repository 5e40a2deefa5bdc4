"""A numeric field of the state over the versions, the current version marked (textual-plotext)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import RenderResult
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


def version_ticks(first: int, last: int, most: int) -> list[int]:
    """Up to ``most`` whole versions from ``first`` to ``last``, evenly spread, both ends in."""
    if last <= first:
        return [first]
    count = min(most, last - first + 1)
    return sorted({first + round(i * (last - first) / (count - 1)) for i in range(count)})


class FieldPlot(PlotextPlot):
    """Draws one ``PlotData``: the field as a line, a vertical line at the current version."""

    DEFAULT_CSS = """
    FieldPlot { height: 1fr; width: 1fr; min-height: 5; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: PlotData | None = None

    def show(self, data: PlotData | None) -> None:
        """Plot ``data``; drawn at the next render, at the size the widget then has."""
        self.data = data
        self.refresh()

    def render(self) -> RenderResult:
        plt = self.plt
        plt.clear_data()
        data = self.data
        if data is None or not data.versions:
            plt.title("no numeric field to plot")
            return super().render()
        plt.plot(data.versions, data.values, marker="braille")
        plt.vertical_line(data.current, color=self._colour("accent", (255, 165, 0)))
        ticks = version_ticks(data.versions[0], data.versions[-1], max(2, self.size.width // 10))
        plt.xticks([float(t) for t in ticks], [str(t) for t in ticks])
        value = "—" if data.current_value is None else format_scalar(data.current_value)
        plt.title(f"{data.field} over versions · v{data.current} = {value}")
        plt.xlabel("version")
        return super().render()

    def _colour(self, variable: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
        try:
            return Color.parse(self.app.theme_variables[variable]).rgb
        except Exception:
            return default
