"""What changed between two states: their JSON flattened to paths, compared path by path.

Knows no domain and imports neither Textual nor SQL: a state is the JSON an
aggregate's ``state_json()`` returns. ``diff_states`` serves the Time travel
pane and ``diff_versions`` the command line (``tui-es diff``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from tui_es.es.replay import AggregateHistory

if TYPE_CHECKING:
    from tui_es.es.application import Application

# Longer lists are compared and shown as one value: a ledger of 10,000 entries
# must not become 10,000 paths at every step.
LIST_ITEMS_MAX = 50

ChangeKind = Literal["added", "removed", "changed"]

# A key that reads as a plain name stays bare in a path; any other is quoted.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


class _Missing:
    """The value on the side of a change where the path does not exist."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One path whose value differs: ``before`` is MISSING when added, ``after`` when removed."""

    path: str
    kind: ChangeKind
    before: Any
    after: Any

    def to_json(self) -> dict[str, dict[str, Any]]:
        """``{path: {"before": …, "after": …}}``; a side that does not exist is left out."""
        sides: dict[str, Any] = {}
        if self.before is not MISSING:
            sides["before"] = self.before
        if self.after is not MISSING:
            sides["after"] = self.after
        return {self.path: sides}


def child_path(prefix: str, key: object) -> str:
    """``balance``, ``ledger.amount``; keys with dots, brackets or spaces as ``["a.b"]``."""
    name = str(key)
    if _PLAIN_KEY.fullmatch(name):
        return f"{prefix}.{name}" if prefix else name
    return f"{prefix}[{json.dumps(name, ensure_ascii=False)}]"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1, 2]}}`` → ``{"a.b[0]": 1, "a.b[1]": 2}``; empty containers stay whole.

    Lists longer than ``LIST_ITEMS_MAX`` stay whole too, as one value.
    """
    out: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.update(flatten(item, child_path(prefix, key)))
    elif isinstance(value, list) and value and len(value) <= LIST_ITEMS_MAX:
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "(value)"] = value
    return out


def _differs(old: Any, new: Any) -> bool:
    # 1 and 1.0, or true and 1, are equal in Python but not the same JSON
    return bool(old != new) or type(old) is not type(new)


def diff_flat(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The changes between two flattened states: ``after``'s order, then what was removed."""
    changes: list[FieldChange] = []
    for path, value in after.items():
        old = before.get(path, MISSING)
        if old is MISSING:
            changes.append(FieldChange(path, "added", MISSING, value))
        elif _differs(old, value):
            changes.append(FieldChange(path, "changed", old, value))
    for path, value in before.items():
        if path not in after:
            changes.append(FieldChange(path, "removed", value, MISSING))
    return changes


def diff_states(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Every path (``balance``, ``ledger[2].amount``) whose value differs between two states."""
    return diff_flat(flatten(before), flatten(after))


def changes_json(changes: list[FieldChange]) -> dict[str, dict[str, Any]]:
    """All the changes as one JSON object, by path."""
    out: dict[str, dict[str, Any]] = {}
    for change in changes:
        out.update(change.to_json())
    return out


class VersionOutOfRange(ValueError):
    """A version the aggregate does not have (it has 0 to its latest)."""


def diff_versions(
    application: Application,
    aggregate_id: str,
    v1: int,
    v2: int,
    aggregate_type: str | None = None,
) -> dict[str, Any]:
    """The fields that differ between versions ``v1`` and ``v2`` of one aggregate, as JSON.

    Both states are replayed from the events (no snapshot), read once up to
    the larger version. Raises :class:`VersionOutOfRange` for a version the
    aggregate does not have, ``InvalidMessage`` for an unknown aggregate type.
    """
    cls = application.domain.aggregate(aggregate_type)
    kind = cls.aggregate_type
    store, codec = application.store, application.codec
    latest = store.last_sequence(kind, aggregate_id)
    for version in (v1, v2):
        if not 0 <= version <= latest:
            has = f"versions 0 to {latest}" if latest else "no events (only version 0)"
            raise VersionOutOfRange(
                f"{kind} {aggregate_id!r} has {has}: there is no version {version}"
            )
    rows = store.load_events(kind, aggregate_id, until_sequence=max(v1, v2))
    history = AggregateHistory(cls, aggregate_id, codec.decode_all(rows))
    before = history.state_at(min(v1, history.version)).state_json()
    after = history.state_at(min(v2, history.version)).state_json()
    return {
        "aggregate_type": kind,
        "aggregate_id": aggregate_id,
        "from": v1,
        "to": v2,
        "changes": changes_json(diff_states(before, after)),
    }
