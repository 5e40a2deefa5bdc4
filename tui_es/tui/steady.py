"""A Static whose updates lay the screen out again only when its height changes."""

from __future__ import annotations

from textual.content import Content
from textual.visual import VisualType, visualize
from textual.widgets import Static


class Steady(Static):
    """``Static.update`` asks for a layout of the whole screen, in case the size changed.

    With four panes on screen that layout (and the repaint of every scrollbar it
    moves) costs more than the rest of a jump in the stream or a step in the
    time machine, while most updates there keep the text's height: a title, an
    event of the same type, a state with the same fields. This widget measures
    the new text at its current width first and asks for a layout only if the
    height differs (or cannot be known: not laid out yet, or sized by its text's
    width). A hidden one (say, in a tab not shown) is laid out when it is shown.
    """

    def update(self, content: VisualType = "", *, layout: bool | None = None) -> None:
        if layout is None and isinstance(content, str | Content) and content == self.content:
            return  # the same text: nothing to lay out or paint
        if layout is None:
            layout = self._needs_layout(content)
        super().update(content, layout=layout)

    def _needs_layout(self, content: VisualType) -> bool:
        if not self.is_mounted:
            return True
        if any(not node.display for node in self.ancestors_with_self):
            return False  # showing it again lays it out
        width, height = self.size
        styles = self.styles
        if width <= 0 or (styles.width is not None and styles.width.is_auto):
            return True
        if styles.height is not None and not styles.height.is_auto:
            return False  # a fixed height: the text cannot move anything
        new = visualize(self, content, markup=self._render_markup)
        return new.get_height(self.styles, width) != height  # type: ignore[arg-type]  # as Textual does
