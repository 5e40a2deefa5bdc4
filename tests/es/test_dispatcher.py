"""The projection dispatcher: views in the commit's transaction, catch-up, rebuild, queries.

On every store (see conftest.py); a second ``new_store()`` is another process on the same
database.
"""

from __future__ import annotations

import dataclasses
from collections import Counter as Tally
from typing import Any

import pytest
from counter_domain import (
    COUNTER_VIEW,
    Add,
    Counter,
    CounterView,
    Incremented,
    Step,
    counter_domain,
)
from stores import StoreFactory

from tui_es.domains.bank import (
    DOMAIN,
    BankAccount,
    DepositMoney,
    OpenAccount,
    WithdrawMoney,
    WriteCheck,
)
from tui_es.es import (
    Application,
    CqrsFramework,
    Domain,
    EventCodec,
    EventEnvelope,
    EventStore,
    ProjectionDispatcher,
    ViewProjection,
)
from tui_es.es.store import StoreTransaction, ViewRow

VIEW = COUNTER_VIEW.name


def run_bank_script(app: Application) -> None:
    for account in ("acct-1", "acct-2", "acct-3"):
        app.execute(account, OpenAccount(account_id=account))
    for i in range(1, 6):
        for account in ("acct-1", "acct-2", "acct-3"):
            app.execute(account, DepositMoney(amount=float(10 * i)))
    app.execute("acct-1", WithdrawMoney(amount=5.0, atm_id="ATM-1"))
    app.execute("acct-2", WriteCheck(check_number="101", amount=7.5))


def test_views_are_updated_in_the_commit(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    row = store.load_view("account_query", "acct-1")
    assert row is not None
    assert row.payload["account_id"] == "acct-1"
    assert store.checkpoints()["account_query"] == store.head_position() == 1
    app.execute("acct-1", DepositMoney(amount=3.0))
    row = store.load_view("account_query", "acct-1")
    assert row is not None and row.payload["balance"] == 3.0
    assert store.checkpoints()["account_query"] == store.head_position() == 2


class Boom(Exception):
    pass


class FailingView(CounterView):
    def update(self, envelope: EventEnvelope) -> None:
        if envelope.sequence == 3:
            raise Boom("view failed")
        super().update(envelope)


def test_a_failing_view_rolls_back_the_events(new_store: StoreFactory) -> None:
    store = new_store()
    failing = ViewProjection("failing", FailingView, frozenset({"counter"}))
    domain = dataclasses.replace(counter_domain(), views=(COUNTER_VIEW, failing))
    app = Application(domain, store)
    app.execute("a", Add(times=2))
    before = (store.read_events(), store.checkpoints(), store.view_rows(VIEW))
    with pytest.raises(Boom):
        app.execute("a", Add(times=2))  # sequences 3 and 4: the view fails on 3
    assert (store.read_events(), store.checkpoints(), store.view_rows(VIEW)) == before
    assert store.head_position() == 2


def test_view_version_counts_the_events_folded_into_the_row(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=3))
    app.execute("b", Add(times=1))
    app.execute("a", Step())
    a = store.load_view(VIEW, "a")
    b = store.load_view(VIEW, "b")
    assert a is not None and b is not None
    assert a.version == 5
    assert a.payload["count"] == 4
    assert a.payload["sequences"] == [1, 2, 3, 4, 5]
    assert b.version == 1
    app.rebuild()
    assert store.load_view(VIEW, "a") == a
    assert store.load_view(VIEW, "b") == b


def append_directly(store: EventStore, app_codec: EventCodec, plan: list[tuple[str, int]]) -> None:
    """Write events as another program would: no dispatcher, no views."""
    for aggregate_id, times in plan:
        with store.transaction() as tx:
            last = tx.last_sequence("counter", aggregate_id)
            tx.append(
                [
                    app_codec.serialize("counter", aggregate_id, last + i, Incremented(), {})
                    for i in range(1, times + 1)
                ]
            )


def test_a_view_behind_the_log_catches_up_on_start(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=2))
    append_directly(new_store(), app.codec, [("a", 3), ("b", 2), ("c", 1)])
    assert store.checkpoints()[VIEW] == 2
    row = store.load_view(VIEW, "a")
    assert row is not None and row.payload["count"] == 2

    caught_up = Application(counter_domain(), new_store())  # a restart
    assert store.checkpoints()[VIEW] == store.head_position() == 8
    live = store.view_rows(VIEW)
    assert {r.view_id: r.payload["count"] for r in live} == {"a": 5, "b": 2, "c": 1}
    caught_up.rebuild()
    assert store.view_rows(VIEW) == live


def test_a_new_view_is_filled_on_start(new_store: StoreFactory) -> None:
    store = new_store()
    framework = CqrsFramework(Counter, store)  # no views at all
    framework.execute("a", Add(times=4))
    framework.execute("b", Step())
    Application(counter_domain(), new_store())
    assert store.checkpoints()[VIEW] == 6
    a = store.load_view(VIEW, "a")
    b = store.load_view(VIEW, "b")
    assert a is not None and a.payload["count"] == 4 and a.version == 4
    assert b is not None and b.payload["recorded"] == [1]


def test_a_view_behind_the_log_folds_the_backlog_in_the_next_commit(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=1))
    append_directly(new_store(), app.codec, [("a", 2), ("b", 3)])
    app.execute("a", Add(times=1))  # the same Application: folds positions 2..6 first
    assert store.checkpoints()[VIEW] == store.head_position() == 7
    live = store.view_rows(VIEW)
    assert {r.view_id: (r.payload["count"], r.version) for r in live} == {
        "a": (4, 4),
        "b": (3, 3),
    }
    app.rebuild()
    assert store.view_rows(VIEW) == live


def test_catch_up_can_be_turned_off(new_store: StoreFactory) -> None:
    store = new_store()
    CqrsFramework(Counter, store).execute("a", Add(times=2))
    app = Application(counter_domain(), store, catch_up=False)
    assert store.view_rows(VIEW) == []
    assert app.dispatcher.lag(store) == {VIEW: 2}
    progress: list[tuple[int, int]] = []
    assert app.dispatcher.catch_up(store, lambda p, h: progress.append((p, h))) == {VIEW: 2}
    assert progress[-1] == (2, 2)
    assert app.dispatcher.lag(store) == {VIEW: 0}


def test_rebuild_from_zero_equals_live(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)
    live = store.view_rows("account_query")
    assert len(live) == 3
    checkpoints = store.checkpoints()
    assert app.rebuild() == {"account_query": store.head_position()}
    assert store.view_rows("account_query") == live
    assert store.checkpoints() == checkpoints


def test_rebuild_in_small_batches_equals_live(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)
    live = store.view_rows("account_query")
    app.dispatcher.batch_size = 4
    progress: list[tuple[int, int]] = []
    app.rebuild("account_query", progress=lambda p, h: progress.append((p, h)))
    assert store.view_rows("account_query") == live
    reached = [p for p, _ in progress]
    # reported as it goes (a batch at a time here), never backwards, up to the head
    assert len(reached) >= 3 and reached == sorted(set(reached)) and reached[-1] == 20
    assert all(h == 20 for _, h in progress)


def test_rebuild_of_a_view_keyed_otherwise_goes_in_position_batches(
    new_store: StoreFactory,
) -> None:
    from tui_es.domains.bank.views import ACCOUNT_QUERY

    by_type = dataclasses.replace(ACCOUNT_QUERY, name="by_type", view_id=lambda e: "all")
    store = new_store()
    domain = dataclasses.replace(DOMAIN, views=(ACCOUNT_QUERY, by_type))
    app = Application(domain, store)
    run_bank_script(app)
    live = store.view_rows("by_type")
    app.dispatcher.batch_size = 4
    progress: list[tuple[int, int]] = []
    app.rebuild("by_type", progress=lambda p, h: progress.append((p, h)))
    assert store.view_rows("by_type") == live
    assert [p for p, _ in progress] == [4, 8, 12, 16, 20]


def test_rebuild_from_a_position_only_contains_later_events(new_store: StoreFactory) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    app.execute("early", OpenAccount(account_id="early"))
    app.execute("early", DepositMoney(amount=1.0))
    app.execute("mixed", OpenAccount(account_id="mixed"))
    app.execute("mixed", DepositMoney(amount=10.0))
    n = store.head_position()
    app.execute("mixed", DepositMoney(amount=20.0))
    app.execute("mixed", WithdrawMoney(amount=5.0, atm_id="ATM-1"))
    app.execute("late", OpenAccount(account_id="late"))

    assert app.rebuild("account_query", from_position=n) == {"account_query": 3}
    rows = {r.view_id: r for r in store.view_rows("account_query")}
    assert set(rows) == {"mixed", "late"}  # nothing from before position n
    mixed = rows["mixed"]
    assert mixed.version == 2
    assert mixed.payload["account_id"] is None  # its AccountOpened came before n
    assert mixed.payload["ledger"] == [
        {"description": "deposit", "amount": 20.0},
        {"description": "atm withdrawal", "amount": 5.0},
    ]
    assert mixed.payload["balance"] == 25.0
    assert rows["late"].version == 1
    assert store.checkpoints()["account_query"] == store.head_position()


def test_rebuild_of_an_unknown_view(new_store: StoreFactory) -> None:
    app = Application(DOMAIN, new_store())
    with pytest.raises(KeyError, match="unknown view"):
        app.rebuild("nope")


def test_projection_names_must_be_unique() -> None:
    class Named:
        name = VIEW

        def dispatch(self, aggregate_id: str, envelopes: Any) -> None:
            pass

    with pytest.raises(ValueError, match="unique"):
        ProjectionDispatcher(EventCodec([Counter]), [COUNTER_VIEW], [Named()])


def test_view_names_are_identifiers() -> None:
    for bad in ("", "Account", "1view", "drop table", "a-b"):
        with pytest.raises(ValueError, match="invalid view name"):
            ViewProjection(bad, CounterView, frozenset({"counter"}))


# -- queries after the commit ------------------------------------------------------------------


class Crash(BaseException):
    """A simulated crash: not an Exception, so nothing may swallow it."""


class CountingQuery:
    name = "counting"

    def __init__(self, seen: Tally[int], crash_at: int | None = None) -> None:
        self.seen = seen
        self.crash_at = crash_at
        self.batches: list[tuple[str, list[int]]] = []

    def dispatch(self, aggregate_id: str, envelopes: Any) -> None:
        positions = [e.position for e in envelopes]
        assert all(e.aggregate_id == aggregate_id for e in envelopes)
        if self.crash_at is not None and self.crash_at in positions:
            self.crash_at = None
            raise Crash(f"crashed before handling position {positions}")
        self.batches.append((aggregate_id, positions))
        self.seen.update(positions)


def test_queries_get_each_commit_after_it(new_store: StoreFactory) -> None:
    seen: Tally[int] = Tally()
    query = CountingQuery(seen)
    store = new_store()
    app = Application(counter_domain(), store, queries=[query])
    app.execute("a", Add(times=2))
    app.execute("b", Step())
    app.execute("a", Add(times=0))
    assert query.batches == [("a", [1, 2]), ("b", [3, 4])]
    assert store.checkpoints()["counting"] == 4


def test_a_query_crash_after_commit_is_caught_up_exactly_once(new_store: StoreFactory) -> None:
    seen: Tally[int] = Tally()
    store = new_store()
    crashing = CountingQuery(seen, crash_at=4)
    app = Application(counter_domain(), store, queries=[crashing])
    app.execute("a", Add(times=2))  # positions 1, 2
    app.execute("b", Add(times=1))  # position 3
    with pytest.raises(Crash):
        app.execute("a", Add(times=2))  # positions 4, 5: committed, then the query crashes
    # the events and the in-database view are committed; the query is behind
    assert store.head_position() == 5
    assert store.checkpoints()[VIEW] == 5
    assert store.checkpoints()["counting"] == 3
    row = store.load_view(VIEW, "a")
    assert row is not None and row.payload["count"] == 4

    # another program writes while the query is down
    append_directly(new_store(), app.codec, [("c", 2)])  # positions 6, 7

    recovered = CountingQuery(seen)
    Application(counter_domain(), new_store(), queries=[recovered])
    assert store.checkpoints()["counting"] == 7
    assert recovered.batches == [("a", [4, 5]), ("c", [6, 7])]
    assert seen == Tally(range(1, 8))  # every position exactly once across both


def test_a_query_crash_midway_through_a_catch_up_resumes_after_the_last_finished(
    new_store: StoreFactory,
) -> None:
    seen: Tally[int] = Tally()
    store = new_store()
    framework = CqrsFramework(Counter, store)
    for aggregate_id in ("a", "b", "a", "c", "b"):
        framework.execute(aggregate_id, Add(times=2))  # 10 events in 5 commits
    with pytest.raises(Crash):
        Application(counter_domain(), store, queries=[CountingQuery(seen, crash_at=7)])
    assert store.checkpoints()["counting"] == 6
    Application(counter_domain(), new_store(), queries=[CountingQuery(seen)])
    assert store.checkpoints()["counting"] == 10
    assert seen == Tally(range(1, 11))


@pytest.mark.parametrize("from_position", [-1, 9])
def test_rebuild_from_outside_the_log_is_refused(
    new_store: StoreFactory, from_position: int
) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=3))
    live = store.view_rows(VIEW)
    with pytest.raises(ValueError, match="outside"):
        app.rebuild(VIEW, from_position=from_position)
    assert store.view_rows(VIEW) == live
    assert store.checkpoints()[VIEW] == 3
    # later commits still reach the view
    app.execute("a", Add(times=1))
    row = store.load_view(VIEW, "a")
    assert row is not None and row.payload["count"] == 4


def test_rebuild_from_the_head_empties_the_view_and_keeps_following(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    app = Application(counter_domain(), store)
    app.execute("a", Add(times=3))
    assert app.rebuild(VIEW, from_position=3) == {VIEW: 0}
    assert store.view_rows(VIEW) == []
    app.execute("a", Add(times=1))
    row = store.load_view(VIEW, "a")
    assert row is not None and (row.payload["count"], row.version) == (1, 1)


class FailingQuery(CountingQuery):
    name = "failing"

    def __init__(self, seen: Tally[int], fail_at: int) -> None:
        super().__init__(seen)
        self.fail_at: int | None = fail_at

    def dispatch(self, aggregate_id: str, envelopes: Any) -> None:
        if self.fail_at is not None and any(e.position == self.fail_at for e in envelopes):
            self.fail_at = None
            raise RuntimeError("broker unreachable")
        super().dispatch(aggregate_id, envelopes)


def test_a_failing_query_cannot_fail_the_command_and_resumes_later(new_store: StoreFactory) -> None:
    seen: Tally[int] = Tally()
    store = new_store()
    query = FailingQuery(seen, fail_at=3)
    app = Application(counter_domain(), store, queries=[query])
    app.execute("a", Add(times=2))
    envelopes = app.execute("b", Add(times=1))  # position 3: the query raises
    assert [e.position for e in envelopes] == [3]
    assert store.checkpoints()["failing"] == 2
    assert app.dispatcher.query_errors == [("failing", "RuntimeError: broker unreachable")]
    app.execute("a", Add(times=1))  # position 4: the query catches up from 2
    assert store.checkpoints()["failing"] == 4
    assert seen == Tally(range(1, 5))


def test_a_query_batch_never_mixes_aggregate_types(new_store: StoreFactory) -> None:
    seen: Tally[int] = Tally()
    query = CountingQuery(seen)
    mixed = Domain(name="mixed", title="", description="", aggregates=(Counter, BankAccount))
    store = new_store()
    app = Application(mixed, store, queries=[query])
    app.execute("same-id", Add(times=1))
    app.execute("same-id", OpenAccount(account_id="same-id"))
    assert query.batches == [("same-id", [1]), ("same-id", [2])]
    assert seen == Tally(range(1, 3))


# -- the view rows a framework keeps between commands -------------------------------------
def test_a_view_row_moved_by_another_writer_is_read_again(new_store: StoreFactory) -> None:
    store, other_store = new_store(), new_store()
    app, other = Application(DOMAIN, store), Application(DOMAIN, other_store)
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    app.execute("acct-1", DepositMoney(amount=10.0))  # the row is now cached here
    other.execute("acct-1", DepositMoney(amount=5.0))  # moves the row behind that cache
    app.execute("acct-1", DepositMoney(amount=1.0))  # conflicts, reloads, folds again
    row = store.load_view("account_query", "acct-1")
    assert row is not None and row.version == 4
    assert row.payload["balance"] == 16.0
    assert [e["amount"] for e in row.payload["ledger"]] == [10.0, 5.0, 1.0]


def test_a_cached_row_is_checked_against_the_stored_version(new_store: StoreFactory) -> None:
    """Rows change without the aggregate: here another program rebuilds the view from later on."""
    store, other_store = new_store(), new_store()
    app, other = Application(DOMAIN, store), Application(DOMAIN, other_store)
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    app.execute("acct-1", DepositMoney(amount=10.0))
    other.rebuild("account_query", from_position=1)  # the row now holds one event, version 1
    # the aggregate comes from the store, the view row from the cache: no conflict to retry on
    app.framework("account").forget("acct-1")
    app.execute("acct-1", DepositMoney(amount=1.0))
    row = store.load_view("account_query", "acct-1")
    assert row is not None and row.version == 2
    assert [e["amount"] for e in row.payload["ledger"]] == [10.0, 1.0]


def test_a_rolled_back_commit_leaves_no_row_in_the_cache(new_store: StoreFactory) -> None:
    from tui_es.domains.bank.views import ACCOUNT_QUERY, BankAccountView

    class Fussy(BankAccountView):
        def update(self, envelope: EventEnvelope) -> None:
            if getattr(envelope.payload, "amount", None) == 13.0:
                raise RuntimeError("unlucky amount")
            super().update(envelope)

    fussy = dataclasses.replace(ACCOUNT_QUERY, name="fussy", view=Fussy)
    store, other_store = new_store(), new_store()
    app = Application(dataclasses.replace(DOMAIN, views=(ACCOUNT_QUERY, fussy)), store)
    app.execute("acct-1", OpenAccount(account_id="acct-1"))
    app.execute("acct-1", DepositMoney(amount=10.0))
    with pytest.raises(RuntimeError):
        # account_query folded this deposit before the fussy view failed: all rolled back
        app.execute("acct-1", DepositMoney(amount=13.0))
    # another writer now takes version 3 of the row: the same version the rolled-back
    # fold had reached, with other content, so only a cache without that fold stays right
    Application(DOMAIN, other_store).execute("acct-1", DepositMoney(amount=5.0))
    app.execute("acct-1", DepositMoney(amount=1.0))
    row = store.load_view("account_query", "acct-1")
    assert row is not None and row.version == 4
    assert [e["amount"] for e in row.payload["ledger"]] == [10.0, 5.0, 1.0]
    assert store.count_events() == 4


# -- catch-up and rebuild in log order, with a bounded working set -------------------------
def test_rebuild_with_one_working_row_and_short_stretches_equals_live(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)
    live = store.view_rows("account_query")
    checkpoint = store.checkpoints()["account_query"]
    # every row written out and read again as the accounts interleave, 3 positions per transaction
    app.dispatcher.working_rows = 1
    app.dispatcher.catch_up_stretch = 3
    app.dispatcher.batch_size = 2
    progress: list[int] = []
    app.rebuild("account_query", progress=lambda p, h: progress.append(p))
    assert store.view_rows("account_query") == live
    assert store.checkpoints()["account_query"] == checkpoint
    assert progress == sorted(set(progress)) and progress[-1] == checkpoint


def test_a_catch_up_keeps_its_rows_from_one_stretch_to_the_next(
    new_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row is read once, and written only in the stretches that moved it."""
    store = new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)  # positions 1-18 go round the three accounts; 19 acct-1, 20 acct-2
    live = store.view_rows("account_query")
    loads: Tally[str] = Tally()
    saves: Tally[str] = Tally()
    load, save = ViewProjection.load_row, ViewProjection._save

    def counted_load(self: ViewProjection, tx: StoreTransaction, view_id: str) -> Any:
        loads[view_id] += 1
        return load(self, tx, view_id)

    def counted_save(self: ViewProjection, tx: StoreTransaction, view_id: str, entry: Any) -> None:
        saves[view_id] += 1
        save(self, tx, view_id, entry)

    monkeypatch.setattr(ViewProjection, "load_row", counted_load)
    monkeypatch.setattr(ViewProjection, "_save", counted_save)
    app.dispatcher.catch_up_stretch = 3  # seven transactions, one event of each account in six
    app.rebuild("account_query")
    assert store.view_rows("account_query") == live
    assert loads == {"acct-1": 1, "acct-2": 1, "acct-3": 1}
    assert saves == {"acct-1": 7, "acct-2": 7, "acct-3": 6}  # acct-3 has no event in 19-20


def test_a_kept_row_changed_between_stretches_is_read_again(new_store: StoreFactory) -> None:
    """Another program writes a row (not the checkpoint) while a rebuild is between stretches."""
    store, other = new_store(), new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)
    live = {row.view_id: row for row in store.view_rows("account_query")}
    transaction, other_transaction = store.transaction, other.transaction
    cleared: list[bool] = []  # the rebuild's first transaction empties the view
    tampered: list[int] = []

    def tamper_after_the_first_stretch() -> Any:
        checkpoint = store.checkpoints().get("account_query", 0)
        if checkpoint == 0:
            cleared.append(True)
        elif cleared and not tampered:
            with other_transaction() as tx:
                row = tx.load_view("account_query", "acct-1")
                assert row is not None
                payload = {**row.payload, "ledger": [{"description": "tampered", "amount": 0.0}]}
                tx.save_view(
                    "account_query",
                    ViewRow("acct-1", row.version + 100, payload),
                    expected_version=row.version,
                )
            tampered.append(row.version)
        return transaction()

    store.transaction = tamper_after_the_first_stretch  # type: ignore[method-assign]
    app.dispatcher.catch_up_stretch = 3
    app.rebuild("account_query")
    assert tampered == [1]  # acct-1 had folded its first event, in the first stretch
    rows = {row.view_id: row for row in store.view_rows("account_query")}
    assert rows["acct-2"] == live["acct-2"] and rows["acct-3"] == live["acct-3"]
    # the tampered row was read again and the rest of the log folded into it
    assert rows["acct-1"].version == live["acct-1"].version + 100
    assert rows["acct-1"].payload["ledger"] == [
        {"description": "tampered", "amount": 0.0},
        *live["acct-1"].payload["ledger"],
    ]
    assert store.checkpoints()["account_query"] == store.head_position()


def test_a_fold_leaves_the_cycle_collector_as_it_found_it(new_store: StoreFactory) -> None:
    import gc

    store = new_store()
    app = Application(DOMAIN, store)
    run_bank_script(app)
    assert gc.isenabled()
    app.rebuild("account_query")
    assert gc.isenabled()

    def fail(reached: int, head: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        app.rebuild("account_query", progress=fail)
    assert gc.isenabled()
    gc.disable()
    try:
        app.rebuild("account_query")
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_checkpoint_moves_only_from_where_it_is(new_store: StoreFactory) -> None:
    """The commit's one-statement check-and-move: a view that missed events is never moved."""
    store = new_store()
    with store.transaction() as tx:
        assert not tx.move_checkpoint(VIEW, 0, 5)  # no checkpoint yet: nothing to move
        tx.set_checkpoint(VIEW, 3)
    with store.transaction() as tx:
        assert not tx.move_checkpoint(VIEW, 2, 5)
        assert tx.checkpoint(VIEW) == 3
        assert tx.move_checkpoint(VIEW, 3, 5)
        assert tx.checkpoint(VIEW) == 5
    assert store.checkpoints() == {VIEW: 5}
