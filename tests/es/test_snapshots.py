"""Snapshots: when they are taken, what they hold, and that loading from one equals a replay.

The policy tests need no store; the rest run on every store (see conftest.py).
"""

from __future__ import annotations

import uuid

import pytest
from counter_domain import Add, Counter, Incremented, Noop, Recorded, Step, replay
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stores import StoreFactory

from tui_es.es import CqrsFramework, SerializedSnapshot, SnapshotPolicy
from tui_es.es.codec import EventCodec

# -- SnapshotPolicy.due ---------------------------------------------------------------------


@pytest.mark.parametrize("current", [0, 1, 4, 99])
@pytest.mark.parametrize("new", [0, 1, 3, 100])
def test_events_only_never_snapshots(current: int, new: int) -> None:
    policy = SnapshotPolicy.events_only()
    assert not policy.uses_snapshots
    assert policy.due(current, new) is False
    assert SnapshotPolicy().due(current, new) is False


@pytest.mark.parametrize("current", [0, 1, 4, 99])
def test_every_commit_snapshots_every_commit_with_events(current: int) -> None:
    policy = SnapshotPolicy.every_commit()
    assert policy.uses_snapshots
    assert policy.due(current, 1) is True
    assert policy.due(current, 7) is True
    assert policy.due(current, 0) is False


@pytest.mark.parametrize(
    ("interval", "current", "new", "due"),
    [
        # cqrs-es's unit-test vectors (a snapshot when a multiple is crossed)
        (5, 5, 3, False),
        (4, 5, 3, True),
        (4, 5, 4, True),
        (4, 5, 8, True),
        # more
        (4, 0, 3, False),
        (4, 0, 4, True),
        (4, 3, 1, True),
        (4, 4, 1, False),
        (4, 4, 3, False),
        (4, 4, 4, True),
        (4, 7, 0, False),
        (1, 0, 1, True),
        (1, 9, 1, True),
        (10, 9, 1, True),
        (10, 10, 9, False),
        (10, 10, 10, True),
    ],
)
def test_every_n_snapshots_when_a_multiple_is_crossed(
    interval: int, current: int, new: int, due: bool
) -> None:
    assert SnapshotPolicy.every(interval).due(current, new) is due


@pytest.mark.parametrize("interval", [1, 2, 3, 7])
def test_every_n_agrees_with_a_brute_force_check(interval: int) -> None:
    policy = SnapshotPolicy.every(interval)
    for current in range(0, 20):
        for new in range(0, 12):
            crossed = any(s % interval == 0 for s in range(current + 1, current + new + 1))
            assert policy.due(current, new) is crossed, (current, new)


@pytest.mark.parametrize("interval", [0, -1])
def test_every_needs_a_positive_interval(interval: int) -> None:
    with pytest.raises(ValueError):
        SnapshotPolicy.every(interval)


def test_policy_names() -> None:
    assert str(SnapshotPolicy.events_only()) == "events only"
    assert str(SnapshotPolicy.every_commit()) == "every commit"
    assert str(SnapshotPolicy.every(50)) == "every 50 events"


# -- snapshot + tail == full replay ---------------------------------------------------------

policies = st.one_of(
    st.just(SnapshotPolicy.every_commit()),
    st.integers(min_value=1, max_value=9).map(SnapshotPolicy.every),
)
commands = st.one_of(
    st.integers(min_value=0, max_value=6).map(lambda n: Add(times=n)),
    st.just(Step()),
    st.just(Noop()),
)


# The examples share the test's database: each writes aggregates of its own.
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    policy=policies,
    history=st.lists(st.tuples(st.sampled_from(["a", "b"]), commands), max_size=25),
)
def test_loading_from_a_snapshot_equals_a_full_replay(
    new_store: StoreFactory, policy: SnapshotPolicy, history: list[tuple[str, object]]
) -> None:
    store = new_store()
    example = uuid.uuid4().hex
    history = [(f"{example}-{aggregate_id}", command) for aggregate_id, command in history]
    with_snapshots = CqrsFramework(Counter, store, snapshots=policy)
    events_only = CqrsFramework(Counter, store)
    codec = EventCodec([Counter])
    for aggregate_id, command in history:
        with_snapshots.execute(aggregate_id, command)  # type: ignore[arg-type]
        loaded = with_snapshots.load(aggregate_id)
        replayed = events_only.load(aggregate_id)
        assert not replayed.snapshot_used
        assert loaded.aggregate == replayed.aggregate
        assert loaded.sequence == replayed.sequence

    for aggregate_id in (f"{example}-a", f"{example}-b"):
        rows = store.load_events("counter", aggregate_id)
        expected = replay([e.payload for e in codec.decode_all(rows)])
        loaded = with_snapshots.load(aggregate_id)
        assert loaded.aggregate == expected
        assert loaded.aggregate.count == sum(1 for r in rows if r.event_type == "Incremented")
        assert loaded.sequence == len(rows)
        snapshot = store.load_snapshot("counter", aggregate_id)
        if snapshot is None:
            assert not loaded.snapshot_used
            assert loaded.events_read == len(rows)
            continue
        assert loaded.snapshot_used
        assert loaded.events_read == len(rows) - snapshot.last_sequence
        # the snapshot holds the state after exactly last_sequence events
        at = replay([e.payload for e in codec.decode_all(rows[: snapshot.last_sequence])])
        assert Counter.model_validate(snapshot.payload) == at
        if isinstance(policy, SnapshotPolicy) and policy.mode == "commit":
            assert snapshot.last_sequence == len(rows)


def test_snapshot_of_a_commit_crossing_a_boundary_holds_its_last_sequence(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    framework = CqrsFramework(Counter, store, snapshots=SnapshotPolicy.every(4))
    framework.execute("a", Add(times=3))
    assert store.load_snapshot("counter", "a") is None
    framework.execute("a", Add(times=3))  # 4..6: crosses 4, ends at 6
    snapshot = store.load_snapshot("counter", "a")
    assert snapshot is not None
    assert snapshot.last_sequence == 6
    assert snapshot.payload["count"] == 6  # not 4 (state at the boundary), not 8 (applied twice)
    assert snapshot.current_snapshot == 1
    context = framework.load("a")
    assert context.snapshot_used
    assert context.events_read == 0
    assert context.aggregate.count == 6
    assert context.sequence == 6

    framework.execute("a", Step())  # 7, 8: crosses 8
    snapshot = store.load_snapshot("counter", "a")
    assert snapshot is not None
    assert (snapshot.last_sequence, snapshot.current_snapshot) == (8, 2)
    assert snapshot.payload == {"count": 7, "recorded": [7]}
    framework.execute("a", Add(times=1))  # 9: no snapshot
    context = framework.load("a")
    assert context.events_read == 1
    assert context.aggregate.count == 8
    assert context.sequence == 9


def test_every_commit_snapshot_does_not_apply_twice(new_store: StoreFactory) -> None:
    store = new_store()
    framework = CqrsFramework(Counter, store, snapshots=SnapshotPolicy.every_commit())
    for n in (2, 3, 1):
        framework.execute("a", Add(times=n))
    snapshot = store.load_snapshot("counter", "a")
    assert snapshot is not None
    assert (snapshot.last_sequence, snapshot.current_snapshot) == (6, 3)
    assert snapshot.payload["count"] == 6
    assert framework.load("a").aggregate.count == 6


def test_events_only_writes_no_snapshot(new_store: StoreFactory) -> None:
    store = new_store()
    framework = CqrsFramework(Counter, store)
    framework.execute("a", Add(times=10))
    assert store.load_snapshot("counter", "a") is None


@pytest.mark.parametrize(
    "payload",
    [{"count": "not a number"}, {"count": [1, 2]}, {"count": 1, "recorded": "nope"}],
)
def test_a_snapshot_that_no_longer_decodes_is_ignored(
    new_store: StoreFactory, payload: dict
) -> None:
    store = new_store()
    framework = CqrsFramework(Counter, store, snapshots=SnapshotPolicy.every(100))
    framework.execute("a", Add(times=3))
    framework.execute("a", Step())
    with store.transaction() as tx:
        tx.save_snapshot(SerializedSnapshot("counter", "a", payload, 4, 1))

    context = framework.load("a")
    assert not context.snapshot_used
    assert context.events_read == 5
    assert context.sequence == 5
    assert context.aggregate == replay([Incremented()] * 4 + [Recorded(value=4)])

    # the next snapshot replaces the bad one (compare-and-set on its counter)
    framework_every_commit = CqrsFramework(Counter, store, snapshots=SnapshotPolicy.every_commit())
    framework_every_commit.execute("a", Add(times=1))
    snapshot = store.load_snapshot("counter", "a")
    assert snapshot is not None
    assert (snapshot.last_sequence, snapshot.current_snapshot) == (6, 2)
    assert snapshot.payload == {"count": 5, "recorded": [4]}
    context = framework.load("a")
    assert context.snapshot_used
    assert context.aggregate.count == 5


@pytest.mark.parametrize(
    "payload",
    [{"count": 7}, {"count": 7, "recorded": [], "renamed": 1}, {"count": "7", "recorded": []}],
)
def test_a_snapshot_of_another_shape_is_not_filled_in(
    new_store: StoreFactory, payload: dict
) -> None:
    # a snapshot missing a field (or with one too many, or a number as text) comes from
    # another version of the aggregate: defaults or coercion would give a wrong state
    store = new_store()
    framework = CqrsFramework(Counter, store, snapshots=SnapshotPolicy.every(100))
    framework.execute("a", Add(times=3))
    with store.transaction() as tx:
        tx.save_snapshot(SerializedSnapshot("counter", "a", payload, 3, 1))
    context = framework.load("a")
    assert not context.snapshot_used
    assert context.aggregate.count == 3
