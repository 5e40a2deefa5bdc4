"""Positions of the events matching a filter, without reading the events themselves.

A filtered view indexes its rows by position; reading whole rows for that
costs ~15x more (6.9 s against 0.5 s for 244,000 of a million events), so the
store's ``read_positions`` selects the one indexed column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tui_es.es.store import EventFilter, EventStore

CHUNK = 20_000

Reader = Callable[[EventFilter, int, int, int], list[int]]


def scan_positions(
    store: EventStore, filter: EventFilter, until: int, chunk: int = CHUNK
) -> Iterator[list[int]]:
    """The positions ``<= until`` of the events matching ``filter``, ascending, a chunk at a time.

    Each chunk is its own short read (keyset by position), so a caller that
    stops early holds no connection and no read transaction.
    """
    read = reader_for(store)
    after = 0
    while after < until:
        positions = read(filter, after, until, chunk)
        if positions:
            yield positions
        if len(positions) < chunk:
            return
        after = positions[-1]


def reader_for(store: EventStore) -> Reader:
    def read(f: EventFilter, after: int, until: int, limit: int) -> list[int]:
        return store.read_positions(f, after_position=after, until_position=until, limit=limit)

    return read
