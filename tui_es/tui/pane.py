"""What every dashboard pane shares: the application it shows, its help, its store hooks."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.widget import Widget

from tui_es.es.application import Application
from tui_es.es.envelope import EventEnvelope


class StorePane(Widget):
    """A pane over one :class:`Application`.

    The app calls ``store_changed`` when the head of the log moves (from this
    app or another process) and ``events_committed`` when this app committed
    events; panes reload what they show in their own thread workers.
    """

    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""  # Markdown shown by F1 when the pane has focus

    def __init__(
        self, application: Application, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.application = application

    # The pane holding the focus is drawn with the accent border (app.tcss). A class kept
    # here, not Textual's :focus-within: with that, every focus move inside a pane (the
    # go-to field back to the rows, one form field to the next) restyled every widget in
    # the pane, dozens of them; the class changes only when focus enters or leaves it.
    def _on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._follow_focus()

    def _on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        # the focus may land after the blur (a hidden field hands it on): look then
        self.call_after_refresh(self._follow_focus)

    def _follow_focus(self) -> None:
        self.set_class(self.has_focus_within, "-focus-within")

    @property
    def read_only(self) -> bool:
        """Nothing may be written: the store is open read-only, or the dashboard was."""
        return self.application.store.read_only or bool(getattr(self.app, "read_only", False))

    def store_changed(self, head: int) -> None:
        """The log's head is now ``head``."""

    def events_committed(self, envelopes: list[EventEnvelope]) -> None:
        """This app just committed ``envelopes``."""
