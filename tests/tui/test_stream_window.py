"""LogWindow and the position scan, without Textual: which rows it reads, and where it puts them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_es.demo import synthesize
from tui_es.domains.bank import DOMAIN
from tui_es.es.envelope import SerializedEvent
from tui_es.es.memory import InMemoryEventStore
from tui_es.es.store import NO_FILTER, EventFilter, EventStore
from tui_es.store import SqlEventStore
from tui_es.tui.stream import window as window_module
from tui_es.tui.stream.positions import reader_for, scan_positions
from tui_es.tui.stream.window import LogWindow

DEPOSITS = EventFilter(event_type="CustomerDepositedMoney")


class Counting:
    """Wraps a store's read_events to count the rows it returns."""

    def __init__(self, store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0
        read = store.read_events

        def counting(*args: Any, **kwargs: Any) -> list[SerializedEvent]:
            found = read(*args, **kwargs)
            self.rows += len(found)
            return found

        monkeypatch.setattr(store, "read_events", counting)


def append(store: EventStore, events: list[SerializedEvent]) -> None:
    with store.transaction() as tx:
        tx.append(events)


@pytest.fixture
def memory_store() -> EventStore:
    store = InMemoryEventStore()
    append(store, synthesize(DOMAIN, 20, 40, seed=5))
    return store


@pytest.fixture
def sql_store(tmp_path: Path) -> Iterator[SqlEventStore]:
    store = SqlEventStore(tmp_path / "w.sqlite", synchronous="OFF")
    append(store, synthesize(DOMAIN, 20, 40, seed=5))
    yield store
    store.close()


def all_positions(store: EventStore, f: EventFilter = NO_FILTER) -> list[int]:
    return [e.position or 0 for e in store.read_events(filter=f)]


def rows_of(window: LogWindow) -> list[int | None]:
    return [None if (e := window.get(i)) is None else e.position for i in range(window.count)]


# -- unfiltered: row i is position i + 1 ---------------------------------------------------------
def test_an_unfiltered_log_is_dense_and_reads_only_the_pages_asked_for(
    memory_store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = Counting(memory_store, monkeypatch)
    window = LogWindow(memory_store, page_size=50)
    window.open()
    head = memory_store.head_position()
    assert window.dense and window.indexed and window.count == head
    assert counter.rows == 0
    assert window.load(head - 10, head - 1)
    assert 10 <= counter.rows <= 2 * 50  # the one or two pages holding those rows
    assert window.get(head - 1) is not None and window.get(head - 1).position == head  # type: ignore[union-attr]
    assert window.get(0) is None
    assert not window.missing(head - 10, head - 1) and window.missing(0, 10)
    assert window.locate(17) == (16, True)
    assert window.locate(head + 5) == (head - 1, False)


def test_the_lru_keeps_at_most_max_pages(memory_store: EventStore) -> None:
    window = LogWindow(memory_store, page_size=10, max_pages=2)
    window.open()
    window.load(0, 29)
    assert window.get(0) is None  # the first page went first
    assert window.get(10) is not None and window.get(29) is not None


# -- filtered -------------------------------------------------------------------------------------
def test_a_small_filtered_view_is_read_whole_at_once(memory_store: EventStore) -> None:
    aggregate = memory_store.read_events(limit=1)[0].aggregate_id
    f = EventFilter(aggregate_id=aggregate)
    window = LogWindow(memory_store, f)
    window.open()
    expected = all_positions(memory_store, f)
    assert not window.dense and window.indexed
    assert rows_of(window) == expected
    gap = next(p for p in range(expected[0], expected[-1]) if p not in expected)
    index, exact = window.locate(gap) or (-1, True)
    assert not exact and expected[index] == min(p for p in expected if p > gap)
    assert window.locate(expected[3]) == (3, True)


@pytest.mark.parametrize("store_kind", ["memory", "sql"])
def test_a_big_filtered_view_reads_its_ends_at_once_and_the_rest_once_indexed(
    store_kind: str,
    memory_store: EventStore,
    sql_store: SqlEventStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store: EventStore = memory_store if store_kind == "memory" else sql_store
    monkeypatch.setattr(window_module, "SMALL_VIEW", 20)
    monkeypatch.setattr(window_module, "END_REACH", 30)
    expected = all_positions(store, DEPOSITS)
    window = LogWindow(store, DEPOSITS, page_size=10)
    window.open()
    count = len(expected)
    assert count > 100 and window.count == count and not window.indexed
    # the newest rows and the oldest are reachable by keyset from either end
    assert window.load(count - 25, count - 1)
    assert window.load(0, 15)
    shown = rows_of(window)
    assert shown[count - 25 :] == expected[count - 25 :]
    assert shown[:16] == expected[:16]
    # the middle is not, until the view is indexed
    middle = count // 2
    assert not window.load(middle, middle + 5)
    assert window.get(middle) is None
    assert window.scan()
    assert window.indexed
    assert window.load(0, count - 1)
    assert rows_of(window) == expected
    assert window.locate(expected[middle]) == (middle, True)


def test_scan_can_be_cancelled(sql_store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window_module, "SMALL_VIEW", 20)
    window = LogWindow(sql_store, DEPOSITS)
    window.open()
    assert not window.scan(cancelled=lambda: True)
    assert not window.indexed
    progress: list[int] = []
    assert window.scan(progress=progress.append)
    assert progress and progress[-1] == window.count


# -- growing --------------------------------------------------------------------------------------
def more_events(store: EventStore, n: int) -> list[SerializedEvent]:
    """``n`` new events continuing existing aggregates (fresh sequences)."""
    last = {}
    for e in store.read_events():
        last[e.aggregate_id] = e
    events = []
    for i, event in enumerate(list(last.values())[:n]):
        events.append(
            SerializedEvent(
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                sequence=event.sequence + 1,
                event_type="CustomerDepositedMoney" if i % 2 else "CustomerWroteCheck",
                event_version="1.0",
                payload={"CustomerDepositedMoney": {"amount": 1.0, "balance": 1.0}},
                metadata={},
            )
        )
    return events


def test_extend_takes_in_new_events_at_the_end(memory_store: EventStore) -> None:
    window = LogWindow(memory_store)
    window.open()
    head = window.head
    append(memory_store, more_events(memory_store, 4))
    assert window.extend(memory_store.head_position()) == 4
    assert window.dense and window.count == head + 4
    assert [window.get(i).position for i in range(head, head + 4)] == [  # type: ignore[union-attr]
        head + 1,
        head + 2,
        head + 3,
        head + 4,
    ]
    assert window.extend(memory_store.head_position()) == 0


def test_extend_asks_for_a_recount_after_a_flood(
    memory_store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window_module, "EXTEND_LIMIT", 3)
    window = LogWindow(memory_store)
    window.open()
    append(memory_store, more_events(memory_store, 5))
    assert window.extend(memory_store.head_position()) is None


def test_a_filtered_view_indexes_what_arrives_while_it_scans(
    sql_store: SqlEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window_module, "SMALL_VIEW", 20)
    window = LogWindow(sql_store, DEPOSITS, page_size=7)
    window.open()
    append(sql_store, more_events(sql_store, 6))  # 3 deposits among them
    assert window.extend(sql_store.head_position()) == 3
    assert window.scan()
    expected = all_positions(sql_store, DEPOSITS)
    assert window.count == len(expected)
    window.load(0, window.count - 1)
    assert rows_of(window) == expected


# -- the position scan agrees with read_events -------------------------------------------------
ODD = ["50% off", "under_score", "bang!", "back\\slash", 'quote"d', "ünïcödé", "plain"]


@pytest.fixture
def odd_store(tmp_path: Path) -> Iterator[SqlEventStore]:
    store = SqlEventStore(tmp_path / "odd.sqlite")
    events = [
        SerializedEvent(
            aggregate_type="note" if i % 3 else "memo",
            aggregate_id=f"N-{i % 4}",
            sequence=i // 4 + 1,
            event_type="Noted" if i % 2 else "Erased",
            event_version="1.0",
            payload={"Noted": {"text": ODD[i % len(ODD)], "n": i}},
            metadata={},
        )
        for i in range(40)
    ]
    append(store, events)
    yield store
    store.close()


@pytest.mark.parametrize(
    "f",
    [
        NO_FILTER,
        EventFilter(aggregate_type="memo"),
        EventFilter(aggregate_id="N-1"),
        EventFilter(aggregate_type="note", aggregate_id="N-2"),
        EventFilter(event_type="Erased"),
        *(EventFilter(text=t) for t in [*ODD, "%", "_", "!", "\\", '"', "off", "ff_", "50%"]),
        EventFilter(event_type="Noted", text="o"),
    ],
)
def test_the_sql_position_scan_matches_read_events(
    odd_store: SqlEventStore, f: EventFilter
) -> None:
    assert reader_for(odd_store).__name__ != "read_rows"  # the fast path is the one tested
    scanned = [p for chunk in scan_positions(odd_store, f, 10_000, chunk=7) for p in chunk]
    assert scanned == all_positions(odd_store, f)
    assert len(scanned) == odd_store.count_events(f)


def test_the_scan_stops_at_until(odd_store: SqlEventStore) -> None:
    scanned = [p for chunk in scan_positions(odd_store, NO_FILTER, 25, chunk=10) for p in chunk]
    assert scanned == list(range(1, 26))
