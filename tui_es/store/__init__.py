"""Persistence on SQLModel: the event store, its tables and its URLs."""

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


def open_store(
    location: str, *, read_only: bool = False, synchronous: str = "FULL"
) -> SqlEventStore:
    return SqlEventStore(location, read_only=read_only, synchronous=synchronous)
