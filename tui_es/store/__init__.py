"""Persistence on SQLModel: the event store, its tables and its URLs.

The names below load on first use, so that a module of this package that needs
no SQLAlchemy (``partition``, read by fold processes) starts without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_es.store.sql import SqlEventStore, StoreNeedsUpgrade
    from tui_es.store.url import InvalidStoreUrl, redact, resolve_url

__all__ = [
    "InvalidStoreUrl",
    "SqlEventStore",
    "StoreNeedsUpgrade",
    "open_store",
    "redact",
    "resolve_url",
]

_HOMES = {
    "SqlEventStore": "tui_es.store.sql",
    "StoreNeedsUpgrade": "tui_es.store.sql",
    "InvalidStoreUrl": "tui_es.store.url",
    "redact": "tui_es.store.url",
    "resolve_url": "tui_es.store.url",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def open_store(
    location: str, *, read_only: bool = False, synchronous: str = "FULL"
) -> SqlEventStore:
    from tui_es.store.sql import SqlEventStore

    return SqlEventStore(location, read_only=read_only, synchronous=synchronous)
