"""diff_states (any two states, path by path) and diff_versions (what ``tui-es diff`` prints)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from counter_domain import Add, Step, counter_domain

from tui_es.es import Application, InMemoryEventStore, InvalidMessage
from tui_es.es.diff import (
    LIST_ITEMS_MAX,
    MISSING,
    FieldChange,
    VersionOutOfRange,
    changes_json,
    diff_states,
    diff_versions,
    flatten,
)

ACCOUNT = "ACCT-11fa23b0"  # 14 events in the demo history


# -- diff_states ---------------------------------------------------------------------------------
def test_equal_states_have_no_change() -> None:
    state = {"balance": 10.0, "ledger": [{"amount": 1.0}], "owner": {"name": "Ann"}}
    assert diff_states(state, json.loads(json.dumps(state))) == []


def test_a_changed_scalar() -> None:
    assert diff_states({"balance": 1000.0, "id": "a"}, {"balance": 600.0, "id": "a"}) == [
        FieldChange("balance", "changed", 1000.0, 600.0)
    ]


def test_paths_go_into_objects_and_lists() -> None:
    before = {"ledger": [{"amount": 1.0}, {"amount": 2.0}, {"amount": 3.0}], "owner": {"n": "A"}}
    after = {"ledger": [{"amount": 1.0}, {"amount": 2.0}, {"amount": 4.5}], "owner": {"n": "B"}}
    changes = diff_states(before, after)
    assert [(c.path, c.kind, c.before, c.after) for c in changes] == [
        ("ledger[2].amount", "changed", 3.0, 4.5),
        ("owner.n", "changed", "A", "B"),
    ]


def test_added_and_removed_paths() -> None:
    before = {"ledger": [{"amount": 1.0}], "gone": True}
    after = {"ledger": [{"amount": 1.0}, {"amount": 2.0}], "new": None}
    changes = {c.path: c for c in diff_states(before, after)}
    assert changes.keys() == {"ledger[1].amount", "new", "gone"}
    assert changes["ledger[1].amount"] == FieldChange("ledger[1].amount", "added", MISSING, 2.0)
    assert changes["new"].kind == "added" and changes["new"].after is None
    assert changes["gone"] == FieldChange("gone", "removed", True, MISSING)
    # removed paths come after the paths of the new state
    assert [c.path for c in diff_states(before, after)][-1] == "gone"


def test_a_value_of_another_json_type_is_a_change() -> None:
    # equal in Python, not the same JSON
    assert diff_states({"n": 1}, {"n": 1.0}) == [FieldChange("n", "changed", 1, 1.0)]
    assert diff_states({"b": True}, {"b": 1}) == [FieldChange("b", "changed", True, 1)]


def test_empty_containers_and_long_lists_are_one_value() -> None:
    assert flatten({"a": [], "b": {}}) == {"a": [], "b": {}}
    assert diff_states({"a": []}, {"a": [1]}) == [
        FieldChange("a[0]", "added", MISSING, 1),
        FieldChange("a", "removed", [], MISSING),
    ]
    long = list(range(LIST_ITEMS_MAX + 1))
    changes = diff_states({"xs": long}, {"xs": [*long[:-1], -1]})
    assert changes == [FieldChange("xs", "changed", long, [*long[:-1], -1])]


def test_keys_that_are_not_names_are_quoted() -> None:
    paths = flatten({"by id": {"1001": 5, "a.b": 6, "ok_name-2": 7}})
    assert list(paths) == ['["by id"]["1001"]', '["by id"]["a.b"]', '["by id"].ok_name-2']


def test_changes_are_json() -> None:
    changes = diff_states({"a": 1, "b": "x"}, {"a": 2, "c": [1]})
    assert changes_json(changes) == {
        "a": {"before": 1, "after": 2},
        "c[0]": {"after": 1},  # added: no before
        "b": {"before": "x"},  # removed: no after
    }
    assert changes[0].to_json() == {"a": {"before": 1, "after": 2}}
    json.dumps(changes_json(changes))  # serializable as it is


# -- diff_versions -------------------------------------------------------------------------------
@pytest.fixture
def counters() -> Application:
    """Counter "c": 3 increments, then a step (an increment and a recorded count)."""
    app = Application(counter_domain(), InMemoryEventStore())
    app.execute("c", Add(times=3))
    app.execute("c", Step())
    return app


def test_diff_versions_on_the_memory_store(counters: Application) -> None:
    out = diff_versions(counters, "c", 1, 5)
    assert out == {
        "aggregate_type": "counter",
        "aggregate_id": "c",
        "from": 1,
        "to": 5,
        "changes": {
            "count": {"before": 1, "after": 4},
            "recorded[0]": {"after": 4},
            "recorded": {"before": []},
        },
    }
    # backwards, the same fields the other way round
    back = diff_versions(counters, "c", 5, 1, "counter")["changes"]
    assert back["count"] == {"before": 4, "after": 1}
    assert back["recorded"] == {"after": []} and back["recorded[0]"] == {"before": 4}
    assert diff_versions(counters, "c", 3, 3)["changes"] == {}
    assert diff_versions(counters, "c", 0, 1)["changes"] == {"count": {"before": 0, "after": 1}}


def test_diff_versions_on_the_demo_history(demo_app: Application) -> None:
    out = diff_versions(demo_app, ACCOUNT, 4, 5)
    assert out == {
        "aggregate_type": "account",
        "aggregate_id": ACCOUNT,
        "from": 4,
        "to": 5,
        "changes": {"balance": {"before": 3308.23, "after": 2411.29}},
    }
    opened = diff_versions(demo_app, ACCOUNT, 0, 14)["changes"]
    assert opened == {
        "account_id": {"before": "", "after": ACCOUNT},
        "balance": {"before": 0.0, "after": 1523.6100000000001},
    }
    # what it prints is JSON, and agrees with the application's own states
    text = json.dumps(diff_versions(demo_app, ACCOUNT, 2, 12))
    before, _ = demo_app.state(ACCOUNT, version=2)
    after, _ = demo_app.state(ACCOUNT, version=12)
    expected: dict[str, Any] = {
        "balance": {
            "before": before.state_json()["balance"],
            "after": after.state_json()["balance"],
        }
    }
    assert json.loads(text)["changes"] == expected


@pytest.mark.parametrize(("v1", "v2"), [(0, 15), (-1, 3), (15, 1)])
def test_a_version_the_aggregate_does_not_have(demo_app: Application, v1: int, v2: int) -> None:
    with pytest.raises(VersionOutOfRange, match="versions 0 to 14"):
        diff_versions(demo_app, ACCOUNT, v1, v2)


def test_an_aggregate_without_events(demo_app: Application) -> None:
    assert diff_versions(demo_app, "NOPE", 0, 0)["changes"] == {}
    with pytest.raises(VersionOutOfRange, match="no events"):
        diff_versions(demo_app, "NOPE", 0, 1)


def test_an_unknown_aggregate_type(demo_app: Application) -> None:
    with pytest.raises(InvalidMessage, match="unknown aggregate type"):
        diff_versions(demo_app, ACCOUNT, 0, 1, "order")
