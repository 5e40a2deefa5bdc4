"""The command trace records each step of execute with the values a learner needs to see."""

from __future__ import annotations

import json

from stores import StoreFactory

from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount, WithdrawMoney
from tui_es.es import AggregateConflict, Application, SnapshotPolicy, UserError


def test_a_committed_command_step_by_step(new_store: StoreFactory) -> None:
    app = Application(DOMAIN, new_store(), snapshots=SnapshotPolicy.every(2))
    app.execute("t", OpenAccount(account_id="t"))
    app.execute("t", DepositMoney(amount=100.0))  # snapshot at 2
    app.execute("t", DepositMoney(amount=1.0))
    trace, envelopes, error = app.trace("t", DepositMoney(amount=10.0), {"uri": "/x"})
    assert error is None and trace.outcome == "committed"
    assert [s.name for s in trace.steps] == ["load", "handle", "commit", "dispatch"]
    load, handle, commit, dispatch = trace.steps
    assert load.values["snapshot"] == {"version": 2, "number": 1}
    assert load.values["events_read"] == 1 and load.values["version"] == 3
    assert load.values["state"] == {"account_id": "t", "balance": 101.0}
    assert handle.values["events"] == [
        {"CustomerDepositedMoney": {"amount": 10.0, "balance": 111.0}}
    ]
    assert commit.values["expected_version"] == 3
    assert commit.values["sequences"] == [4]
    assert commit.values["positions"] == [e.position for e in envelopes]
    assert commit.values["snapshot"] == 4
    (view,) = dispatch.values["views"]
    assert view["view"] == "account_query"
    assert view["checkpoint"] == {"before": 3, "after": 4}
    (row,) = view["rows"]
    assert (row["view_id"], row["version_before"], row["version_after"]) == ("t", 3, 4)
    assert row["before"]["balance"] == 101.0 and row["after"]["balance"] == 111.0
    assert all(s.milliseconds >= 0 for s in trace.steps)
    document = json.loads(json.dumps(trace.to_json()))
    assert document["outcome"] == "committed" and len(document["steps"]) == 4


def test_a_rejected_command_is_traced_and_writes_nothing(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    app.execute("t", OpenAccount(account_id="t"))
    head = store.head_position()
    trace, envelopes, error = app.trace("t", WithdrawMoney(amount=5.0, atm_id="A"))
    assert isinstance(error, UserError) and envelopes == []
    assert (trace.outcome, trace.error) == ("rejected", "funds not available")
    assert [s.name for s in trace.steps] == ["load", "handle"]
    assert trace.steps[1].values["error"] == "funds not available"
    assert store.head_position() == head


def test_a_conflict_shows_the_expected_version(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    app.execute("t", OpenAccount(account_id="t"))

    class Interfere:
        """Another writer commits while this command is being handled."""

        def __init__(self) -> None:
            self.done = False

        def atm_withdrawal(self, atm_id: str, amount: float) -> None:
            if not self.done:
                self.done = True
                Application(DOMAIN, new_store()).execute("t", DepositMoney(amount=1.0))

        def validate_check(self, account_id: str, check_number: str) -> None: ...

    app.execute("t", DepositMoney(amount=50.0))
    racing = Application(DOMAIN, store, services=Interfere())
    trace, _, error = racing.trace("t", WithdrawMoney(amount=5.0, atm_id="A"))
    assert isinstance(error, AggregateConflict)
    assert trace.outcome == "conflict"
    commit = trace.get("commit")
    assert commit is not None and commit.values["expected_version"] == 2
    assert "version 3 was taken" in commit.values["error"]
