"""A version control for the mouse and the keyboard: a track from 0 to the latest version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget


class VersionSlider(Widget, can_focus=True):
    """``━━━━━━●───◆──``: click or drag to a version; the arrows step, home/end jump.

    ``marks`` are versions drawn on the track as ``◆`` (the time machine marks
    the versions where a snapshot was taken).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Back", show=False),
        Binding("right", "step(1)", "Forward", show=False),
        Binding("pageup", "page(-1)", "Back 10%", show=False),
        Binding("pagedown", "page(1)", "Forward 10%", show=False),
        Binding("home", "go(0)", "Version 0", show=False),
        Binding("end", "go_last", "Latest", show=False),
    ]

    DEFAULT_CSS = """
    VersionSlider {
        height: 1;
        width: 1fr;
        min-width: 8;
        color: $foreground 40%;
        &:focus { color: $foreground 60%; }
        & > .version-slider--done { color: $primary; }
        &:focus > .version-slider--done { color: $accent; }
        & > .version-slider--thumb { color: $primary; text-style: bold; }
        &:focus > .version-slider--thumb { color: $accent; }
        & > .version-slider--mark { color: $warning; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "version-slider--done",
        "version-slider--thumb",
        "version-slider--mark",
    }

    # always_update: the owner setting the value a move asked for draws the thumb (see Changed)
    value: reactive[int] = reactive(0, always_update=True)
    maximum: reactive[int] = reactive(0)
    marks: reactive[tuple[int, ...]] = reactive(())

    @dataclass
    class Changed(Message):
        """The user moved the slider to ``value`` (not sent when the value is set in code).

        The slider notes the value without drawing it; its owner sets ``value`` with
        everything else that shows the version, and the thumb and the version it stands for
        come in the same frame. Drawing the thumb first let a frame go out with only the
        thumb moved, and Textual draws the next one a frame or two later.
        """

        slider: VersionSlider
        value: int

    def column_of(self, version: int) -> int:
        width = max(1, self.size.width)
        return 0 if self.maximum <= 0 else round(version / self.maximum * (width - 1))

    def render(self) -> Content:
        width = max(1, self.size.width)
        thumb = self.column_of(self.value)
        done = Style.from_rich_style(
            self.get_component_rich_style("version-slider--done", partial=True)
        )
        knob = Style.from_rich_style(
            self.get_component_rich_style("version-slider--thumb", partial=True)
        )
        track = Content.assemble(("━" * thumb, done), ("●", knob), "─" * (width - thumb - 1))
        if not self.marks:
            return track
        mark = Style.from_rich_style(
            self.get_component_rich_style("version-slider--mark", partial=True)
        )
        columns = {self.column_of(v) for v in self.marks if 0 <= v <= self.maximum} - {thumb}
        parts: list[Content] = []
        start = 0
        for column in sorted(columns):
            parts += [track[start:column], Content.styled("◆", mark)]
            start = column + 1
        parts.append(track[start:])
        return Content.assemble(*parts)

    def _move(self, value: int) -> None:
        value = min(max(value, 0), self.maximum)
        if value != self.value:
            # noted, not drawn: the next key steps on from here even before the owner
            # has shown this one
            self.set_reactive(VersionSlider.value, value)
            self.post_message(self.Changed(self, value))

    def action_step(self, delta: int) -> None:
        self._move(self.value + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.value + direction * max(1, self.maximum // 10))

    def action_go(self, value: int) -> None:
        self._move(value)

    def action_go_last(self) -> None:
        self._move(self.maximum)

    def value_at(self, x: int) -> int:
        width = self.size.width
        if width <= 1:
            return self.maximum
        return round(min(max(x, 0), width - 1) / (width - 1) * self.maximum)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.capture_mouse()
        self._move(self.value_at(event.x))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.app.mouse_captured is self:
            self._move(self.value_at(event.x))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.app.mouse_captured is self:
            self.release_mouse()
