"""Damaged rows are named, contained and never replayed as if they were fine.

The demo history is damaged behind tui-es's back, one way per case: a payload
that is not JSON (SQLite only: the servers' json columns refuse such text), an
event type or a version this program does not know, a sequence gap (a deleted
event), a snapshot that no longer decodes. Then:

- ``tui-es state`` and every replay of the damaged aggregate (time travel, a
  command on it) fail with a ``DeserializationError`` naming the position
  (exit 3), and write nothing; the state before the damage is still readable;
- rebuilding a view over an undecodable row fails the same way;
- the rest of the store goes on working, ``events`` still shows the raw rows,
  and ``check`` reports the damage (tests/store/test_check.py checks its wording);
- a snapshot that no longer decodes is ignored: the events are replayed;
- a damaged row the views have not folded yet (another program wrote it)
  blocks every command, which names it, but not the reading: the store opens.

The dashboard's side is in tests/tui/test_reliability_corrupt.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.cli_runner import Cli
from tests.conftest import BACKENDS, load_demo
from tests.servers import scratch_database
from tui_es.cli import run
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount
from tui_es.es import Application, DeserializationError, SnapshotPolicy
from tui_es.es.check import check_store
from tui_es.es.replay import iter_envelopes
from tui_es.store import SqlEventStore

ACCOUNT = "ACCT-3bafb51f"  # 14 events in the demo history
VICTIM = 5  # the sequence that gets damaged
DEPOSIT = '{"DepositMoney": {"amount": 1.0}}'


def sql(app: Application, statement: str, **params: object) -> None:
    with app.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement), params)


def positions(app: Application, account: str = ACCOUNT) -> dict[int, int]:
    """Sequence -> position of an account's events."""
    return {e.sequence: e.position or 0 for e in app.store.load_events("account", account)}


Damage = Callable[[Application, int], None]
DAMAGE: dict[str, Damage] = {
    "not JSON": lambda app, p: sql(
        app, "UPDATE events SET payload = '{\"CustomerDeposited' WHERE position = :p", p=p
    ),
    "unknown event type": lambda app, p: sql(
        app,
        "UPDATE events SET event_type = 'AccountFrozen', payload = :body WHERE position = :p",
        body='{"AccountFrozen":{"reason":"audit"}}',
        p=p,
    ),
    "unknown version": lambda app, p: sql(
        app, "UPDATE events SET event_version = '7.0' WHERE position = :p", p=p
    ),
    "sequence gap": lambda app, p: sql(app, "DELETE FROM events WHERE position = :p", p=p),
}
REASON = {
    "not JSON": "not valid JSON",
    "unknown event type": "unknown event 'AccountFrozen'",
    "unknown version": "stored at version 7.0",
    "sequence gap": f"expected sequence {VICTIM}",
}


# every damage on every backend, but text that is not JSON only on SQLite
CASES = [(d, b) for d in DAMAGE for b in BACKENDS if d != "not JSON" or b == "sqlite"]


@pytest.fixture(params=CASES, ids=[f"{d}-{b}" for d, b in CASES])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def store_url(case: tuple[str, str], store_path: Path) -> Iterator[str]:
    """The conftest's fixture of the same name, on the backend of the case."""
    yield from backend_database(case[1], store_path)


@pytest.fixture(params=BACKENDS)
def any_url(request: pytest.FixtureRequest, store_path: Path) -> Iterator[str]:
    yield from backend_database(request.param, store_path)


def backend_database(backend: str, store_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(store_path)
        return
    with scratch_database(backend) as url:
        yield url


def test_damaged_rows_fail_replays_naming_the_position(
    any_demo_app: Application, cli: Cli, case: tuple[str, str]
) -> None:
    app, damage = any_demo_app, case[0]
    before = positions(app)
    DAMAGE[damage](app, before[VICTIM])
    # the position named: the damaged row, or for a gap the first row after it
    named = before[VICTIM + 1] if damage == "sequence gap" else before[VICTIM]
    where = f"position {named} (account '{ACCOUNT}' sequence "
    head = app.store.head_position()

    result = cli("state", ACCOUNT)
    assert result.code == 3
    assert result.err.startswith("tui-es: DeserializationError: ")
    assert where in result.err and REASON[damage] in result.err
    assert cli("state", ACCOUNT, "--version", str(VICTIM - 1)).code == 0

    # a command on the damaged aggregate is refused, and writes nothing
    result = cli("exec", ACCOUNT, DEPOSIT)
    assert result.code == 3 and where in result.err
    assert app.store.head_position() == head

    # time travel replays the same way
    with pytest.raises(DeserializationError) as raised:
        app.history(ACCOUNT)
    assert raised.value.position == named

    # the damage is contained: other aggregates work, the raw rows are still shown
    other = next(i for i in app.store.aggregate_ids("account") if i != ACCOUNT)
    assert cli("exec", other, DEPOSIT).code == 0
    assert cli("state", other).code == 0
    assert len(cli("events", "--aggregate", ACCOUNT).lines()) == len(positions(app))

    check = cli("check")
    assert check.code == 1 and f"position {named}" in check.out

    rebuild = cli("rebuild")
    if damage == "sequence gap":
        assert rebuild.code == 0  # a view folds what is there; check names the gap
    else:
        assert rebuild.code == 3
        assert rebuild.err.startswith("tui-es: DeserializationError: ") and where in rebuild.err


def test_a_damaged_row_the_views_have_not_folded_blocks_writes_not_reads(
    any_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Written by another program (a newer version, say) after the views' checkpoint.

    The views cannot fold it, so no command can commit (each names the row);
    but the store still opens, and everything else can be read.
    """
    app = load_demo(Application(DOMAIN, SqlEventStore(any_url)))
    other = next(i for i in app.store.aggregate_ids("account") if i != ACCOUNT)
    victim = positions(app)[VICTIM]
    DAMAGE["unknown version"](app, victim)
    sql(app, "UPDATE projection_checkpoints SET position = :p", p=victim - 1)
    head = app.store.head_position()
    monkeypatch.setenv("TUI_ES_DB", any_url)

    def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = cli("events")
    assert code == 0 and len(out.splitlines()) == head
    assert f"position {victim} " in err  # a warning: the views are behind, and why
    assert cli("state", other)[0] == 0
    assert cli("view", "account_query", other)[0] == 0
    code, _, err = cli("state", ACCOUNT)
    assert code == 3 and f"position {victim} " in err
    code, _, err = cli("exec", other, DEPOSIT)
    assert code == 3 and f"position {victim} " in err
    assert app.store.head_position() == head
    code, out, _ = cli("check")
    assert code == 1 and f"position {victim}: " in out and "checkpoint: account_query" in out
    app.store.close()  # type: ignore[attr-defined]


def test_a_snapshot_that_no_longer_decodes_is_ignored(any_url: str) -> None:
    store_url = any_url
    store = SqlEventStore(store_url)
    app = Application(DOMAIN, store, snapshots=SnapshotPolicy.every(3))
    app.execute("snap", OpenAccount(account_id="snap"))
    for _ in range(7):
        app.execute("snap", DepositMoney(amount=2.0))
    bad = ['{"account_id":"snap","balance":"lots"}', '{"balance":12.0}']
    if store.dialect == "sqlite":
        bad.append("{not json")
    for payload in bad:
        sql(app, "UPDATE snapshots SET payload = :p WHERE last_sequence = 6", p=payload)
        fresh = Application(DOMAIN, SqlEventStore(store_url), snapshots=SnapshotPolicy.every(3))
        context = fresh.load("snap")
        assert not context.snapshot_used
        assert (context.sequence, context.aggregate.state_json()) == (
            8,
            {"account_id": "snap", "balance": 14.0},
        )
        assert fresh.state("snap", version=7)[0].state_json()["balance"] == 12.0
        report = check_store(fresh.store, fresh.codec, list(DOMAIN.views))
        assert [(p.kind, p.sequence) for p in report.problems] == [("snapshot", 6)]
        fresh.store.close()
    # commands go on, and the next snapshot is a good one
    app.execute("snap", DepositMoney(amount=2.0))
    snapshot = store.load_snapshot("account", "snap")
    assert snapshot is not None and snapshot.last_sequence == 9
    assert snapshot.payload == {"account_id": "snap", "balance": 16.0}
    store.close()


def test_a_damaged_row_in_a_big_log_is_named_by_every_reader(demo_app: Application) -> None:
    """The same on the global log: reading envelopes in order stops at the damaged row."""
    victim = positions(demo_app)[VICTIM]
    DAMAGE["unknown version"](demo_app, victim)
    read = []
    with pytest.raises(DeserializationError) as raised:
        for envelope in iter_envelopes(demo_app.store, demo_app.codec):
            read.append(envelope.position)
    assert raised.value.position == victim
    assert read == list(range(1, victim))
