"""A state on screen, field by field, with the fields that differ from another version marked.

The comparison itself is :mod:`tui_es.es.diff` (no Textual there); this only draws it.
"""

from __future__ import annotations

import json
from typing import Any

from textual.content import Content

from tui_es.es.diff import MISSING, ChangeKind, FieldChange
from tui_es.es.words import plural
from tui_es.tui.values import format_scalar

VALUE_CHARS_MAX = 200
ROWS_MAX = 400


def value_text(value: Any) -> str:
    """A value as JSON (strings quoted, as in the payloads), cut when long.

    Floats are written as every other pane writes them (``format_scalar``): a
    sum's binary noise (958.4100000000001) is not a change anyone made.
    """
    if isinstance(value, float):
        return format_scalar(value)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS_MAX else text[: VALUE_CHARS_MAX - 1] + "…"


MARKERS: dict[ChangeKind, tuple[str, str]] = {
    "added": ("+", "$text-success"),
    "changed": ("~", "$text-warning"),
    "removed": ("-", "$text-error"),
}


def render_state(state: dict[str, Any], changes: list[FieldChange], was: str = "was") -> Content:
    """Every field of the (flattened) state, one per line; changed ones marked and highlighted.

    A changed field also shows its other value, after ``was`` (``"was"``, or
    ``"v3:"`` when the other side is a chosen version); a removed one shows the
    value it had, struck through.
    """
    by_path = {c.path: c for c in changes}
    rows = [(path, value, by_path.get(path)) for path, value in state.items()]
    rows += [(c.path, MISSING, c) for c in changes if c.kind == "removed"]
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
                line, (f"  {was} ", "$text-muted"), (value_text(change.before), "$text-muted")
            )
        lines.append(line.stylize_before("on $warning-muted"))
    if hidden:
        lines.append(
            Content.styled(f"  … {plural(hidden, 'more unchanged field')}", "$text-muted italic")
        )
    if not lines:
        lines.append(Content.styled("  (no fields)", "$text-muted italic"))
    return Content("\n").join(lines)


def describe(changes: list[FieldChange]) -> str:
    if not changes:
        return "no field changed"
    paths = [c.path for c in changes]
    names = ", ".join(paths[:6]) + (", …" if len(paths) > 6 else "")
    return f"{plural(len(paths), 'field')} changed: {names}"
