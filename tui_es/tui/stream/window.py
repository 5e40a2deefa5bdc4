"""The events of the global log that match a filter, addressed by row, read a page at a time.

Row 0 is the oldest matching event and row ``count - 1`` the newest. A window
never holds the log: it holds the count, the head position it is complete up
to, an LRU of pages of rows and, for a filtered view, the position that starts
each page. Every read is a keyset read by position (``position > p``), never
an OFFSET, so any page costs the same on a log of a thousand events or of
millions.

Methods that read the store run in worker threads; ``get`` and ``missing``
only look at memory and are what the widget calls while it renders.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable

from tui_es.es.envelope import SerializedEvent
from tui_es.es.store import NO_FILTER, EventFilter, EventStore
from tui_es.tui.stream.positions import scan_positions

PAGE_SIZE = 100
MAX_PAGES = 64
# A filtered view this small is read whole when it opens: no index scan needed.
SMALL_VIEW = 5 * PAGE_SIZE
# Before a filtered view is indexed, rows this close to either end are still
# reachable by keyset from that end, so its newest rows show at once.
END_REACH = 4 * PAGE_SIZE
# More new events than this in one step and the window asks to be reopened
# (recounted) instead of reading them all.
EXTEND_LIMIT = 2_000

Cancelled = Callable[[], bool]


def never() -> bool:
    return False


class LogWindow:
    def __init__(
        self,
        store: EventStore,
        filter: EventFilter = NO_FILTER,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.store = store
        self.filter = filter
        self.page_size = page_size
        self.max_pages = max_pages
        self.count = 0
        """Rows in the view: the virtual height of the widget."""
        self.head = 0
        """The log position the view is complete up to."""
        self.dense = False
        """Unfiltered and without gaps: row i is position i + 1, no index needed."""
        self.opened = False
        # where the view stood when it opened: the anchor of reads from its end
        self._base_head = 0
        self._base_count = 0
        self._starts: list[int] | None = None  # position of every page_size-th row
        self._indexed = 0  # rows counted into _starts
        self._pending: list[int] = []  # positions that arrived while _starts was being built
        self._rows: dict[int, SerializedEvent] = {}
        self._pages: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.RLock()
        self._extend_lock = threading.Lock()
        self._scan_lock = threading.Lock()

    # -- memory only (the UI thread) ---------------------------------------------------
    @property
    def indexed(self) -> bool:
        """Any row can be read (not only those near the ends)."""
        return self.dense or self._starts is not None

    def get(self, index: int) -> SerializedEvent | None:
        return self._rows.get(index)

    def missing(self, first: int, last: int) -> bool:
        """Whether a row from ``first`` to ``last`` (inclusive, clamped) is not in memory."""
        with self._lock:
            first, last = max(0, first), min(last, self.count - 1)
            if first > last:
                return False
            pages = range(first // self.page_size, last // self.page_size + 1)
            return not all(self._page_complete(page) for page in pages)

    # -- reads (worker threads) --------------------------------------------------------------
    def open(self) -> None:
        """Count the view; a small filtered view is read whole."""
        head = self.store.head_position()
        count = self.store.count_events(self.filter)
        with self._lock:
            self.head = self._base_head = head
            self.count = self._base_count = count
            # positions are unique and at least 1, so as many rows as the head
            # position means every position from 1 to the head is there
            self.dense = self.filter.empty and count == head
        if not self.dense and count <= SMALL_VIEW:
            rows = self.store.read_events(
                after_position=0, filter=self.filter, before_position=head + 1
            )
            with self._lock:
                self.count = self._base_count = self._indexed = len(rows)
                for index, row in enumerate(rows):
                    self._put(index, row)
                self._starts = [r.position or 0 for r in rows[:: self.page_size]]
        self.opened = True

    def scan(
        self, cancelled: Cancelled = never, progress: Callable[[int], object] | None = None
    ) -> bool:
        """Index a filtered view (one position per page); False if cancelled first."""
        with self._scan_lock:
            if self.indexed:
                return True
            starts: list[int] = []
            scanned = 0
            for chunk in scan_positions(self.store, self.filter, self._base_head):
                starts.extend(chunk[(-scanned) % self.page_size :: self.page_size])
                scanned += len(chunk)
                if cancelled():
                    return False
                if progress is not None:
                    progress(scanned)
            with self._lock:
                if scanned != self._base_count:
                    # The count and the head were two reads; an append between
                    # them shows here. The scan is exact: trust it, and drop
                    # rows cached at indexes that have moved.
                    self.count += scanned - self._base_count
                    self._base_count = scanned
                    self._rows.clear()
                    self._pages.clear()
                self._starts = starts
                self._indexed = scanned
                for position in self._pending:
                    self._index_add(position)
                self._pending = []
            return True

    def load(self, first: int, last: int, cancelled: Cancelled = never) -> bool:
        """Read the missing pages holding rows ``first`` to ``last``; True if any was read."""
        changed = False
        first, last = max(0, first), min(last, self.count - 1)
        if first > last:
            return False
        for page in range(first // self.page_size, last // self.page_size + 1):
            if cancelled():
                break
            with self._lock:
                if self._page_complete(page):
                    self._pages.move_to_end(page)
                    continue
            rows = self._read_page(page)
            if rows is None:
                continue
            with self._lock:
                for index, row in rows:
                    if index < self.count:
                        self._put(index, row)
            changed = True
        return changed

    def extend(self, head: int) -> int | None:
        """Take in the events committed up to ``head``: how many joined, None to reopen.

        Reopening (a recount) is asked for when too many events arrived to read
        them one by one, or when an unfiltered log turns out to have a gap.
        """
        with self._extend_lock:
            if not self.opened or head <= self.head:
                return 0
            rows = self.store.read_events(
                after_position=self.head,
                limit=EXTEND_LIMIT + 1,
                filter=self.filter,
                before_position=head + 1,
            )
            if len(rows) > EXTEND_LIMIT:
                return None
            with self._lock:
                if self.dense and [r.position for r in rows] != list(
                    range(self.head + 1, head + 1)
                ):
                    return None
                for row in rows:
                    self._put(self.count, row)
                    self.count += 1
                    if self.dense or row.position is None:
                        continue
                    if self._starts is None:
                        self._pending.append(row.position)
                    else:
                        self._index_add(row.position)
                self.head = head
            return len(rows)

    def locate(self, position: int) -> tuple[int, bool] | None:
        """The row of ``position``, exact; else the nearest row after it (or the last).

        The view must be indexed (see ``scan``). None if the view is empty.
        """
        if self.count == 0:
            return None
        if self.dense:
            if position < 1:
                return 0, False
            if position > self.count:
                return self.count - 1, False
            return position - 1, True
        with self._lock:
            starts = self._starts
            page = -1 if starts is None else bisect_right(starts, position) - 1
        if page < 0:
            return 0, False
        start = page * self.page_size
        stop = min(start + self.page_size, self.count)
        self.load(start, stop - 1)
        for index in range(start, stop):
            row = self._rows.get(index)
            if row is None or row.position is None:
                break
            if row.position == position:
                return index, True
            if row.position > position:
                return index, False
        return (stop, False) if stop < self.count else (self.count - 1, False)

    # -- internals ---------------------------------------------------------------------------
    def _page_complete(self, page: int) -> bool:
        start = page * self.page_size
        stop = min(start + self.page_size, self.count)
        rows = self._rows
        return all(index in rows for index in range(start, stop))

    def _put(self, index: int, row: SerializedEvent) -> None:
        page = index // self.page_size
        if page in self._pages:
            self._pages.move_to_end(page)
        else:
            self._pages[page] = None
            while len(self._pages) > self.max_pages:
                old, _ = self._pages.popitem(last=False)
                for i in range(old * self.page_size, (old + 1) * self.page_size):
                    self._rows.pop(i, None)
        self._rows[index] = row

    def _index_add(self, position: int) -> None:
        assert self._starts is not None
        if self._indexed % self.page_size == 0:
            self._starts.append(position)
        self._indexed += 1

    def _read_page(self, page: int) -> list[tuple[int, SerializedEvent]] | None:
        start = page * self.page_size
        with self._lock:
            stop = min(start + self.page_size, self.count)
            head, base_head, base_count = self.head, self._base_head, self._base_count
            starts = self._starts
            page_start = starts[page] if starts is not None and page < len(starts) else None
        if stop <= start:
            return []
        if self.dense:
            rows = self.store.read_events(after_position=start, limit=stop - start)
            return [(r.position - 1, r) for r in rows if r.position is not None]
        if page_start is not None:
            rows = self.store.read_events(
                after_position=page_start - 1,
                limit=stop - start,
                filter=self.filter,
                before_position=head + 1,
            )
            return list(enumerate(rows, start))
        # Not indexed yet: only rows near either end can be placed.
        found: list[tuple[int, SerializedEvent]] = []
        reached = False
        if start < base_count and base_count - start <= END_REACH:
            reached = True
            rows = self.store.read_events(
                limit=base_count - start,
                filter=self.filter,
                before_position=base_head + 1,
                descending=True,
            )
            found += [(base_count - 1 - i, r) for i, r in enumerate(rows)]
        if stop > base_count:
            reached = True
            rows = self.store.read_events(
                after_position=base_head,
                limit=stop - base_count,
                filter=self.filter,
                before_position=head + 1,
            )
            found += list(enumerate(rows, base_count))
        if not reached and stop <= END_REACH:
            reached = True
            rows = self.store.read_events(
                limit=stop, filter=self.filter, before_position=base_head + 1
            )
            found += list(enumerate(rows))
        if not reached:
            return None
        return [(index, row) for index, row in found if start <= index < stop]
