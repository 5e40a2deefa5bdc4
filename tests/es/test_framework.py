"""Application / CqrsFramework on every store: execute, metadata, errors, concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from counter_domain import (
    COUNTER_VIEW,
    Add,
    Counter,
    Explode,
    Incremented,
    Noop,
    Recorded,
    Reject,
    Step,
    counter_domain,
)
from stores import StoreFactory

from tui_es.es import (
    AggregateConflict,
    Application,
    CqrsFramework,
    EventCodec,
    EventEnvelope,
    EventSink,
    EventStore,
    InMemoryEventStore,
    InvalidMessage,
    RetryPolicy,
    UnexpectedError,
    UserError,
)


class RecordingQuery:
    def __init__(self, name: str = "recorder") -> None:
        self.name = name
        self.calls: list[tuple[str, list[EventEnvelope]]] = []

    def dispatch(self, aggregate_id: str, envelopes: Any) -> None:
        self.calls.append((aggregate_id, list(envelopes)))


MakeApp = Callable[..., tuple[Application, EventStore]]


@pytest.fixture
def make_app(new_store: StoreFactory) -> MakeApp:
    """The counter domain on an empty store of each kind."""

    def make(**kwargs: Any) -> tuple[Application, EventStore]:
        store = new_store()
        services = kwargs.pop("services", None)
        return Application(counter_domain(), store, services=services, **kwargs), store

    return make


def snapshot_of_store(store: EventStore) -> tuple[Any, ...]:
    return (
        store.head_position(),
        store.read_events(),
        store.checkpoints(),
        store.view_rows(COUNTER_VIEW.name),
    )


# -- sequences and positions ------------------------------------------------------------


def test_sequences_are_contiguous_and_positions_increase(make_app: MakeApp) -> None:
    app, store = make_app()
    plan = [("a", 2), ("b", 1), ("a", 3), ("c", 1), ("b", 4), ("a", 1)]
    returned: list[EventEnvelope] = []
    for aggregate_id, times in plan:
        envelopes = app.execute(aggregate_id, Add(times=times))
        assert len(envelopes) == times
        returned.extend(envelopes)

    for aggregate_id in ("a", "b", "c"):
        rows = store.load_events("counter", aggregate_id)
        assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
        assert [e.sequence for e in returned if e.aggregate_id == aggregate_id] == [
            r.sequence for r in rows
        ]
    log = store.read_events()
    positions = [e.position for e in log]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions) == sum(t for _, t in plan)
    assert [e.position for e in returned] == positions
    assert store.head_position() == positions[-1]
    assert all(e.aggregate_type == "counter" for e in returned)
    assert all(e.recorded_at for e in log)


def test_execute_accepts_command_text(make_app: MakeApp) -> None:
    app, store = make_app()
    envelopes = app.execute("a", '{"Add": {"times": 2}}')
    assert [e.payload for e in envelopes] == [Incremented(), Incremented()]
    assert app.load("a").aggregate.count == 2
    assert store.head_position() == 2


# -- metadata ---------------------------------------------------------------------------


def test_metadata_is_enriched(make_app: MakeApp) -> None:
    app, store = make_app()
    before = datetime.now(UTC)
    envelopes = app.execute("a", Add(times=3))
    after = datetime.now(UTC)
    metadata = envelopes[0].metadata
    assert set(metadata) == {"time", "command_id", "correlation_id", "causation_id"}
    moment = datetime.fromisoformat(metadata["time"])
    assert moment.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= moment <= after + timedelta(seconds=1)
    assert uuid.UUID(metadata["command_id"])
    assert metadata["correlation_id"] == metadata["command_id"]
    assert metadata["causation_id"] == metadata["command_id"]
    # the same metadata on every event of the command, stored and returned
    assert all(e.metadata == metadata for e in envelopes)
    assert all(r.metadata == metadata for r in store.load_events("counter", "a"))

    second = app.execute("a", Add(times=1))
    assert second[0].metadata["command_id"] != metadata["command_id"]


def test_callers_metadata_is_kept(make_app: MakeApp) -> None:
    app, store = make_app()
    given = {
        "correlation_id": "visit-42",
        "causation_id": "event-7",
        "uri": "/counter/a",
        "User-Agent": "pytest",
    }
    original = dict(given)
    envelopes = app.execute("a", Add(times=2), given)
    assert given == original  # not mutated
    for envelope in envelopes:
        metadata = envelope.metadata
        assert metadata["correlation_id"] == "visit-42"
        assert metadata["causation_id"] == "event-7"
        assert metadata["uri"] == "/counter/a"
        assert metadata["User-Agent"] == "pytest"
        assert metadata["command_id"] not in ("visit-42", "event-7")
        assert "time" in metadata
    assert envelopes[0].metadata == envelopes[1].metadata
    assert store.load_events("counter", "a")[1].metadata == envelopes[0].metadata


def test_injected_clock_and_ids(new_store: StoreFactory) -> None:
    store = new_store()
    framework = CqrsFramework(
        Counter, store, clock=lambda: "2030-01-02T03:04:05.000000+00:00", new_id=lambda: "cmd-1"
    )
    envelopes = framework.execute("a", Add(times=1))
    assert envelopes[0].metadata == {
        "time": "2030-01-02T03:04:05.000000+00:00",
        "command_id": "cmd-1",
        "correlation_id": "cmd-1",
        "causation_id": "cmd-1",
    }
    caller = framework.execute("a", Add(times=1), {"time": "2020-01-01T00:00:00+00:00"})
    assert caller[0].metadata["time"] == "2020-01-01T00:00:00+00:00"


@pytest.mark.parametrize("metadata", [{"count": 1}, {"ok": "x", "bad": None}, {1: "x"}])
def test_metadata_must_be_strings(metadata: Any, make_app: MakeApp) -> None:
    app, store = make_app()
    with pytest.raises(InvalidMessage, match="metadata"):
        app.execute("a", Add(times=1), metadata)
    assert store.head_position() == 0


# -- failures commit nothing ----------------------------------------------------------------


def test_rejected_command_commits_nothing(make_app: MakeApp) -> None:
    query = RecordingQuery()
    app, store = make_app(queries=[query])
    app.execute("a", Add(times=2))
    before = snapshot_of_store(store)
    calls = len(query.calls)

    with pytest.raises(UserError) as excinfo:
        app.execute("a", Reject())
    assert str(excinfo.value) == "counter says no"
    assert excinfo.value.error.args == ("counter says no",)

    assert snapshot_of_store(store) == before
    assert len(query.calls) == calls
    context = app.load("a")
    assert context.aggregate.count == 2
    assert context.sequence == 2


def test_command_without_events_dispatches_nothing(make_app: MakeApp) -> None:
    query = RecordingQuery()
    app, store = make_app(queries=[query])
    app.execute("a", Add(times=1))
    assert len(query.calls) == 1
    before = snapshot_of_store(store)

    assert app.execute("a", Noop()) == []
    assert app.execute("a", Add(times=0)) == []
    assert app.execute("new", Noop()) == []

    assert len(query.calls) == 1
    assert snapshot_of_store(store) == before
    row = store.load_view(COUNTER_VIEW.name, "a")
    assert row is not None and row.version == 1


def test_other_exception_in_handle_is_unexpected_error(make_app: MakeApp) -> None:
    app, store = make_app()
    app.execute("a", Add(times=1))
    before = snapshot_of_store(store)
    with pytest.raises(UnexpectedError, match="ZeroDivisionError: boom") as excinfo:
        app.execute("a", Explode())
    assert not isinstance(excinfo.value, UserError)
    assert isinstance(excinfo.value.__cause__, ZeroDivisionError)
    assert snapshot_of_store(store) == before


def test_exception_from_services_is_unexpected_error(make_app: MakeApp) -> None:
    def services(state: Counter, command: Any) -> None:
        raise KeyError("no such service")

    app, store = make_app(services=services)
    with pytest.raises(UnexpectedError, match="KeyError"):
        app.execute("a", Add(times=1))
    assert store.head_position() == 0


# -- the sink applies at once ----------------------------------------------------------------


def test_sink_write_applies_immediately() -> None:
    state = Counter()
    sink: EventSink[Counter] = EventSink(state)
    sink.write(Incremented())
    assert state.count == 1
    sink.write(Incremented())
    assert state.count == 2
    assert sink.collect() == [Incremented(), Incremented()]


def test_later_events_of_a_command_see_the_state_of_earlier_ones(make_app: MakeApp) -> None:
    app, store = make_app()
    app.execute("a", Add(times=2))
    envelopes = app.execute("a", Step())
    assert [e.payload for e in envelopes] == [Incremented(), Recorded(value=3)]
    envelopes = app.execute("a", Step())
    assert [e.payload for e in envelopes] == [Incremented(), Recorded(value=4)]
    stored = [r.payload for r in store.load_events("counter", "a")]
    assert stored[-1] == {"Recorded": {"value": 4}}
    context = app.load("a")
    assert context.aggregate.count == 4
    assert context.aggregate.recorded == [3, 4]
    assert context.sequence == 6


# -- optimistic concurrency -----------------------------------------------------------------


def test_two_writers_of_the_same_version_one_wins(make_app: MakeApp) -> None:
    app, store = make_app()
    framework = app.framework()
    app.execute("a", Add(times=1))
    first = framework.load("a")
    second = framework.load("a")
    assert first.sequence == second.sequence == 1

    meta = framework.command_metadata(None)
    framework.commit(first, [Incremented()], meta)
    after_first = snapshot_of_store(store)
    with pytest.raises(AggregateConflict) as excinfo:
        framework.commit(second, [Incremented(), Incremented()], framework.command_metadata(None))
    assert str(excinfo.value) == "aggregate conflict"

    assert snapshot_of_store(store) == after_first
    rows = store.load_events("counter", "a")
    assert [r.sequence for r in rows] == [1, 2]
    assert rows[1].metadata == meta
    assert app.load("a").aggregate.count == 2
    row = store.load_view(COUNTER_VIEW.name, "a")
    assert row is not None and row.payload["count"] == 2


class Interferer:
    """Services that let another writer commit to the aggregate during ``handle``."""

    def __init__(self, store: EventStore, times: int) -> None:
        self.other = CqrsFramework(Counter, store)
        self.times = times
        self.seen: list[int] = []

    def __call__(self, state: Counter, command: Any) -> None:
        self.seen.append(state.count)
        if self.times > 0:
            self.times -= 1
            self.other.execute("a", Add(times=1))


def test_retry_policy_reruns_on_a_fresh_load(new_store: StoreFactory) -> None:
    store = new_store()
    services = Interferer(new_store(), times=1)
    app = Application(
        counter_domain(),
        store,
        services=services,
        retry=RetryPolicy(attempts=3, backoff_seconds=0),
    )
    envelopes = app.execute("a", Add(times=2))
    assert [e.sequence for e in envelopes] == [2, 3]
    assert services.seen == [0, 1]  # the second run saw the other writer's event
    assert [r.sequence for r in store.load_events("counter", "a")] == [1, 2, 3]
    assert app.load("a").aggregate.count == 3
    live = store.view_rows(COUNTER_VIEW.name)
    assert live[0].payload["count"] == 3
    app.rebuild()
    assert store.view_rows(COUNTER_VIEW.name) == live


def test_without_retry_the_conflict_surfaces(new_store: StoreFactory) -> None:
    store = new_store()
    services = Interferer(new_store(), times=1)
    app = Application(counter_domain(), store, services=services)
    with pytest.raises(AggregateConflict):
        app.execute("a", Add(times=2))
    assert services.seen == [0]
    assert [r.sequence for r in store.load_events("counter", "a")] == [1]
    assert app.load("a").aggregate.count == 1


def test_retry_gives_up_after_its_attempts(new_store: StoreFactory) -> None:
    store = new_store()
    services = Interferer(new_store(), times=10)
    app = Application(
        counter_domain(),
        store,
        services=services,
        retry=RetryPolicy(attempts=3, backoff_seconds=0),
    )
    with pytest.raises(AggregateConflict):
        app.execute("a", Add(times=1))
    assert services.seen == [0, 1, 2]
    assert store.head_position() == 3  # only the other writer's events


def test_a_rejection_is_not_retried(make_app: MakeApp) -> None:
    calls: list[int] = []

    def services(state: Counter, command: Any) -> None:
        calls.append(state.count)

    app, store = make_app(services=services, retry=RetryPolicy(attempts=5, backoff_seconds=0))
    with pytest.raises(UserError):
        app.execute("a", Reject())
    assert calls == [0]
    assert store.head_position() == 0


def test_a_command_no_aggregate_knows_is_invalid(make_app: MakeApp) -> None:
    from tui_es.domains.bank import DepositMoney

    app, store = make_app()
    with pytest.raises(InvalidMessage, match="DepositMoney"):
        app.execute("a", DepositMoney(amount=1.0))
    assert store.head_position() == 0


def test_the_memory_store_refuses_a_sequence_gap() -> None:
    # memory only: its streams are lists indexed by sequence, which a gap would corrupt
    store = InMemoryEventStore()
    codec = EventCodec([Counter])
    with pytest.raises(ValueError, match="sequence 3 does not follow 0"), store.transaction() as tx:
        tx.append([codec.serialize("counter", "a", 3, Incremented(), {})])
    assert store.head_position() == 0


def test_the_clock_writes_what_format_time_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """utc_now formats each second once; every text must still be that moment's RFC 3339."""
    from tui_es.es import framework

    moments = [1_700_000_000_000_001_000, 1_700_000_000_999_999_000, 1_700_000_001_000_000_000]
    for nanoseconds in moments:
        monkeypatch.setattr(framework.time, "time_ns", lambda n=nanoseconds: n)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        expected = framework.format_time(epoch + timedelta(microseconds=nanoseconds // 1000))
        assert framework.utc_now() == expected


def test_command_ids_are_random_version_4_uuids() -> None:
    from tui_es.es.framework import new_uuid

    ids = [new_uuid() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text  # lower case, dashes where str(uuid4()) puts them
