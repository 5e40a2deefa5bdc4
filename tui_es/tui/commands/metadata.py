"""Metadata entries sent with a command: key=value rows, any number of them."""

from __future__ import annotations

from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static


class MetadataRow(Horizontal):
    def __init__(self, key: str = "", value: str = "") -> None:
        super().__init__(classes="metadata-row")
        self.key_input = Input(key, placeholder="key", compact=True, classes="metadata-key")
        self.value_input = Input(value, placeholder="value", compact=True, classes="metadata-value")

    def compose(self) -> ComposeResult:
        yield self.key_input
        yield Label("=", classes="metadata-equals")
        yield self.value_input
        yield Button("✕", compact=True, classes="metadata-remove", tooltip="Remove this entry")

    @property
    def entry(self) -> tuple[str, str]:
        return self.key_input.value.strip(), self.value_input.value


class MetadataEditor(Vertical):
    """Entries merged into every event's metadata.

    The framework adds time, command_id, correlation_id and causation_id
    unless an entry sets them, which is how a learner links a command to
    the one that caused it.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows = Vertical(classes="metadata-rows")
        self._error = Static("", classes="field-error", markup=False)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="metadata-header"):
            yield Label("Metadata", classes="field-label")
            yield Button(
                "+ entry", compact=True, id="metadata-add", tooltip="Add a key=value entry"
            )
        yield self._rows
        self._error.display = False
        yield self._error

    @property
    def rows(self) -> list[MetadataRow]:
        return list(self._rows.query_children(MetadataRow))

    async def add_entry(self, key: str = "", value: str = "", *, focus: bool = True) -> None:
        row = MetadataRow(key, value)
        await self._rows.mount(row)
        if focus:
            row.key_input.focus()

    async def set_entries(self, entries: Mapping[str, str]) -> None:
        await self._rows.remove_children()
        for key, value in entries.items():
            await self.add_entry(key, value, focus=False)
        self.check()

    def entries(self) -> tuple[dict[str, str], str | None]:
        """The entries, or why they cannot be sent (a value without a key, a key twice)."""
        entries: dict[str, str] = {}
        for key, value in (row.entry for row in self.rows):
            if not key and not value:
                continue
            if not key:
                return entries, f"the entry ={value!r} has no key"
            if key in entries:
                return entries, f"the key {key!r} is given twice"
            entries[key] = value
        return entries, None

    def check(self) -> str | None:
        _, error = self.entries()
        self._error.update(f"↳ {error}" if error else "")
        self._error.display = bool(error)
        return error

    @on(Button.Pressed, "#metadata-add")
    async def _add(self, event: Button.Pressed) -> None:
        event.stop()
        await self.add_entry()

    @on(Button.Pressed, ".metadata-remove")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        for row in event.button.ancestors:
            if isinstance(row, MetadataRow):
                await row.remove()
                break
        self.check()

    @on(Input.Changed, ".metadata-key, .metadata-value")
    def _edited(self, event: Input.Changed) -> None:
        event.stop()
        self.check()

    @on(Input.Submitted, ".metadata-key, .metadata-value")
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()
