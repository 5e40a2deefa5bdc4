"""What the last Execute did: the committed events, or why nothing was written, and its trace."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tui_es.es.envelope import EventEnvelope
from tui_es.es.trace import CommandTrace
from tui_es.tui.commands.trace import TraceView
from tui_es.tui.messages import ShowAggregate, ShowPosition
from tui_es.tui.values import summary

Status = Literal["hint", "committed", "rejected", "invalid", "failed"]
_STATUSES: tuple[Status, ...] = ("hint", "committed", "rejected", "invalid", "failed")


class Outcome(VerticalScroll, can_focus=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "time_travel", "Time travel", tooltip="Open the aggregate at this event"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: Status = "hint"
        self._committed: list[EventEnvelope] = []
        self.message = Static("", id="outcome-message", markup=False)
        self.events: DataTable[str] = DataTable(
            id="outcome-events", cursor_type="row", zebra_stripes=True
        )
        self.trace_view = TraceView(id="outcome-trace")

    def compose(self) -> ComposeResult:
        yield self.message
        yield self.events
        yield self.trace_view

    def on_mount(self) -> None:
        self.events.add_columns("pos", "seq", "event", "payload")
        self.events.display = False
        self.trace_view.display = False

    @property
    def trace(self) -> CommandTrace | None:
        return self.trace_view.trace

    def show_trace(self, trace: CommandTrace | None) -> None:
        """Show what each step of the command did (after ``show_committed`` or a rejection)."""
        self.trace_view.show(trace)

    def _show(self, status: Status, text: str) -> None:
        self.status = status
        for name in _STATUSES:
            self.set_class(name == status, f"-{name}")
        self.message.update(text)
        self._committed = []
        self.events.clear()
        self.events.display = False
        self.trace_view.show(None)

    def show_hint(self, text: str) -> None:
        self._show("hint", text)

    def show_rejected(self, reason: str) -> None:
        self._show("rejected", f"✘ Rejected by the domain: {reason}\n  Nothing was written.")

    def show_invalid(self, reason: str) -> None:
        self._show("invalid", f"✘ Not sent: {reason}")

    def show_failed(self, reason: str) -> None:
        self._show("failed", f"✘ Failed, nothing was written: {reason}")

    def show_committed(
        self,
        aggregate_type: str,
        aggregate_id: str,
        envelopes: list[EventEnvelope],
        note: str = "",
    ) -> None:
        """The events a command committed; ``note``, a line under the first, says what is next."""
        if not envelopes:
            self._show("committed", "✔ Accepted; the command wrote no event.")
            return
        count = len(envelopes)
        noun = "event" if count == 1 else "events"
        self._show(
            "committed",
            f"✔ Committed {count} {noun} to {aggregate_type} {aggregate_id}\n"
            + (f"  {note}\n" if note else "")
            + "  enter: show in the Event stream · t: open in Time travel",
        )
        self._committed = list(envelopes)
        # Fit the payload to the pane: a table wider than its pane hides the end of every row.
        cells = [(str(e.position or ""), str(e.sequence), e.event_type) for e in envelopes]
        fixed = sum(max(len(c[i]) for c in cells) for i in range(3)) + 2 * 4 + 1
        width = max(12, (self.content_region.width or 80) - fixed)
        for envelope in envelopes:
            body = summary(envelope.payload.model_dump(mode="json"), width=width)
            self.events.add_row(
                str(envelope.position or ""),
                str(envelope.sequence),
                envelope.event_type,
                body,
                key=str(envelope.position or ""),
            )
        self.events.display = True
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#outcome-events")
    def _jump(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key:
            self.post_message(ShowPosition(int(key)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "time_travel":
            return bool(self._committed)
        return True

    def action_time_travel(self) -> None:
        row = self.events.cursor_row
        if not 0 <= row < len(self._committed):
            return
        envelope = self._committed[row]
        self.post_message(
            ShowAggregate(envelope.aggregate_type, envelope.aggregate_id, envelope.sequence)
        )
