"""Counts in prose: the framework's texts (the lab's) and the dashboard's agree on them."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 event``, ``2 events``, ``0 events``: a count with its noun in the right number.

    ``nouns`` is the plural where it is not the noun with an s ("entries").
    """
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {nouns or noun + 's'}"
