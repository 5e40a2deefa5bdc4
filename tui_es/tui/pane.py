"""What every dashboard pane shares: the application it shows, its help, its store hooks."""

from __future__ import annotations

from typing import ClassVar

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

    @property
    def read_only(self) -> bool:
        """Nothing may be written: the store is open read-only, or the dashboard was."""
        return self.application.store.read_only or bool(getattr(self.app, "read_only", False))

    def store_changed(self, head: int) -> None:
        """The log's head is now ``head``."""

    def events_committed(self, envelopes: list[EventEnvelope]) -> None:
        """This app just committed ``envelopes``."""
