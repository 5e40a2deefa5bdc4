"""No SQL is assembled from user text; view names are validated identifiers.

- View names become table names, so ``check_identifier`` lets through exactly
  ``[a-z_][a-z0-9_]{0,59}`` (a property test), and a ``ViewProjection``, the
  store's ``view_table`` and the statements of a view all refuse anything else;
  reading a view by a hostile name runs no SQL with it.
- User text is always a bound parameter, and behaves as literal text on SQLite,
  PostgreSQL and MariaDB: aggregate ids and payload strings with quotes,
  semicolons, backslashes and LIKE wildcards (``%``, ``_``, the ``!`` escape)
  are stored and found as they are; a filter with them matches exactly the
  events whose stored payload JSON contains them (SQLite's LIKE folds ASCII
  case; the property test allows for that), and no table is touched.
- Aggregate ids that differ only in case or trailing spaces are different
  aggregates on every backend.
- A static scan of ``tui_es/store/*.py``: every f-string, ``%``, ``format`` or
  ``+`` that builds SQL may put into it only what ``ALLOWED`` lists — placeholders
  (``q``, ``types``: a list of them), integers (``int(...)``), identifiers
  checked by ``check_identifier`` or fixed in the code (``table``, ``column``,
  ``TRIGGER``, ``NOTIFY_CHANNEL``, ``EVENT_COLUMNS``), fixed SQL fragments
  (``select_events``, ``payload_text()``, ``lock``, ``SQLITE_PARTITION``, the
  clauses joined from them) and values checked against a fixed list (``synchronous``, ``mode``).
  A new interpolation fails the scan until it is reviewed and listed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_runner import Cli
from tui_es.domains.bank import DOMAIN, DepositMoney, OpenAccount, WriteCheck
from tui_es.es import Application, EventFilter
from tui_es.es.views import ViewProjection, check_identifier
from tui_es.store import SqlEventStore
from tui_es.store.statements import Statements
from tui_es.store.types import dumps

STORE_CODE = Path(__file__).resolve().parents[2] / "tui_es" / "store"
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,59}")
HOSTILE_NAMES = [
    "",
    "account_query; DROP TABLE events",
    "events--",
    "a b",
    "a-b",
    'a"b',
    "a'b",
    "a`b",
    "Account_Query",
    "1view",
    "é",
    "x" * 61,
    "view\x00",
    "view\n",
]
NASTY = [
    "'",
    "''",
    "'; DROP TABLE events; --",
    '"; DROP TABLE events; --',
    "%",
    "_",
    "100%",
    "a_b",
    "!",
    "!%",
    "!_",
    "\\",
    "\\%",
    "\\_",
    "ab\\",
    "%' OR '1'='1",
    "[a-z]",
    "*",
    "%s",
    "?",
    ":name",
    "$1",
    "{}",
    "😀",
]


# -- identifiers ------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=64) | st.from_regex(IDENTIFIER, fullmatch=True))
def test_only_plain_identifiers_are_view_names(name: str) -> None:
    try:
        check_identifier(name)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(IDENTIFIER.fullmatch(name))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_view_names_never_reach_sql(store_path: Path, name: str) -> None:
    from tui_es.domains.bank.views import BankAccountView

    with pytest.raises(ValueError, match="invalid view name"):
        ViewProjection(name=name, view=BankAccountView, aggregate_types=frozenset({"account"}))
    store = SqlEventStore(store_path)
    with pytest.raises(ValueError, match="invalid view name"):
        store.view_table(name)
    with pytest.raises(ValueError, match="invalid view name"):
        Statements("postgresql").view(name)
    with pytest.raises(ValueError, match="invalid view name"):
        store.ensure_views([name])
    # readers only name tables that exist: a hostile name finds nothing, runs nothing
    assert store.load_view(name, "x") is None
    assert store.view_rows(name) == []
    assert store.view_count(name) == 0
    assert {"events", "events_head", "projection_checkpoints"} <= set(store.table_names())
    store.close()


# -- user text is literal ---------------------------------------------------------------------------
def nasty_store(url: str) -> Application:
    """Accounts named with every nasty string, each with a check numbered with it."""
    app = Application(DOMAIN, SqlEventStore(url))
    for text in NASTY:
        account = f"id{text}"
        app.execute(account, OpenAccount(account_id=text))
        app.execute(account, DepositMoney(amount=100.0))
        app.execute(account, WriteCheck(check_number=text, amount=1.0))
    return app


def test_user_text_is_literal_on_every_backend(store_url: str, cli: Cli) -> None:
    app = nasty_store(store_url)
    store = app.store
    tables = set(store.table_names())
    events = store.read_events()
    assert len(events) == 3 * len(NASTY)
    for text in NASTY:
        account = f"id{text}"
        # stored and read back as they are
        state, version = app.state(account)
        assert (version, state.state_json()["account_id"]) == (3, text)
        by_id = store.read_events(filter=EventFilter(aggregate_id=account))
        assert [e.aggregate_id for e in by_id] == [account] * 3
        # LIKE wildcards and escapes in a filter are literal
        found = {e.position for e in store.read_events(filter=EventFilter(text=text))}
        assert found == {e.position for e in events if text in dumps(e.payload)}, text
        assert store.count_events(EventFilter(text=text)) == len(found)
        assert set(store.read_positions(EventFilter(text=text))) == found
        prefixed = {e.aggregate_id for e in events if e.aggregate_id.startswith(account)}
        assert set(store.aggregate_ids("account", account)) == prefixed, text
        assert store.read_events(filter=EventFilter(event_type=text)) == []
        assert store.load_view("account_query", account) is not None
    # SQLite's LIKE folds ASCII case; the servers' JSON columns compare as stored
    folded = store.count_events(EventFilter(text="accountopened"))
    assert folded == (len(NASTY) if store.dialect == "sqlite" else 0)  # type: ignore[attr-defined]
    # through the command line too
    hostile = "x'; DROP TABLE events; --"
    result = cli("events", "--aggregate", hostile, "--type", hostile)
    assert (result.code, result.out) == (0, "")
    assert cli("view", "account_query", "id'; DROP TABLE events; --").code == 0
    assert set(store.table_names()) == tables
    assert store.head_position() == len(events)
    store.close()  # type: ignore[attr-defined]


def test_ids_differing_in_case_or_trailing_space_are_different_aggregates(
    store_url: str,
) -> None:
    app = Application(DOMAIN, SqlEventStore(store_url))
    ids = ["acct", "ACCT", "Acct", "acct ", "ácct", "acct\u0301"]
    for n, account in enumerate(ids, start=1):
        app.execute(account, OpenAccount(account_id=account))
        app.execute(account, DepositMoney(amount=float(n)))
    for n, account in enumerate(ids, start=1):
        state, version = app.state(account)
        assert (version, state.state_json()) == (2, {"account_id": account, "balance": n}), account
        row = app.store.load_view("account_query", account)
        assert row is not None and row.payload["balance"] == n, account
    assert sorted(app.store.aggregate_ids("account")) == sorted(ids)
    app.store.close()  # type: ignore[attr-defined]


def ascii_fold(text: str) -> str:
    return text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet="%_!\\'\";-aAbBcCé😀 {}:", min_size=1, max_size=5))
def test_a_text_filter_matches_exactly_the_payloads_that_contain_it(
    nasty_sqlite: Application, text: str
) -> None:
    """SQLite, whose LIKE folds ASCII letters: the filter is case-blind there, and only there."""
    events = nasty_sqlite.store.read_events()
    found = {e.position for e in nasty_sqlite.store.read_events(filter=EventFilter(text=text))}
    wanted = {e.position for e in events if ascii_fold(text) in ascii_fold(dumps(e.payload))}
    assert found == wanted


@pytest.fixture
def nasty_sqlite(store_path: Path) -> Application:
    return nasty_store(str(store_path))


# -- the static scan ---------------------------------------------------------------------------------
# Per file, the expressions an f-string (or % / format) that builds SQL may interpolate.
ALLOWED: dict[str, set[str]] = {
    "sql.py": {
        "q",  # the driver's placeholder
        "types",  # ", ".join([q] * n): placeholders
        "column",  # from a fixed tuple of column names
        "int(limit)",
        "int(chunk)",
        "by_position",  # select_events with placeholders only
        "int(self.busy_timeout * 1000)",
        "synchronous",  # checked against _SYNCHRONOUS
        "mode",  # DEFERRED / IMMEDIATE, set by the store itself
        "self.sql.select_events",
        "self.sql.payload_text()",
        "' AND '.join(clauses)",  # clauses built from the fragments above
    },
    "partition.py": {
        "', '.join('?' * len(aggregate_types))",  # placeholders
        "select_events",  # the store's, also sent to the fold processes
        "' AND '.join(clauses)",  # fixed clauses and SQLITE_PARTITION (two placeholders)
        "int(source.busy_timeout_ms)",
        "check_identifier(view)",
    },
    "statements.py": {
        "EVENT_COLUMNS",
        "select_events",
        "snapshot",  # a fixed SELECT of the snapshots table
        "table",  # check_identifier(name)
        "lock",  # " FOR UPDATE" or nothing
    },
    "upgrade.py": {"TRIGGER", "NOTIFY_CHANNEL", "big"},  # fixed names; a column type per dialect
    "watch.py": {"NOTIFY_CHANNEL"},
    "legacy.py": set(),
    "schema.py": set(),
    "types.py": set(),
    "jsontext.py": set(),
    "url.py": set(),
    "__init__.py": set(),
}
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WHERE|LIMIT|ORDER BY|PRAGMA|BEGIN|"
    r"LISTEN|TRIGGER|VALUES|LIKE)\b"
)


def sql_interpolations(source: str) -> list[tuple[int, str]]:
    """(line, expression) of every value put into a string that reads as SQL."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            if SQL.search(text):
                found += [
                    (node.lineno, ast.unparse(v.value))
                    for v in node.values
                    if isinstance(v, ast.FormattedValue)
                ]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = _added(node)
            text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
            if SQL.search(text):
                found += [
                    (node.lineno, ast.unparse(p))
                    for p in parts
                    if not isinstance(p, ast.Constant | ast.JoinedStr)  # f-strings: checked above
                ]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if isinstance(node.left, ast.Constant) and SQL.search(str(node.left.value)):
                found.append((node.lineno, ast.unparse(node.right)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and SQL.search(str(node.func.value.value))
        ):
            found += [(node.lineno, ast.unparse(a)) for a in node.args]
    return sorted(set(found))  # a chain of + is seen once per +


def _added(node: ast.expr) -> list[ast.expr]:
    """The operands of a chain of ``+``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _added(node.left) + _added(node.right)
    return [node]


def test_store_sql_interpolates_only_reviewed_values() -> None:
    unreviewed = []
    for path in sorted(STORE_CODE.glob("*.py")):
        allowed = ALLOWED.get(path.name)
        for line, expression in sql_interpolations(path.read_text(encoding="utf-8")):
            if allowed is None or expression not in allowed:
                unreviewed.append(f"{path.name}:{line}: {{{expression}}}")
    assert unreviewed == []


def test_the_scan_catches_user_text_in_sql() -> None:
    hostile = """
def find(store, aggregate_id, limit):
    store.execute(f"SELECT * FROM events WHERE aggregate_id = '{aggregate_id}' LIMIT {int(limit)}")
    store.execute("DELETE FROM %s" % name)
    store.execute("UPDATE events SET payload = '{}'".format(payload))
    store.execute("SELECT * FROM events WHERE aggregate_id = '" + aggregate_id + "'")
    message = f"no event {aggregate_id}"  # not SQL: fine
"""
    assert sql_interpolations(hostile) == [
        (3, "aggregate_id"),
        (3, "int(limit)"),
        (4, "name"),
        (5, "payload"),
        (6, "aggregate_id"),
    ]
