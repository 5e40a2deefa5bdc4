"""Time travel: AggregateHistory and Application.state at a version or a moment.

On every store (see conftest.py). The stores take a time from the clock given
to them per event (memory) or per commit (SQL), so events written by one
command may share their ``recorded_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from counter_domain import Add, Counter, Step, counter_domain, replay
from stores import StoreFactory

from tui_es.es import Application
from tui_es.es.replay import AggregateHistory, iter_log, state_at

START = datetime(2030, 1, 1, tzinfo=UTC)


def stamp(i: int) -> str:
    return (START + timedelta(seconds=10 * i)).isoformat(timespec="microseconds")


def clock() -> Iterator[str]:
    i = 0
    while True:
        i += 1
        yield stamp(i)


@pytest.fixture(scope="module")
def app(module_store: StoreFactory) -> Application:
    """~300 events for "a" (several stride blocks), interleaved with "b"."""
    store = module_store(clock=clock())
    app = Application(counter_domain(), store)
    i = 0
    while store.last_sequence("counter", "a") < 300:
        i += 1
        app.execute("a", Step() if i % 3 == 0 else Add(times=1 + i % 5))
        if i % 4 == 0:
            app.execute("b", Add(times=1))
    return app


def test_history_is_long_enough(app: Application) -> None:
    history = app.history("a")
    assert history.version >= 300
    assert history.version > 4 * history.stride
    assert history.version == app.store.last_sequence("counter", "a")


def test_state_at_every_version_equals_a_replay(app: Application) -> None:
    history = app.history("a")
    payloads = [e.payload for e in history.envelopes]
    for version in range(history.version + 1):
        expected = replay(payloads[:version])
        assert history.state_at(version) == expected, version
        state, sequence = app.state("a", version=version)
        assert state == expected, version
        assert sequence == version
        assert state_at(app.store, app.codec, "counter", "a", version) == (expected, version)
    assert history.state_at(history.version) == app.load("a").aggregate


def test_state_at_does_not_share_state(app: Application) -> None:
    history = app.history("a")
    first = history.state_at(history.stride * 2)
    assert isinstance(first, Counter)
    first.count = -1
    first.recorded.append(-1)
    second = history.state_at(history.stride * 2)
    assert second.count != -1
    assert -1 not in second.recorded
    assert second == replay([e.payload for e in history.envelopes[: history.stride * 2]])


@pytest.mark.parametrize("version", [-1, 10_000])
def test_state_at_outside_the_history(app: Application, version: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        app.history("a").state_at(version)


def test_event_at(app: Application) -> None:
    history = app.history("a")
    assert history.event_at(0) is None
    rows = app.store.load_events("counter", "a")
    for version in (1, 2, 64, 65, 128, history.version):
        envelope = history.event_at(version)
        assert envelope is not None
        assert envelope.sequence == version
        assert envelope.position == rows[version - 1].position
        assert envelope.recorded_at == rows[version - 1].recorded_at


def recorded_with(history: AggregateHistory, version: int) -> tuple[str, int, int]:
    """The moment of ``version``, and the first and last version recorded at that moment.

    Just ``version`` on the memory store (a time per event); on the SQL stores,
    every event of the command that wrote it (a time per commit).
    """
    moment = history.envelopes[version - 1].recorded_at
    assert moment is not None
    same = [e.sequence for e in history.envelopes if e.recorded_at == moment]
    assert version in same
    assert same == list(range(same[0], same[-1] + 1))
    return moment, same[0], same[-1]


def test_version_at_a_time(app: Application) -> None:
    history = app.history("a")
    assert history.version_at(stamp(0)) == 0
    assert history.version_at("2029-12-31T23:59:59.000000+00:00") == 0
    assert history.version_at(stamp(10_000)) == history.version
    for version in (1, 7, 64, 200, history.version):
        moment, first, last = recorded_with(history, version)
        assert history.version_at(moment) == last
        # a moment just after it still sees the same version, unless the next event is then
        just_after = (datetime.fromisoformat(moment) + timedelta(seconds=1)).isoformat(
            timespec="microseconds"
        )
        assert history.version_at(just_after) == last
        just_before = (datetime.fromisoformat(moment) - timedelta(seconds=1)).isoformat(
            timespec="microseconds"
        )
        assert history.version_at(just_before) == first - 1


def test_application_state_at_a_time(app: Application) -> None:
    history = app.history("a")
    assert app.state("a", at=stamp(0)) == (Counter(), 0)
    for version in (1, 50, 130, 257, history.version):
        moment, _, last = recorded_with(history, version)
        state, sequence = app.state("a", at=moment)
        assert sequence == last
        assert state == history.state_at(last)


def test_state_now(app: Application) -> None:
    state, sequence = app.state("a")
    assert sequence == app.history("a").version
    assert state == app.load("a").aggregate


def test_state_of_an_unknown_aggregate(app: Application) -> None:
    assert app.state("nobody", version=5) == (Counter(), 0)
    assert app.history("nobody").version == 0
    assert app.history("nobody").state_at(0) == Counter()


def test_iter_log_pages_through_everything_in_order(app: Application) -> None:
    everything = list(iter_log(app.store, page=7))
    assert [e.position for e in everything] == list(range(1, app.store.head_position() + 1))
    later = list(iter_log(app.store, after_position=100, page=50))
    assert [e.position for e in later] == list(range(101, app.store.head_position() + 1))


def test_times_in_other_spellings_mean_the_same_instant(new_store: StoreFactory) -> None:
    store = new_store(
        clock=iter(["2030-01-01T00:00:10.500000+00:00", "2030-01-01T00:00:20.000000+00:00"])
    )
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=1))
    app.execute("a", Add(times=1))
    history = app.history("a")
    cases = {
        "2030-01-01T00:00:10Z": 0,  # before 10.5 s, though "Z" sorts after "."
        "2030-01-01T00:00:10+00:00": 0,
        "2030-01-01T00:00:10.5Z": 1,
        "2030-01-01T01:00:15+01:00": 1,  # 00:00:15 UTC
        "2029-12-31T23:00:25-01:00": 2,  # 00:00:25 UTC
        "2030-01-01T00:00:15.000000+00:00": 1,
    }
    for at, version in cases.items():
        assert history.version_at(at) == version, at
        state, sequence = app.state("a", at=at)
        assert (state.count, sequence) == (version, version), at


@pytest.mark.parametrize("at", ["yesterday", "2030-01-01T00:00:10"])
def test_a_time_without_zone_or_not_a_time_is_refused(new_store: StoreFactory, at: str) -> None:
    app = Application(counter_domain(), new_store())
    with pytest.raises(ValueError):
        app.state("a", at=at)
    with pytest.raises(ValueError):
        app.history("a").version_at(at)


@pytest.mark.parametrize("version", [-1, -3])
def test_a_negative_version_is_not_counted_from_the_end(
    new_store: StoreFactory, version: int
) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=5))
    assert store.load_events("counter", "a", until_sequence=version) == []
    assert app.state("a", version=version) == (Counter(), 0)
