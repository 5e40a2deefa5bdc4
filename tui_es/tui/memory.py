"""Keeping the cycle collector out of the way of a dashboard holding big histories."""

from __future__ import annotations

import gc


def keep_alive_as_is() -> None:
    """Take everything alive now out of the cycle collector's rounds.

    A long aggregate open in the time machine is a few hundred thousand objects
    that live until another is opened. Every full collection walked them all
    again: pauses of a tenth of a second up to most of a second on a busy
    machine, frozen frames while following a growing log. They hold no cycles,
    so reference counting still frees them when they go (``gc.freeze``).
    """
    gc.freeze()
