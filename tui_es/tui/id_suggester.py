"""Completes aggregate ids from the store, off the UI thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from textual.suggester import Suggester

from tui_es.es.store import EventStore


class AggregateIdSuggester(Suggester):
    """Suggests the first stored id of the current aggregate type(s) starting with the input."""

    def __init__(self, store: EventStore, aggregate_types: Callable[[], Sequence[str]]) -> None:
        # ids are case-sensitive and new ones appear all the time: no casefold, no cache
        super().__init__(use_cache=False, case_sensitive=True)
        self.store = store
        self.aggregate_types = aggregate_types

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        try:
            return await asyncio.to_thread(self._first_match, value)
        except Exception:
            return None  # a completion is a convenience: a failing store shows elsewhere

    def _first_match(self, prefix: str) -> str | None:
        matches = sorted(
            found
            for aggregate_type in self.aggregate_types()
            for found in self.store.aggregate_ids(aggregate_type, prefix, limit=5)
        )
        # LIKE is case-insensitive on SQLite: keep only true prefixes
        return next((m for m in matches if m.startswith(prefix)), None)
