"""The scenario lab's scenarios, run against scratch copies."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import load_demo
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount, WithdrawMoney
from tui_es.domains.bank.policies import ROUND_UP_SAVINGS
from tui_es.es import Application, InMemoryEventStore
from tui_es.es.lab import (
    SCENARIOS,
    run_causation,
    run_conflict,
    run_consistency,
    run_drift,
    run_snapshot,
    run_upcast,
)
from tui_es.store import SqlEventStore
from tui_es.store.scratch import scratch_copy


def _bank() -> Application:
    app = Application(DOMAIN, InMemoryEventStore())
    app.execute("a", OpenAccount(account_id="a"))
    app.execute("a", DepositMoney(amount=100.0))
    return app


def test_every_scenario_has_a_runner_and_an_explanation() -> None:
    from tui_es.es.lab import RUNNERS

    assert [s.key for s in SCENARIOS] == list(RUNNERS)
    assert all(len(s.explanation) > 80 for s in SCENARIOS)


def test_conflict_one_commits_the_other_retries() -> None:
    app = _bank()
    run = run_conflict(app, "a", DepositMoney(amount=1.0))
    titles = [s.title for s in run.steps]
    assert titles == [
        "Writer A loads",
        "Writer B loads",
        "A commits",
        "B's commit is refused",
        "B reloads and retries",
    ]
    assert run.steps[0].values["version"] == run.steps[1].values["version"] == 2
    assert run.steps[2].values["sequences"] == [3]
    assert run.steps[3].values["error"] == "aggregate conflict"
    assert run.steps[4].values["sequences"] == [4]
    assert app.state("a")[0].state_json()["balance"] == 102.0


def test_snapshot_reads_fewer_events() -> None:
    app = _bank()
    run = run_snapshot(app, "a", DepositMoney(amount=1.0), interval=4, commands=10)
    loads = run.steps[0].values["loads"]
    assert [row["events_read_without"] for row in loads] == list(range(3, 13))
    assert all(row["events_read_with"] < 4 for row in loads)
    assert loads[-1]["snapshot_at"] == 12 and loads[-1]["events_read_with"] == 0


def test_drift_is_found_then_rebuilt_away() -> None:
    app = _bank()
    run = run_drift(app, "account_query")
    (difference,) = run.steps[2].values["differences"]
    assert difference["view_id"] == "a"
    assert difference["live"]["account_id"] == "a (damaged)"
    assert difference["rebuilt"]["account_id"] == "a"
    assert run.steps[3].values["equal"] is True


def test_upcast_finds_an_old_event(demo_app: Application) -> None:
    run = run_upcast(demo_app)
    stored, chain, current = run.steps
    assert stored.values["version"] == "1.0"
    assert "atm_id" not in stored.values["payload"]["CustomerWithdrewCash"]
    assert chain.explanation == "CustomerWithdrewCash 1.0 → 2.0"
    assert chain.values["applied"] == "1 upcaster"
    assert current.values["payload"]["CustomerWithdrewCash"]["atm_id"] is None
    assert current.values["version"] == "2.0"  # as the event declares it


def test_upcast_says_so_when_nothing_needs_it() -> None:
    run = run_upcast(_bank())
    assert run.steps[0].title == "No stored event needs an upcaster"


def test_consistency_stale_then_fresh() -> None:
    app = _bank()
    run = run_consistency(app, "a", DepositMoney(amount=1.0), "account_query")
    sync, stale, fresh = run.steps
    assert sync.values["version_after"] == sync.values["version_before"] + 1
    assert stale.values["lag"] == 1 and stale.values["version"] == sync.values["version_after"]
    assert fresh.values["lag"] == 0 and fresh.values["version"] == stale.values["version"] + 1


def test_causation_tree() -> None:
    app = _bank()
    run = run_causation(app, "a", WithdrawMoney(amount=33.0, atm_id="ATM-1"), ROUND_UP_SAVINGS)
    tree = run.steps[0].values["tree"]
    correlation = run.steps[0].values["correlation_id"]
    (withdrawal,) = tree["children"]
    assert withdrawal["event"]["CustomerWithdrewCash"]["amount"] == 33.0
    opened, deposit = withdrawal["children"]
    assert opened["aggregate_id"] == deposit["aggregate_id"] == "a-savings"
    assert deposit["command"] == {"DepositMoney": {"amount": 7.0}}
    assert deposit["causation_id"] == "account/a#3"
    saved = app.store.read_events(after_position=3)
    assert [e.aggregate_id for e in saved] == ["a-savings", "a-savings"]
    assert {e.metadata["correlation_id"] for e in saved} == {correlation}
    assert {e.metadata["causation_id"] for e in saved} == {"account/a#3"}


def test_scratch_copies_leave_the_real_store_alone(demo_app: Application, tmp_path: Path) -> None:
    path = Path(str(demo_app.store.url.database))  # type: ignore[attr-defined]
    demo_app.store.close()
    before = path.read_bytes()
    scratch = scratch_copy(SqlEventStore(path, read_only=True), ["account_query"], tmp_path)
    lab = Application(DOMAIN, scratch)
    assert lab.store.head_position() == 84
    run_conflict(lab, lab.store.aggregate_ids("account")[0], DepositMoney(amount=1.0))
    assert lab.store.head_position() == 86
    assert path.read_bytes() == before


def test_scratch_copy_of_a_memory_store(tmp_path: Path) -> None:
    source = load_demo(Application(DOMAIN, InMemoryEventStore()))
    scratch = scratch_copy(source.store, ["account_query"], tmp_path)
    assert scratch.read_events() == source.store.read_events()
    assert scratch.view_rows("account_query") == source.store.view_rows("account_query")
