"""The dashboard's entries in the command palette (ctrl+p).

The provider only matches and lists: the dashboard and its panes say what
they offer (``palette_commands``), so a pane adds entries without touching
this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    title: str
    help: str
    callback: Callable[[], Any]
    discover: bool = True  # listed before anything is typed


class CommandSource(Protocol):
    def palette_commands(self) -> list[PaletteCommand]:
        """Cheap commands, built on the UI thread."""
        ...

    def slow_palette_commands(self) -> list[PaletteCommand]:
        """Commands that need the store (aggregate ids); built in a thread."""
        ...


def binding_commands(pane: Widget, title: str) -> list[PaletteCommand]:
    """A pane's shown key bindings as palette entries: the default for a pane that offers none."""
    commands: list[PaletteCommand] = []
    seen: set[str] = set()
    bindings: Iterable[BindingType] = getattr(type(pane), "BINDINGS", [])
    for binding in Binding.make_bindings(bindings):
        if not binding.show or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)

        async def run(action: str = binding.action) -> None:
            await pane.run_action(action)

        commands.append(PaletteCommand(f"{title}: {binding.description}", binding.tooltip, run))
    return commands


class DashboardCommands(Provider):
    async def startup(self) -> None:
        source: CommandSource = self.app  # type: ignore[assignment]
        self._commands = source.palette_commands()
        # The palette still offers everything else when the store is unreachable.
        with suppress(Exception):
            self._commands += await asyncio.to_thread(source.slow_palette_commands)

    async def discover(self) -> Hits:
        for command in self._commands:
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands:
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    command.callback,
                    text=command.title,
                    help=command.help or None,
                )
