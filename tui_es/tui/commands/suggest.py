"""Completion of aggregate ids from the ones already in the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.suggester import Suggester

from tui_es.es.store import EventStore


class AggregateIdSuggester(Suggester):
    """Suggests the first stored id starting with what was typed (→ accepts it).

    Not cached: a command may have just created the id being typed.
    """

    def __init__(self, store: EventStore, aggregate_type: Callable[[], str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.store = store
        self.aggregate_type = aggregate_type

    async def get_suggestion(self, value: str) -> str | None:
        try:
            ids = await asyncio.to_thread(self.store.aggregate_ids, self.aggregate_type(), value, 1)
        except Exception:
            # Input runs this in a worker that would take the app down; a
            # missing suggestion is the right answer to a storage hiccup.
            return None
        return ids[0] if ids else None
