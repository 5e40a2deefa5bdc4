"""The command line contract: output shapes, exit codes, all-or-nothing import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import Cli

CURL = [
    ("test-acct-1234", '{"OpenAccount": {"account_id": "test-acct-1234"}}'),
    ("test-acct-1234", '{"DepositMoney":{"amount":1000.0}}'),
    ("test-acct-1234", '{"WithdrawMoney":{"atm_id":"ATM-N468290","amount":400.0}}'),
    ("test-acct-1234", '{"WriteCheck":{"check_number":"1170","amount":256.28}}'),
]
CQRS_DEMO_VIEW = (
    '{"account_id":"test-acct-1234","balance":343.72,"written_checks":["1170"],'
    '"ledger":[{"description":"deposit","amount":1000.0},'
    '{"description":"atm withdrawal","amount":400.0},'
    '{"description":"1170","amount":256.28}]}'
)
ENVELOPE_KEYS = [
    "position",
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "event_type",
    "event_version",
    "payload",
    "metadata",
    "recorded_at",
]


def _curl(cli: Cli) -> None:
    for account, body in CURL:
        assert cli("exec", account, body).code == 0


def test_cqrs_demo_curl_scenario(cli: Cli) -> None:
    _curl(cli)
    view = cli("view", "account_query", "test-acct-1234")
    assert view.code == 0
    assert view.out.strip() == CQRS_DEMO_VIEW
    state = cli("state", "test-acct-1234")
    assert json.loads(state.out) == {
        "aggregate_type": "account",
        "aggregate_id": "test-acct-1234",
        "version": 4,
        "state": {"account_id": "test-acct-1234", "balance": 343.72},
    }


def test_exec_prints_committed_envelopes_as_stored(cli: Cli) -> None:
    result = cli("exec", "a1", '{"OpenAccount":{"account_id":"a1"}}', "--meta", "uri=/account/a1")
    assert result.code == 0
    (line,) = result.lines()
    assert list(line) == ENVELOPE_KEYS
    assert line["payload"] == {"AccountOpened": {"account_id": "a1"}}
    assert (line["position"], line["sequence"], line["event_version"]) == (1, 1, "1.0")
    meta = line["metadata"]
    assert meta["uri"] == "/account/a1"
    assert meta["correlation_id"] == meta["command_id"] == meta["causation_id"]
    assert meta["time"].endswith("+00:00")
    withdrawal = cli("exec", "a1", '{"DepositMoney":{"amount":5.0}}')
    assert withdrawal.lines()[0]["payload"] == {
        "CustomerDepositedMoney": {"amount": 5.0, "balance": 5.0}
    }


def test_rejected_command_exit_1_with_exactly_the_message(cli: Cli) -> None:
    _curl(cli)
    head = cli("events").lines()
    result = cli("exec", "test-acct-1234", '{"WithdrawMoney":{"atm_id":"x","amount":5000.0}}')
    assert (result.code, result.err, result.out) == (1, "funds not available\n", "")
    assert cli("events").lines() == head


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('{"DepositMoney":{"amount":"lots"}}', "DepositMoney.amount"),
        ('{"DepositMoney":{}}', "DepositMoney.amount"),
        ('{"Deposit":{"amount":1.0}}', "unknown command 'Deposit'"),
        ('{"DepositMoney":{"amount":1.0,"memo":"x"}}', "DepositMoney.memo"),
        ('{"DepositMoney":{"amount":1.0}', "line 1, column 31"),
        ("[]", "one key"),
    ],
)
def test_bad_command_exit_2_names_the_problem(cli: Cli, body: str, named: str) -> None:
    result = cli("exec", "a1", body)
    assert result.code == 2
    assert named in result.err
    assert "Traceback" not in result.err
    assert cli("events").out == ""


def test_bad_options_exit_2(cli: Cli) -> None:
    assert cli("events", "--limit", "0").code == 2
    assert cli("events", "--bogus").code == 2
    assert cli("state", "x", "--version", "-1").code == 2
    assert cli("exec", "a1", '{"OpenAccount":{"account_id":"a1"}}', "--meta", "novalue").code == 2
    unknown_view = cli("view", "no_such_view")
    assert unknown_view.code == 2 and "no_such_view" in unknown_view.err
    bad_time = cli("state", "x", "--at", "yesterday")
    assert bad_time.code == 2 and "--at" in bad_time.err


def test_global_options_before_or_after_the_subcommand(cli: Cli, tmp_path: Path) -> None:
    other = str(tmp_path / "other.sqlite")
    assert cli("--db", other, "exec", "x", '{"OpenAccount":{"account_id":"x"}}').code == 0
    assert cli("exec", "y", '{"OpenAccount":{"account_id":"y"}}', "--db", other).code == 0
    assert [e["aggregate_id"] for e in cli("events", "--db", other).lines()] == ["x", "y"]
    assert cli("events").out == ""  # TUI_ES_DB untouched
    assert cli("--domain", "nope", "events").code == 2


def test_events_filters_and_paging(cli: Cli) -> None:
    assert cli("demo").code == 0
    everything = cli("events").lines()
    assert len(everything) == 84
    assert [e["position"] for e in everything] == list(range(1, 85))
    account = everything[0]["aggregate_id"]
    mine = cli("events", "--aggregate", account).lines()
    assert mine and {e["aggregate_id"] for e in mine} == {account}
    checks = cli("events", "--type", "CustomerWroteCheck").lines()
    assert checks and {e["event_type"] for e in checks} == {"CustomerWroteCheck"}
    page = cli("events", "--after", "80", "--limit", "2").lines()
    assert [e["position"] for e in page] == [81, 82]


def test_events_are_printed_as_stored_without_upcasting(cli: Cli) -> None:
    cli("demo")
    old = [
        e
        for e in cli("events", "--type", "CustomerWithdrewCash").lines()
        if e["event_version"] == "1.0"
    ]
    assert old, "the demo history ships withdrawals stored at 1.0"
    assert "atm_id" not in old[0]["payload"]["CustomerWithdrewCash"]


def test_state_at_version_and_time(cli: Cli) -> None:
    _curl(cli)
    v2 = json.loads(cli("state", "test-acct-1234", "--version", "2").out)
    assert (v2["version"], v2["state"]["balance"]) == (2, 1000.0)
    events = cli("events").lines()
    at = events[2]["recorded_at"]
    v3 = json.loads(cli("state", "test-acct-1234", "--at", at).out)
    assert (v3["version"], v3["state"]["balance"]) == (3, 600.0)
    before = json.loads(cli("state", "test-acct-1234", "--at", "2000-01-01T00:00:00Z").out)
    assert before["version"] == 0
    too_far = cli("state", "test-acct-1234", "--version", "9")
    assert too_far.code == 1 and "has 4 events" in too_far.err


def test_view_lists_rows_and_missing_row_exits_1(cli: Cli) -> None:
    _curl(cli)
    rows = cli("view", "account_query").lines()
    assert rows == [
        {"view_id": "test-acct-1234", "version": 4, "payload": json.loads(CQRS_DEMO_VIEW)}
    ]
    missing = cli("view", "account_query", "nobody")
    assert missing.code == 1 and "nobody" in missing.err


def test_rebuild_gives_the_same_view(cli: Cli) -> None:
    cli("demo")
    before = cli("view", "account_query").out
    result = cli("rebuild")
    assert result.code == 0 and "checkpoint 84" in result.out
    assert cli("view", "account_query").out == before
    partial = cli("rebuild", "account_query", "--from", "80")
    assert partial.code == 0
    rows = cli("view", "account_query").lines()
    assert sum(r["version"] for r in rows) == 4


def test_export_import_round_trip(cli: Cli, tmp_path: Path) -> None:
    cli("demo")
    dump = tmp_path / "dump.jsonl"
    assert cli("export", str(dump)).code == 0
    exported = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(exported) == 84
    copy = str(tmp_path / "copy.sqlite")
    assert cli("import", str(dump), "--db", copy).code == 0
    assert cli("events", "--db", copy).lines() == exported
    assert cli("view", "account_query", "--db", copy).out == cli("view", "account_query").out
    again = cli("import", str(dump), "--db", copy)
    assert again.code == 2 and "line 1:" in again.err and "already exists" in again.err
    assert len(cli("events", "--db", copy).lines()) == 84


def test_import_rejects_a_bad_line_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    good = {
        "aggregate_type": "account",
        "aggregate_id": "imp",
        "sequence": 1,
        "event_type": "AccountOpened",
        "event_version": "1.0",
        "payload": {"AccountOpened": {"account_id": "imp"}},
        "metadata": {},
    }
    bad = dict(good, sequence=2, event_type="CustomerDepositedMoney")
    bad["payload"] = {"CustomerDepositedMoney": {"amount": "ten", "balance": 10.0}}
    file = tmp_path / "in.jsonl"
    file.write_text(json.dumps(good) + "\n\n" + json.dumps(bad) + "\n")
    result = cli("import", str(file))
    assert result.code == 2
    assert result.err.startswith("tui-es: line 3:") and "amount" in result.err
    assert cli("events").out == ""


def test_demo_generates_histories_of_any_size(cli: Cli) -> None:
    assert cli("demo", "--accounts", "3", "--events-per-account", "5").code == 0
    events = cli("events").lines()
    assert len(events) == 15
    assert len({e["aggregate_id"] for e in events}) == 3
    assert cli("demo").code == 0  # the shipped history goes in beside it
    assert len(cli("events").lines()) == 99
    assert cli("demo").code == 0  # and only once
    assert len(cli("events").lines()) == 99


def test_default_store_is_created_with_the_demo_history(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TUI_ES_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "tui_es", "events", "--limit", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["position"] for line in result.stdout.splitlines()] == [1, 2, 3]
    assert (tmp_path / "data" / "tui-es" / "tui-es.sqlite").exists()


def test_follow_prints_events_appended_later(tmp_path: Path) -> None:
    db = str(tmp_path / "follow.sqlite")
    base = [sys.executable, "-m", "tui_es", "--db", db]
    subprocess.run(
        [*base, "exec", "f", '{"OpenAccount":{"account_id":"f"}}'], check=True, capture_output=True
    )
    follower = subprocess.Popen([*base, "events", "--follow"], stdout=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        first = json.loads(follower.stdout.readline())
        subprocess.run(
            [*base, "exec", "f", '{"DepositMoney":{"amount":2.0}}'], check=True, capture_output=True
        )
        second = json.loads(follower.stdout.readline())
    finally:
        follower.kill()
        follower.wait()
    assert (first["position"], second["position"]) == (1, 2)
    assert second["payload"] == {"CustomerDepositedMoney": {"amount": 2.0, "balance": 2.0}}


def test_read_only_store_refuses_exec_with_exit_3(cli: Cli) -> None:
    _curl(cli)
    result = cli("--read-only", "exec", "test-acct-1234", '{"DepositMoney":{"amount":1.0}}')
    assert result.code == 3 and "read-only" in result.err
    assert len(cli("events").lines()) == 4


def test_trace_prints_the_steps_and_keeps_the_exit_codes(cli: Cli) -> None:
    _curl(cli)
    result = cli("trace", "test-acct-1234", '{"DepositMoney":{"amount":1.0}}')
    assert result.code == 0
    trace = json.loads(result.out)
    assert trace["outcome"] == "committed"
    assert [s["step"] for s in trace["steps"]] == ["load", "handle", "commit", "dispatch"]
    assert trace["steps"][2]["sequences"] == [5]
    rejected = cli("trace", "test-acct-1234", '{"WithdrawMoney":{"atm_id":"x","amount":9999.0}}')
    assert rejected.code == 1 and rejected.err == "funds not available\n"
    assert json.loads(rejected.out)["outcome"] == "rejected"
    assert cli("trace", "test-acct-1234", '{"Nope":{}}').code == 2


def test_diff_prints_the_changed_fields(cli: Cli) -> None:
    _curl(cli)
    result = cli("diff", "test-acct-1234", "1", "3")
    assert result.code == 0
    assert json.loads(result.out) == {
        "aggregate_type": "account",
        "aggregate_id": "test-acct-1234",
        "from": 1,
        "to": 3,
        "changes": {"balance": {"before": 0.0, "after": 600.0}},
    }
    assert json.loads(cli("diff", "test-acct-1234", "2", "2").out)["changes"] == {}
    missing = cli("diff", "test-acct-1234", "0", "9")
    assert missing.code == 1 and "no version 9" in missing.err
    assert cli("diff", "test-acct-1234", "x", "2").code == 2
