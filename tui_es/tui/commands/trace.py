"""The command trace on screen: what Execute did, step by step, with values and timings.

``compact`` fits the Commands pane (one line per step, the changed fields of
each view row under it); ``TraceScreen`` shows every value of every step,
full screen. Both read a :class:`~tui_es.es.trace.CommandTrace` and nothing
else, so they work for any domain.

Timings and the commit's clock differ on every run: with the environment
variable ``TUI_ES_HIDE_TIMINGS`` set they are drawn as placeholders, so that
screenshots (the snapshot tests) stay the same from run to run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from tui_es.es.diff import FieldChange, diff_states, flatten
from tui_es.es.trace import CommandTrace, TraceStep
from tui_es.es.words import plural
from tui_es.tui.values import format_scalar, is_scalar, summary

HIDE_TIMINGS = "TUI_ES_HIDE_TIMINGS"
NAME_WIDTH = 9
MS_WIDTH = 10
COMPACT_CHANGES = 4  # changed fields shown per view row in the pane; the full screen shows all

EXPLAIN = {
    "load": (
        "The aggregate is rebuilt from the store: its latest snapshot (if any) plus the events "
        "after it, applied one by one. Its version is the number of events it has."
    ),
    "handle": (
        "The command meets the aggregate's current state. The aggregate decides: it emits "
        "events (facts, in the past tense) or rejects the command with the domain's message."
    ),
    "commit": (
        "The events are appended at the next sequences, only if the aggregate is still at the "
        "version it was loaded at (the expected version): otherwise another writer got there "
        "first and nothing is written."
    ),
    "dispatch": (
        "In the same transaction, every view folds the new events into its rows and moves its "
        "checkpoint (the last position it has seen) forward: a read right after sees it."
    ),
}


def timings_hidden() -> bool:
    return bool(os.environ.get(HIDE_TIMINGS))


def ms_text(milliseconds: float) -> str:
    if timings_hidden():
        return "#.## ms"
    return f"{milliseconds:.2f} ms"


def value_text(value: Any, limit: int = 200) -> str:
    """A JSON value in one line; floats without binary noise, long ones cut."""
    if is_scalar(value):
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else None
        text = text if text is not None else format_scalar(value)
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{json.dumps(str(k))}: {value_text(v)}" for k, v in value.items())
        text += "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(value_text(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def tagged_text(tagged: Any, width: int = 200) -> str:
    """``{"Name": {fields}}`` as ``Name a=1 b=2``: how commands and events read in one line."""
    if isinstance(tagged, Mapping) and len(tagged) == 1:
        ((name, body),) = tagged.items()
        if isinstance(body, Mapping):
            rest = summary(body, width=max(width - len(str(name)) - 1, 8))
            return f"{name} {rest}".rstrip()
        return str(name)
    return value_text(tagged, width)


_MARKS = {"added": ("+", "$text-success"), "changed": ("~", "$text-warning")}
_MARKS["removed"] = ("-", "$text-error")


def change_line(change: FieldChange, indent: int, width: int = 200) -> Content:
    """``~ balance  1987.02 → 1988.02``: one changed field, highlighted."""
    mark, colour = _MARKS[change.kind]
    if change.kind == "added":
        values = value_text(change.after, width)
    elif change.kind == "removed":
        values = f"{value_text(change.before, width)} (removed)"
    else:
        values = f"{value_text(change.before, width // 2)} → {value_text(change.after, width // 2)}"
    return Content.assemble(
        " " * indent,
        (f"{mark} ", f"bold {colour}"),
        (change.path, f"bold {colour}"),
        "  ",
        values,
    )


def state_lines(
    state: Mapping[str, Any] | None,
    changes: Iterable[FieldChange],
    indent: int = 4,
    *,
    changed_first: bool = False,
) -> list[Content]:
    """Every field of a state, one a line; the changed ones marked, highlighted, with the old value.

    ``changed_first`` lists the changed fields before the others (a view row
    with a long ledger would otherwise bury them at the bottom).
    """
    flat = flatten(dict(state)) if state else {}
    by_path = {c.path: c for c in changes}
    if changed_first:
        flat = {
            **{p: v for p, v in flat.items() if p in by_path},
            **{p: v for p, v in flat.items() if p not in by_path},
        }
    width = min(max((len(p) for p in [*flat, *by_path]), default=5), 36)
    lines: list[Content] = []
    pad = " " * indent
    for path, value in flat.items():
        change = by_path.get(path)
        name = path.ljust(width)
        if change is None:
            lines.append(
                Content.assemble(pad, "  ", (name, "$foreground-muted"), "  ", value_text(value))
            )
            continue
        mark, colour = _MARKS[change.kind]
        line = Content.assemble(
            pad, (f"{mark} ", f"bold {colour}"), (name, "bold"), "  ", (value_text(value), "bold")
        )
        if change.kind == "changed":
            line = Content.assemble(
                line,
                ("  was ", "$foreground-muted"),
                (value_text(change.before), "$foreground-muted"),
            )
        lines.append(line.stylize_before("on $warning-muted"))
    for change in by_path.values():
        if change.kind == "removed":
            mark, colour = _MARKS["removed"]
            lines.append(
                Content.assemble(
                    pad,
                    (f"{mark} ", f"bold {colour}"),
                    (change.path.ljust(width), "bold"),
                    "  ",
                    (value_text(change.before), "strike"),
                ).stylize_before("on $warning-muted")
            )
    if not lines:
        lines.append(Content.styled(f"{pad}  (no fields)", "$foreground-muted italic"))
    return lines


def _state(values: Mapping[str, Any], key: str) -> dict[str, Any]:
    state = values.get(key)
    return dict(state) if isinstance(state, Mapping) else {}


def row_changes(row: Mapping[str, Any]) -> list[FieldChange]:
    before = row.get("before")
    after = row.get("after")
    return diff_states(
        dict(before) if isinstance(before, Mapping) else {},
        dict(after) if isinstance(after, Mapping) else {},
    )


# -- one line per step ----------------------------------------------------------------------------
def load_summary(values: Mapping[str, Any]) -> str:
    snapshot = values.get("snapshot")
    read = plural(int(values.get("events_read") or 0), "event")
    version = values.get("version", 0)
    if isinstance(snapshot, Mapping):
        start = f"snapshot at version {snapshot.get('version')} + {read} read"
    else:
        start = f"no snapshot · {read} read"
    return f"{start} → version {version}"


def handle_summary(values: Mapping[str, Any]) -> str:
    command = values.get("command")
    name = next(iter(command), "command") if isinstance(command, Mapping) else "command"
    if "error" in values:
        return f"{name} ✘ rejected: {values['error']}"
    events = values.get("events") or []
    if not events:
        return f"{name} → no event"
    return f"{name} → {plural(len(events), 'event')}"


def commit_summary(values: Mapping[str, Any]) -> str:
    expected = values.get("expected_version")
    if "error" in values:
        return f"expected version {expected} ✘ {values['error']}"
    sequences = values.get("sequences") or []
    positions = values.get("positions") or []
    if len(sequences) == 1:
        where = f"sequence {sequences[0]} at position {positions[0] if positions else '?'}"
    else:
        where = (
            f"sequences {_span(sequences)} at positions {_span(positions)}"
            if sequences
            else "nothing appended"
        )
    snapshot = values.get("snapshot")
    tail = f" · snapshot saved at version {snapshot}" if snapshot else ""
    return f"expected version {expected} ✓ → {where}{tail}"


def _span(numbers: list[Any]) -> str:
    if not numbers:
        return "-"
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]} to {numbers[-1]}"


def dispatch_summary(values: Mapping[str, Any]) -> str:
    views = values.get("views") or []
    if not views:
        return "no view follows these events"
    return ", ".join(
        f"{v.get('view')} checkpoint {v['checkpoint']['before']} → {v['checkpoint']['after']}"
        for v in views
    )


SUMMARIES = {
    "load": load_summary,
    "handle": handle_summary,
    "commit": commit_summary,
    "dispatch": dispatch_summary,
}


def outcome_line(trace: CommandTrace) -> str:
    total = ms_text(trace.milliseconds)
    if trace.outcome == "committed":
        return f"committed in {total}"
    if trace.outcome == "no events":
        return f"no event to commit · {total}"
    if trace.outcome in ("rejected", "conflict", "failed"):
        return f"{trace.outcome}, nothing written · {total}"
    return f"{trace.outcome} · {total}"


def _step_head(step: TraceStep, text: str, error: bool) -> Content:
    return Content.assemble(
        (step.name.ljust(NAME_WIDTH), "bold"),
        (ms_text(step.milliseconds).rjust(MS_WIDTH - 2), "$foreground-muted"),
        "  ",
        (text, "$text-error" if error else ""),
    )


def compact(trace: CommandTrace, width: int = 80) -> Content:
    """The trace in a few lines for the Commands pane; ``width`` cuts the long ones."""
    width = max(width, 40)
    indent = NAME_WIDTH + MS_WIDTH
    room = max(width - indent, 20)
    lines: list[Content] = [
        Content.assemble(
            ("Trace", "bold $accent"),
            (f" · {outcome_line(trace)}", "$foreground-muted"),
            ("  ctrl+o: full screen", "$foreground-disabled"),
        )
    ]
    for step in trace.steps:
        values = step.values
        text = SUMMARIES.get(step.name, lambda v: "")(values)
        lines.append(_step_head(step, text, "error" in values))
        pad = " " * indent
        if step.name == "handle":
            for event in values.get("events") or []:
                lines.append(Content.assemble(pad, tagged_text(event, room)))
            changes = diff_states(
                _state(trace_values(trace, "load"), "state"), _state(values, "state")
            )
            if "error" not in values:
                lines.extend(_limited(changes, indent, room, "state: "))
        elif step.name == "dispatch":
            for view in values.get("views") or []:
                for row in view.get("rows") or []:
                    lines.append(
                        Content.assemble(
                            pad,
                            (f"{view.get('view')} row {row.get('view_id')}", "$foreground-muted"),
                            (
                                f"  v{row.get('version_before')} → v{row.get('version_after')}",
                                "$foreground-muted",
                            ),
                        )
                    )
                    lines.extend(_limited(row_changes(row), indent + 2, room - 2))
    names = [s.name for s in trace.steps]
    if trace.outcome in ("rejected", "failed", "conflict") and "dispatch" not in names:
        missing = [n for n in ("commit", "dispatch") if n not in names]
        if missing:
            lines.append(
                Content.styled(
                    f"{' and '.join(missing)}: not reached, nothing was written",
                    "$foreground-muted",
                )
            )
    return Content("\n").join(line.truncate(width, ellipsis=True) for line in lines)


def trace_values(trace: CommandTrace, name: str) -> dict[str, Any]:
    step = trace.get(name)
    return step.values if step is not None else {}


def _limited(changes: list[FieldChange], indent: int, width: int, label: str = "") -> list[Content]:
    shown = changes[:COMPACT_CHANGES]
    lines = []
    for index, change in enumerate(shown):
        if label and index == 0:
            line = Content.assemble(
                " " * indent, (label, "$foreground-muted"), change_line(change, 0, width)
            )
        else:
            line = change_line(change, indent + len(label), width)
        lines.append(line)
    if len(changes) > len(shown):
        more = len(changes) - len(shown)
        lines.append(
            Content.styled(
                f"{' ' * (indent + len(label))}… {more} more changed (ctrl+o)", "$foreground-muted"
            )
        )
    return lines


# -- every value ----------------------------------------------------------------------------------
def full(trace: CommandTrace) -> list[Content]:
    """One block per step, every value shown: what the full-screen trace draws."""
    command = tagged_text(trace.command) if trace.command else "(no command)"
    blocks = [
        Content.assemble(
            (command, "bold"),
            f" on {trace.aggregate_type} {trace.aggregate_id}\n",
            (outcome_line(trace), "$text-error" if trace.error else "$text-success"),
            (f": {trace.error}" if trace.error else "", "$text-error"),
        )
    ]
    for number, step in enumerate(trace.steps, start=1):
        blocks.append(step_block(trace, number, step))
    return blocks


def step_block(trace: CommandTrace, number: int, step: TraceStep) -> Content:
    values = step.values
    inside = " (inside the commit's transaction)" if step.name == "dispatch" else ""
    lines: list[Content] = [
        Content.assemble(
            (f"{number}. {step.name}", "bold"),
            (f" · {ms_text(step.milliseconds)}{inside}", "$foreground-muted"),
        ),
        Content.styled(EXPLAIN.get(step.name, ""), "italic $foreground-muted"),
    ]
    if step.name != "dispatch":  # each view says it below, with its rows
        lines.append(Content.assemble("  ", SUMMARIES.get(step.name, lambda v: "")(values)))
    if step.name == "load":
        lines.append(Content.styled(f"  state at version {values.get('version')}:", "bold"))
        lines.extend(state_lines(_state(values, "state"), []))
    elif step.name == "handle":
        lines.append(Content.assemble(("  command: ", "bold"), value_text(values.get("command"))))
        if "error" in values:
            lines.append(Content.styled(f"  rejected: {values['error']}", "bold $text-error"))
        else:
            events = values.get("events") or []
            lines.append(Content.styled(f"  events emitted ({len(events)}):", "bold"))
            lines.extend(Content.assemble("    ", value_text(e)) for e in events)
            lines.append(Content.styled("  state after them (changes highlighted):", "bold"))
            after = _state(values, "state")
            lines.extend(
                state_lines(after, diff_states(_state(trace_values(trace, "load"), "state"), after))
            )
    elif step.name == "commit":
        for key, label in (
            ("expected_version", "expected version"),
            ("sequences", "sequences"),
            ("positions", "positions (in the global log)"),
            ("recorded_at", "recorded at"),
            ("snapshot", "snapshot saved at version"),
            ("error", "error"),
        ):
            if key in values:
                value = values[key]
                if key == "recorded_at" and timings_hidden():
                    value = "(hidden)"
                if value is None:
                    text = "none"
                elif isinstance(value, list):
                    text = ", ".join(value_text(v) for v in value) or "none"
                else:
                    text = value if isinstance(value, str) else value_text(value)
                lines.append(
                    Content.assemble(
                        (f"  {label}: ", "bold"),
                        (text, "$text-error" if key == "error" else ""),
                    )
                )
    elif step.name == "dispatch":
        for view in values.get("views") or []:
            checkpoint = view.get("checkpoint") or {}
            lines.append(
                Content.assemble(
                    ("  view ", "bold"),
                    (str(view.get("view")), "bold $accent"),
                    f": checkpoint {checkpoint.get('before')} → {checkpoint.get('after')}",
                )
            )
            for row in view.get("rows") or []:
                changes = row_changes(row)
                lines.append(
                    Content.assemble(
                        (f"    row {row.get('view_id')}", "bold"),
                        f": version {row.get('version_before')} → {row.get('version_after')}"
                        + (" (new row)" if row.get("before") is None else ""),
                        ("  " + plural(len(changes), "field") + " changed", "$foreground-muted"),
                    )
                )
                after = row.get("after")
                lines.extend(
                    state_lines(
                        after if isinstance(after, Mapping) else None,
                        changes,
                        6,
                        changed_first=True,
                    )
                )
    else:
        lines.extend(Content.assemble(f"  {k}: ", value_text(v)) for k, v in values.items())
    return Content("\n").join(lines)


# -- widgets --------------------------------------------------------------------------------------
class TraceView(Widget, can_focus=True):
    """The last command's trace in the Commands pane; enter opens it full screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Full trace", tooltip="Open the trace full screen"),
    ]

    class Open(Message):
        """Show this trace full screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trace: CommandTrace | None = None

    def show(self, trace: CommandTrace | None) -> None:
        self.trace = trace
        self.display = trace is not None and bool(trace.steps)
        self.refresh(layout=True)

    def render(self) -> Content:
        if self.trace is None:
            return Content("")
        return compact(self.trace, self.content_region.width or 80)

    def action_open(self) -> None:
        self.post_message(self.Open())

    def on_click(self, event: Click) -> None:
        if event.chain == 2:
            self.post_message(self.Open())


class TraceScreen(ModalScreen[None]):
    """Every step of one trace with every value; esc closes."""

    TITLE = "Command trace"
    HELP: ClassVar[str] = """\
What one command did, step by step, with the time each step took:

1. **load**: the aggregate is rebuilt from its snapshot (if any) and the
   events after it.
2. **handle**: the command meets that state; the aggregate emits events or
   rejects the command.
3. **commit**: the events are appended, only if the aggregate is still at the
   version it was loaded at (the *expected version*).
4. **dispatch**: in the same transaction the views fold the new events and
   move their checkpoints.

Changed fields are highlighted: `~` changed, `+` added, `-` removed.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,ctrl+o", "dismiss", "Close"),
    ]

    def __init__(self, trace: CommandTrace) -> None:
        super().__init__()
        self.trace = trace

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trace-dialog") as dialog:
            dialog.border_title = "Command trace"
            dialog.border_subtitle = "esc closes"
            for index, block in enumerate(full(self.trace)):
                yield Static(block, classes="trace-block", id=f"trace-block-{index}")

    def on_click(self, event: Click) -> None:
        if event.widget is self:  # the backdrop, outside the dialog
            self.dismiss()
