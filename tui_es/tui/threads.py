"""Handing results from thread workers back to the UI."""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import DOMNode


def call_ui(node: DOMNode, callback: Callable[..., object], *args: object) -> bool:
    """Run ``callback(*args)`` on the UI thread and wait for it; False if the app has closed.

    A worker can outlive the app (a test ending, the user quitting while a read
    runs); then there is nothing left to update and the result is dropped.
    """
    try:
        node.app.call_from_thread(callback, *args)
    except RuntimeError:
        return False
    return True
