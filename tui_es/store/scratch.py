"""Scratch copies of a store, for the scenario lab: the real store is never touched."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tui_es.es.envelope import row_to_event
from tui_es.es.store import EventStore
from tui_es.store.sql import SqlEventStore
from tui_es.store.sqlite_uri import read_only_uri


def scratch_copy(
    store: EventStore, views: Iterable[str], folder: Path | None = None
) -> SqlEventStore:
    """A new SQLite store in a temporary folder holding the same events, views and snapshots.

    A SQLite source is copied page by page with SQLite's backup API, reading a
    consistent snapshot of it; any other store is copied row by row.
    """
    target = Path(folder or tempfile.mkdtemp(prefix="tui-es-lab-")) / "scratch.sqlite"
    path = store.sqlite_file if isinstance(store, SqlEventStore) else None
    if path is not None:
        source = sqlite3.connect(read_only_uri(path), uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return SqlEventStore(target)
    scratch = SqlEventStore(target)
    after = 0
    while True:
        rows = store.read_rows(after, 5000)
        if not rows:
            break
        events = [row_to_event(r) for r in rows]
        with scratch.transaction() as tx:
            tx.append(events)
        after = rows[-1][7] or after
    names = list(views)
    scratch.ensure_views(names)
    with scratch.transaction() as tx:
        for name, position in store.checkpoints().items():
            tx.set_checkpoint(name, position)
        for name in names:
            for row in store.view_rows(name):
                tx.save_view(name, row, expected_version=0)
        for snapshot in store.snapshots():
            tx.save_snapshot(snapshot)
    return scratch
