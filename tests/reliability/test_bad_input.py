"""Bad input never gets in: exit 2, a message naming the problem, no traceback, no write.

Hypothesis generates command JSON, ``--meta`` entries, import lines and
command-line arguments (on SQLite, with the demo history loaded, so that every
example can check that nothing moved); a table of representative cases runs on
every backend. "Nothing written" is checked on everything a command could
change: the head, the view rows, the checkpoints and the snapshots.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_runner import Cli
from tui_es.cli import run
from tui_es.domains.bank import DOMAIN
from tui_es.es.application import Application
from tui_es.es.envelope import ENVELOPE_KEYS
from tui_es.es.framework import parse_time
from tui_es.es.messages import InvalidMessage
from tui_es.es.upcasting import SemanticVersion, SemanticVersionError

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMAND_NAMES = [n for a in DOMAIN.aggregates for n in a.commands.names()]
EVENT_NAMES = [n for a in DOMAIN.aggregates for n in a.events.names()]
REQUIRED = [k for k in ENVELOPE_KEYS if k not in ("position", "recorded_at")]
# a command the domain always rejects: with it, even valid metadata writes nothing
REJECTED = '{"WithdrawMoney": {"amount": 1e12, "atm_id": "ATM-1"}}'
# JSON escapes that decode to lone surrogates: no UTF-8 text (and no database) can hold them
SURROGATES = ["\\ud800", "\\udfff", "a\\udc80b", "\\ud83d"]


@dataclass
class Result:
    code: int
    out: str
    err: str


class Shell:
    """``tui-es`` run in-process on one SQLite store; ``state()`` is everything a write could change."""

    def __init__(self, app: Application, folder: Path) -> None:
        self.app = app
        self.folder = folder

    def __call__(self, *argv: str, stdin: str = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = run(list(argv))
        finally:
            sys.stdin = saved
        return Result(code, out.getvalue(), err.getvalue())

    def state(self) -> tuple[Any, ...]:
        store = self.app.store
        return (
            store.head_position(),
            store.view_rows("account_query"),
            store.checkpoints(),
            store.snapshots(),
        )

    def file(self, text: str) -> str:
        path = self.folder / "input.jsonl"
        path.write_text(text, encoding="utf-8")
        return str(path)


@pytest.fixture
def shell(
    demo_app: Application, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shell]:
    monkeypatch.setenv("TUI_ES_DB", str(demo_app.store.url.database))  # type: ignore[attr-defined]
    yield Shell(demo_app, tmp_path)


def refused(result: Result, *names: str) -> None:
    """Exit 2, a one-problem message naming ``names``, no output, no traceback."""
    assert result.code == 2, result
    assert result.out == ""
    assert "Traceback" not in result.err and "unexpected error" not in result.err, result.err
    message = result.err.rstrip("\n").split("\n")[-1]
    for name in names:
        assert name in message, (name, result.err)


def check_refused(shell: Shell, argv: list[str], *names: str, stdin: str = "") -> None:
    before = shell.state()
    refused(shell(*argv, stdin=stdin), *names)
    assert shell.state() == before


# -- strategies ----------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
one_line = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40
)

command_texts = st.one_of(
    one_line,
    json_values.map(json.dumps),
    st.builds(
        lambda name, body: json.dumps({name: body}),
        st.sampled_from(COMMAND_NAMES) | st.text(max_size=12),
        json_values,
    ),
    st.builds(
        lambda name, field, value: json.dumps({name: {field: value}}),
        st.sampled_from(COMMAND_NAMES),
        st.sampled_from(["amount", "atm_id", "account_id", "check_number", "Amount", ""]),
        json_values,
    ),
    st.builds(
        lambda escape: '{"OpenAccount": {"account_id": "' + escape + '"}}',
        st.sampled_from(SURROGATES),
    ),
)


def _good_version(text: Any) -> bool:
    try:
        return isinstance(text, str) and SemanticVersion.parse(text) == SemanticVersion(1, 0, 0)
    except SemanticVersionError:
        return False


def _good_time(text: Any) -> bool:
    try:
        return isinstance(text, str) and bool(parse_time(text))
    except ValueError:
        return False


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Each mutation turns a valid envelope into one that must be refused.
mutations = st.one_of(
    st.sampled_from(REQUIRED).map(lambda key: ("drop", key, None)),
    st.tuples(
        st.just("set"),
        st.text(min_size=1, max_size=10).filter(lambda k: k not in ENVELOPE_KEYS),
        json_values,
    ),
    st.tuples(
        st.just("set"),
        st.sampled_from(["aggregate_type", "aggregate_id", "event_type"]),
        json_values.filter(lambda v: not isinstance(v, str) or v == ""),
    ),
    st.tuples(st.just("set"), st.just("aggregate_type"), st.text(min_size=1, max_size=10)).filter(
        lambda m: m[2] != "account"
    ),
    st.tuples(st.just("set"), st.just("event_type"), st.text(min_size=1, max_size=10)).filter(
        lambda m: m[2] != "AccountOpened"
    ),
    st.tuples(st.just("set"), st.just("event_version"), json_values).filter(
        lambda m: not _good_version(m[2])
    ),
    st.tuples(
        st.just("set"),
        st.just("sequence"),
        json_values.filter(lambda v: not _whole(v) or v != 1),
    ),
    st.tuples(
        st.just("set"),
        st.just("payload"),
        st.one_of(
            json_values.filter(lambda v: not isinstance(v, dict)),
            st.builds(
                lambda name, body: {name: body}, st.sampled_from(EVENT_NAMES[1:]), json_values
            ),
            json_values.map(lambda v: {"AccountOpened": {"account_id": v}}).filter(
                lambda p: not isinstance(p["AccountOpened"]["account_id"], str)
            ),
        ),
    ),
    st.tuples(
        st.just("set"),
        st.just("metadata"),
        json_values.filter(
            lambda v: not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values())
        ),
    ),
    st.tuples(st.just("set"), st.just("recorded_at"), json_values).filter(
        lambda m: m[2] is not None and not _good_time(m[2])
    ),
    st.tuples(st.just("set"), st.just("position"), json_values).filter(
        lambda m: m[2] is not None and not _whole(m[2])
    ),
    st.sampled_from(
        [
            ("set", "aggregate_id", "x" * 256),  # longer than the key columns hold
            ("set", "aggregate_id", "a\x00b"),  # PostgreSQL cannot store NUL
            ("set", "aggregate_type", "account\x00"),
        ]
    ),
)


def envelope(aggregate_id: str) -> dict[str, Any]:
    """A valid line: a new account's first event."""
    return {
        "aggregate_type": "account",
        "aggregate_id": aggregate_id,
        "sequence": 1,
        "event_type": "AccountOpened",
        "event_version": "1.0",
        "payload": {"AccountOpened": {"account_id": aggregate_id}},
        "metadata": {"command_id": aggregate_id},
    }


def mutate(line: dict[str, Any], mutation: tuple[str, str, Any]) -> str:
    kind, key, value = mutation
    if kind == "drop":
        del line[key]
    else:
        line[key] = value
    return json.dumps(line)


# -- command JSON -------------------------------------------------------------------------------
@EXAMPLES
@given(text=command_texts)
def test_command_json_is_refused_unless_the_domain_reads_it(shell: Shell, text: str) -> None:
    try:
        DOMAIN.parse_command(text)
    except InvalidMessage as e:
        problem = str(e)
    else:
        problem = None
    before = shell.state()
    result = shell("exec", "hyp-account", "--", text)  # "--": the JSON may start with -
    if problem is None:
        # a command the domain reads runs: accepted or rejected, never a storage error
        assert result.code in (0, 1), result
        return
    refused(result)
    assert result.err == f"tui-es: {problem}\n"
    assert shell.state() == before


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('{"DepositMoney": {"amount": 1.0', ["invalid JSON", "line 1, column"]),
        ('{"Deposit": {"amount": 1.0}}', ["unknown command 'Deposit'", "DepositMoney"]),
        ('{"DepositMoney": {"amount": "lots"}}', ["DepositMoney.amount"]),
        ('{"DepositMoney": {"amount": NaN}}', ["DepositMoney.amount", "finite"]),
        ('{"DepositMoney": {"amount": 1e999}}', ["DepositMoney.amount", "finite"]),
        ('{"DepositMoney": {}}', ["DepositMoney.amount", "required"]),
        ('{"DepositMoney": {"amount": 1.0, "to": "me"}}', ["DepositMoney.to"]),
        ('{"DepositMoney": [1.0]}', ["DepositMoney", "an array"]),
        ('{"DepositMoney": {}, "WriteCheck": {}}', ["exactly one key"]),
        ('{"OpenAccount": {"account_id": "\\ud800"}}', ["OpenAccount.account_id", "surrogate"]),
    ],
)
def test_command_json_errors_name_the_problem(shell: Shell, text: str, names: list[str]) -> None:
    check_refused(shell, ["exec", "ACCT-3bafb51f", text], *names)
    check_refused(shell, ["trace", "ACCT-3bafb51f", text], *names)


# -- metadata -----------------------------------------------------------------------------------
@EXAMPLES
@given(entries=st.lists(one_line, min_size=1, max_size=3))
def test_meta_entries_must_be_key_value(shell: Shell, entries: list[str]) -> None:
    before = shell.state()
    result = shell("exec", "ACCT-3bafb51f", REJECTED, *(f"--meta={e}" for e in entries))
    bad = [e for e in entries if "=" not in e or e.startswith("=")]
    if not bad:
        assert (result.code, result.err) == (1, "funds not available\n")
    else:
        refused(result, "--meta", repr(bad[0]), "KEY=VALUE")
    assert shell.state() == before


# -- import lines -------------------------------------------------------------------------------
@EXAMPLES
@given(
    good_before=st.integers(0, 2),
    blank=st.booleans(),
    bad=st.one_of(
        one_line.filter(lambda s: s.strip() != ""),
        json_values.map(json.dumps),
        mutations,
    ),
    through_stdin=st.booleans(),
)
def test_a_bad_import_line_is_named_and_nothing_is_imported(
    shell: Shell,
    good_before: int,
    blank: bool,
    bad: str | tuple[str, str, Any],
    through_stdin: bool,
) -> None:
    example = uuid.uuid4().hex[:8]
    lines = [json.dumps(envelope(f"imp-{example}-{i}")) for i in range(good_before)]
    if blank:
        lines.append("")
    if isinstance(bad, tuple):
        bad = mutate(envelope(f"imp-{example}-bad"), bad)
    lines.append(bad)
    lines.append(json.dumps(envelope(f"imp-{example}-after")))
    text = "\n".join(lines) + "\n"
    if through_stdin:
        check_refused(shell, ["import", "-"], f"line {len(lines) - 1}: ", stdin=text)
    else:
        check_refused(shell, ["import", shell.file(text)], f"line {len(lines) - 1}: ")


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("{", ["line 2: ", "invalid JSON"]),
        ('{"AccountOpened": {"account_id": "x"}}', ["line 2: ", "unknown field"]),
        ("x" * 256, ["line 2: "]),
        ('{"aggregate_id": "\\ud800"}', ["line 2: "]),
    ],
)
def test_import_errors_name_the_line(shell: Shell, line: str, names: list[str]) -> None:
    text = json.dumps(envelope("imp-first")) + "\n" + line + "\n"
    check_refused(shell, ["import", shell.file(text)], *names)


def test_import_refuses_what_a_database_could_not_store(shell: Shell) -> None:
    for mutation, name in [
        (("set", "aggregate_id", "x" * 256), "aggregate_id"),
        (("set", "aggregate_id", "a\x00b"), "aggregate_id"),
        (("set", "metadata", {"note": "\ud800"}), "surrogate"),
    ]:
        text = mutate(envelope("imp-nasty"), mutation) + "\n"
        check_refused(shell, ["import", shell.file(text)], "line 1: ", name)


# -- arguments ----------------------------------------------------------------------------------
NUMBER_OPTIONS = [
    (["events"], "--after", 0),
    (["events"], "--limit", 1),
    (["state", "ACCT-3bafb51f"], "--version", 0),
    (["rebuild"], "--from", 0),
    (["demo"], "--accounts", 1),
    (["demo"], "--events-per-account", 1),
    (["demo"], "--seed", 0),
]


def _accepted(text: str, minimum: int) -> bool:
    try:
        value = int(text)
    except ValueError:
        return False
    return minimum <= value < 2**63


bad_arguments = st.one_of(
    # an unknown subcommand
    st.text(min_size=1, max_size=12)
    .filter(
        lambda s: (
            not s.startswith("-")
            and s
            not in {
                "ui",
                "exec",
                "trace",
                "events",
                "state",
                "view",
                "rebuild",
                "import",
                "export",
                "check",
                "upgrade-store",
                "demo",
            }
        )
    )
    .map(lambda s: ([s], ["invalid choice"])),
    # an unknown option
    st.text(alphabet="abcxyz-", min_size=1, max_size=8).map(
        lambda s: (["events", f"--zz{s}"], ["unrecognized arguments"])
    ),
    # a number that is not one, is negative, zero where one is needed, or too large
    st.tuples(
        st.sampled_from(NUMBER_OPTIONS),
        st.one_of(one_line, st.integers(min_value=-(2**70), max_value=2**70).map(str)),
    )
    .filter(lambda t: not _accepted(t[1], t[0][2]))
    .map(lambda t: ([*t[0][0], f"{t[0][1]}={t[1]}"], [f"argument {t[0][1]}"])),
    # a time that is not an RFC 3339 time with a zone
    one_line.filter(lambda s: not _good_time(s)).map(
        lambda s: (["state", "ACCT-3bafb51f", f"--at={s}"], ["--at"])
    ),
    # a view the domain does not have
    one_line.filter(lambda s: s != "account_query" and not s.startswith("-")).flatmap(
        lambda s: st.sampled_from(
            [(["view", s], ["unknown view"]), (["rebuild", s], ["unknown view"])]
        )
    ),
    # a domain that does not exist
    one_line.filter(lambda s: s not in ("", "bank")).map(
        lambda s: ([f"--domain={s}", "events"], ["unknown domain"])
    ),
)


@EXAMPLES
@given(case=bad_arguments)
def test_bad_arguments_exit_2_and_write_nothing(
    shell: Shell, case: tuple[list[str], list[str]]
) -> None:
    argv, names = case
    check_refused(shell, argv, *names)


ARGUMENT_ERRORS = [
    (["exec", "", '{"OpenAccount": {"account_id": "x"}}'], ["AGGREGATE_ID", "empty"]),
    (["exec", "x" * 256, '{"OpenAccount": {"account_id": "x"}}'], ["AGGREGATE_ID", "255"]),
    (["exec", "a\udcff", '{"OpenAccount": {"account_id": "x"}}'], ["UTF-8"]),
    (["exec", "a", '{"OpenAccount": {"account_id": "x"}}', "--meta", "k=\udcff"], ["UTF-8"]),
    (["exec", "a"], ["COMMAND_JSON"]),
    (["state", "a", "--version", "1", "--at", "2026-01-01T00:00:00Z"], ["not allowed"]),
    (["events", "--after", str(2**64)], ["--after", "too large"]),
    (["state", "a", "--version", str(2**64)], ["--version", "too large"]),
    (["import", "/no/such/file.jsonl"], ["no such file"]),
    (["import", "/"], ["cannot read", "/"]),
    (["export", "/no/such/folder/out.jsonl"], ["cannot write", "/no/such/folder"]),
    (["view", "account_query; DROP TABLE events"], ["unknown view"]),
    (["rebuild", ""], ["unknown view"]),
]


def test_argument_errors_on_every_backend(cli: Cli, tmp_path: Path) -> None:
    assert cli("demo", "--accounts", "2", "--events-per-account", "3").code == 0
    before = cli("export").out
    for argv, names in ARGUMENT_ERRORS:
        result = cli(*argv)
        refused(Result(result.code, result.out, result.err), *names)
    # what SQLite would take but a server could not store is refused everywhere alike
    for mutation in [("set", "aggregate_id", "x" * 256), ("set", "aggregate_id", "a\x00b")]:
        path = tmp_path / "bad.jsonl"
        path.write_text(mutate(envelope("imp-x"), mutation) + "\n", encoding="utf-8")
        result = cli("import", str(path))
        refused(Result(result.code, result.out, result.err), "line 1: aggregate_id")
    assert cli("export").out == before
