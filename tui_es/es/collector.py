"""Python's cycle collector held off while views fold (in the dispatcher and in fold processes)."""

from __future__ import annotations

import gc
import threading


class CollectorPause:
    """Holds off Python's cycle collector while any fold runs (folds may run in several threads).

    A fold creates millions of small objects (envelopes, view rows and their
    entries) and keeps the working rows alive: the collector would walk them
    again and again, a third of a rebuild's time. Nothing a fold makes is
    cyclic garbage, so nothing is left for the collector afterwards.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folds = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._folds == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._folds += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._folds -= 1
            if self._folds == 0 and self._was_enabled:
                gc.enable()


collector_paused = CollectorPause()
