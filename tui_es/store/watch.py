"""Following the log from another process: wait until its head moves.

On PostgreSQL every commit sends ``NOTIFY tui_es_events`` and the watcher
LISTENs, so it wakes at once; it still re-reads the head at least once a
second, which covers writers that do not notify. Elsewhere it polls the head.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tui_es.store.sql import NOTIFY_CHANNEL, SqlEventStore


class HeadWatcher:
    def __init__(self, store: SqlEventStore, poll_interval: float = 0.2) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self._listener: Any = None
        if store.dialect == "postgresql":
            self._listener = self._listen()

    @property
    def mode(self) -> str:
        return "listen/notify" if self._listener is not None else "polling"

    def _listen(self) -> Any:
        try:
            import psycopg

            url = self.store.url.set(drivername="postgresql")
            conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            return conn
        except Exception:
            return None  # no notifications: polling still works

    def wait(self, after: int, timeout: float, stop: threading.Event | None = None) -> int:
        """The head position, returned as soon as it passes ``after`` or when ``timeout`` ends.

        A set ``stop`` event ends the wait within a second.
        """
        deadline = time.monotonic() + timeout
        while True:
            head = self.store.head_position()
            remaining = deadline - time.monotonic()
            if head > after or remaining <= 0 or (stop is not None and stop.is_set()):
                return head
            if self._listener is not None:
                try:
                    for _ in self._listener.notifies(timeout=min(remaining, 1.0), stop_after=1):
                        break
                except Exception:
                    self._listener = None
            else:
                time.sleep(min(remaining, self.poll_interval))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
