"""F1: help for the focused pane, its text and every key that works there (as Posting does)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.events import Click
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Markdown


@dataclass(frozen=True, slots=True)
class KeyHelp:
    keys: str
    description: str


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def keys_table(rows: Iterable[KeyHelp]) -> str:
    lines = ["| Key | Does |", "| --- | --- |"]
    lines.extend(f"| `{_escape(r.keys)}` | {_escape(r.description)} |" for r in rows)
    return "\n".join(lines)


def describe_bindings(app: App[Any], bindings: Iterable[Binding]) -> list[KeyHelp]:
    """One line per action with a description; keys of the same action joined."""
    keys: dict[tuple[str, str], list[str]] = {}
    for binding in bindings:
        description = binding.tooltip or binding.description
        if not description or binding.system:
            continue
        display = app.get_key_display(binding)
        entry = keys.setdefault((binding.action, description), [])
        if display not in entry:
            entry.append(display)
    return [KeyHelp(" / ".join(k), description) for (_, description), k in keys.items()]


def pane_bindings(app: App[Any], pane: Widget) -> tuple[list[Binding], list[Binding]]:
    """(bindings of the pane and its focused widgets, bindings of the app), as now active."""
    inside: list[Binding] = []
    everywhere: list[Binding] = []
    seen_pane = False
    for node, binding, _enabled, _tooltip in app.screen.active_bindings.values():
        if _within(node, pane):
            # Textual's own widgets (scrolling, cursor moves) would bury the keys that matter.
            if binding.show or type(node).__module__.startswith("tui_es."):
                inside.append(binding)
            seen_pane = seen_pane or node is pane
        elif node is app or node is app.screen:
            everywhere.append(binding)
    if not seen_pane:
        # Focus is elsewhere (or nowhere): the pane's own keys still work once it has focus.
        classes: Iterable[BindingType] = getattr(type(pane), "BINDINGS", [])
        inside[:0] = list(Binding.make_bindings(classes))
    return inside, everywhere


def _within(node: DOMNode, pane: Widget) -> bool:
    return node is pane or pane in node.ancestors


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close help"),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        keys: list[KeyHelp],
        general: list[KeyHelp],
        about: str = "",
    ) -> None:
        super().__init__()
        self.help_title = title
        self.text = text
        self.keys = keys
        self.general = general
        self.about = about

    def compose(self) -> ComposeResult:
        parts = [self.text.strip() or "_No help for this pane yet._"]
        if self.keys:
            parts.append("## Keys here\n\n" + keys_table(self.keys))
        if self.general:
            parts.append("## Keys everywhere\n\n" + keys_table(self.general))
        if self.about:
            parts.append("---\n\n" + self.about.strip())
        with VerticalScroll(id="help-dialog") as dialog:
            dialog.border_title = f"Help · {self.help_title}"
            dialog.border_subtitle = "esc closes"
            yield Markdown("\n\n".join(parts), id="help-text")

    def on_click(self, event: Click) -> None:
        if event.widget is self:  # a click on the backdrop, outside the dialog
            self.dismiss()
