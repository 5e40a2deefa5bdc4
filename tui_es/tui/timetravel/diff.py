"""What changed between two states: their JSON flattened to paths, compared path by path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from textual.content import Content

# Longer lists are compared and shown as one value: a ledger of 10,000 entries
# must not become 10,000 rows at every step.
LIST_ITEMS_MAX = 50
VALUE_CHARS_MAX = 200
ROWS_MAX = 400

ChangeKind = Literal["added", "removed", "changed"]
MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    kind: ChangeKind
    before: Any
    after: Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1, 2]}}`` → ``{"a.b[0]": 1, "a.b[1]": 2}``; empty containers stay whole."""
    out: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and len(value) <= LIST_ITEMS_MAX:
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "(value)"] = value
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Change]:
    """The paths whose value differs, by path (both sides flattened)."""
    changes: dict[str, Change] = {}
    for path, value in after.items():
        old = before.get(path, MISSING)
        if old is MISSING:
            changes[path] = Change(path, "added", MISSING, value)
        elif old != value or type(old) is not type(value):
            changes[path] = Change(path, "changed", old, value)
    for path, value in before.items():
        if path not in after:
            changes[path] = Change(path, "removed", value, MISSING)
    return changes


def value_text(value: Any) -> str:
    """A value as JSON (strings quoted, as in the payloads), cut when long."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS_MAX else text[: VALUE_CHARS_MAX - 1] + "…"


MARKERS: dict[ChangeKind, tuple[str, str]] = {
    "added": ("+", "$text-success"),
    "changed": ("~", "$text-warning"),
    "removed": ("-", "$text-error"),
}


def render_state(state: dict[str, Any], changes: dict[str, Change]) -> Content:
    """Every field of the state, one per line; changed ones marked, highlighted, with the old value."""
    rows = [(path, value, changes.get(path)) for path, value in state.items()]
    rows += [(c.path, MISSING, c) for c in changes.values() if c.kind == "removed"]
    if len(rows) > ROWS_MAX:
        changed = [r for r in rows if r[2] is not None]
        rest = [r for r in rows if r[2] is None][: max(0, ROWS_MAX - len(changed))]
        hidden = len(rows) - len(changed) - len(rest)
        rows = changed + rest
    else:
        hidden = 0
    width = min(max((len(path) for path, _, _ in rows), default=5), 32)
    lines: list[Content] = []
    for path, value, change in rows:
        name = path if len(path) <= width else path[: width - 1] + "…"
        if change is None:
            lines.append(
                Content.assemble("  ", (name.ljust(width), "$text-muted"), "  ", value_text(value))
            )
            continue
        marker, colour = MARKERS[change.kind]
        shown = value_text(change.before) if change.kind == "removed" else value_text(value)
        line = Content.assemble(
            (f"{marker} ", f"bold {colour}"),
            (name.ljust(width), "bold"),
            "  ",
            (shown, "strike" if change.kind == "removed" else "bold"),
        )
        if change.kind == "changed":
            line = Content.assemble(
                line, ("  was ", "$text-muted"), (value_text(change.before), "$text-muted")
            )
        lines.append(line.stylize_before("on $warning-muted"))
    if hidden:
        lines.append(Content.styled(f"  … {hidden:,} more unchanged fields", "$text-muted italic"))
    if not lines:
        lines.append(Content.styled("  (no fields)", "$text-muted italic"))
    return Content("\n").join(lines)


def describe(changes: dict[str, Change]) -> str:
    if not changes:
        return "no field changed"
    names = ", ".join(sorted(changes)[:6]) + (", …" if len(changes) > 6 else "")
    noun = "field" if len(changes) == 1 else "fields"
    return f"{len(changes)} {noun} changed: {names}"
