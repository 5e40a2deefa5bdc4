"""``tui-es check`` finds what is wrong, names where, and passes a healthy store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.cli_runner import Cli
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount
from tui_es.es import Application, SnapshotPolicy
from tui_es.es.check import check_store, gap_before
from tui_es.store import SqlEventStore


def _sql(app: Application, statement: str, **params: object) -> None:
    with app.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement), params)


def _check(app: Application) -> list[str]:
    report = check_store(app.store, app.codec, list(DOMAIN.views))
    return [str(p) for p in report.problems]


def test_a_healthy_store_passes(any_demo_app: Application, cli: Cli) -> None:
    assert _check(any_demo_app) == []
    result = cli("check")
    assert result.code == 0
    assert result.out.startswith("ok: 84 events in 6 aggregates")


def test_snapshots_are_checked_against_a_replay(store_url: str) -> None:
    app = Application(DOMAIN, SqlEventStore(store_url), snapshots=SnapshotPolicy.every(3))
    app.execute("s", OpenAccount(account_id="s"))
    for _ in range(7):
        app.execute("s", DepositMoney(amount=1.0))
    assert len(app.store.snapshots()) == 2
    assert _check(app) == []
    _sql(
        app,
        "UPDATE snapshots SET payload = :p WHERE last_sequence = 6",
        p='{"account_id":"s","balance":500.0}',
    )
    assert _check(app) == [
        "snapshot: account 's', sequence 6, position 6: snapshot 2 differs from a replay to sequence 6"
    ]


def test_problems_name_aggregate_sequence_and_position(any_demo_app: Application, cli: Cli) -> None:
    app = any_demo_app
    victim = app.store.read_events(after_position=8, limit=1)[0]
    _sql(app, "UPDATE events SET sequence = 99 WHERE position = 9")
    _sql(app, "UPDATE events SET event_version = '7.0' WHERE position = 12")
    _sql(
        app,
        "UPDATE events SET payload = :p WHERE position = 20",
        p='{"CustomerDepositedMoney":{"amount":"lots","balance":1.0}}',
    )
    problems = _check(app)
    assert (
        f"sequence: account {victim.aggregate_id!r}, sequence 99, position 9: "
        f"a gap: expected sequence {victim.sequence}"
    ) in problems
    assert any(
        p.startswith("payload: ") and "position 12: " in p and "version 7.0" in p for p in problems
    )
    assert any(
        p.startswith("payload: ") and "position 20: " in p and "amount" in p for p in problems
    )
    result = cli("check")
    assert result.code == 1
    assert result.out.splitlines() == problems
    assert "problems in 84 events" in result.err


def test_views_and_checkpoints_must_equal_a_rebuild(any_demo_app: Application) -> None:
    app = any_demo_app
    account = app.store.aggregate_ids("account")[0]
    _sql(app, "UPDATE account_query SET version = 3 WHERE view_id = :i", i=account)
    _sql(app, "UPDATE projection_checkpoints SET position = 80 WHERE name = 'account_query'")
    problems = _check(app)
    assert f"view: account_query row {account!r} is at version 3, a rebuild gives 14" in problems
    assert "checkpoint: account_query is at position 80, the log at 84" in problems
    app.rebuild()
    assert _check(app) == []


def test_a_row_that_is_not_json_is_reported_not_fatal(demo_app: Application, cli: Cli) -> None:
    # only SQLite can hold it: the servers' json columns refuse such text
    _sql(demo_app, "UPDATE events SET payload = '{not json' WHERE position = 5")
    problems = _check(demo_app)
    assert any("position 5: the stored payload is not valid JSON" in p for p in problems)
    events = cli("--db", str(demo_app.store.url.database), "events", "--after", "4", "--limit", "1")  # type: ignore[attr-defined]
    assert events.code == 0 and '"payload":"{not json"' in events.out


def test_gap_before_names_a_gap_as_check_does_with_one_lookup_per_whole_row(
    any_demo_app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the Event stream marks: the same words as ``check``, one indexed lookup per row."""
    app = any_demo_app
    store = app.store
    first, second, third = store.aggregate_ids("account")[:3]
    lookups: list[tuple[int, int | None]] = []
    load_rows = store.load_rows

    def counted(
        aggregate_type: str, aggregate_id: str, after: int = 0, until: int | None = None
    ) -> list[Any]:
        lookups.append((after, until))
        return load_rows(aggregate_type, aggregate_id, after, until)

    monkeypatch.setattr(store, "load_rows", counted)
    # a whole stream: one lookup of the sequence before each row, none for the first
    for event in store.load_events("account", first):
        lookups.clear()
        assert gap_before(store, "account", first, event.sequence) is None
        assert lookups == ([(event.sequence - 2, event.sequence - 1)] if event.sequence > 1 else [])

    # one event missing, two in a row, the first: each named by the row after it
    def position(account: str, sequence: int) -> int | None:
        return next(
            e.position for e in store.load_events("account", account) if e.sequence == sequence
        )

    for account, sequences in ((first, [3]), (second, [2, 3]), (third, [1])):
        for sequence in sequences:
            _sql(app, "DELETE FROM events WHERE position = :p", p=position(account, sequence))
    problems = _check(app)
    for account, after, expected in ((first, 4, 3), (second, 4, 2), (third, 2, 1)):
        problem = gap_before(store, "account", account, after)
        assert problem == f"a gap: expected sequence {expected}"
        where = (
            f"sequence: account {account!r}, sequence {after}, position {position(account, after)}"
        )
        assert f"{where}: {problem}" in problems
        # the row after the marked one is whole again
        assert gap_before(store, "account", account, after + 1) is None
