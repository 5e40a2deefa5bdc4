"""How a lab run reads on screen: each step's values pretty-printed, the causation tree's labels.

Generic over the values a step holds (scalars, lists, tables of flat rows,
nested JSON); a few shapes the scenarios return get a better picture: the
snapshot's loads as bars, drift as the fields that differ, the upcast as the
fields the upcasters added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.content import Content

from tui_es.es.diff import diff_states, flatten
from tui_es.es.lab import LabRun, LabStep
from tui_es.es.words import plural
from tui_es.tui.commands.trace import change_line, tagged_text, value_text
from tui_es.tui.values import format_scalar, is_scalar

MUTED = "$foreground-muted"
MIN_BAR, MAX_BAR = 6, 32  # the bars' width, as the step's width allows


def label(key: str) -> str:
    return key.replace("_", " ")


def step_content(run: LabRun, index: int, width: int = 100) -> Content:
    """Step ``index`` of the run: its title, what it shows, and its values."""
    step = run.steps[index]
    lines: list[Content] = [
        Content.assemble((f"{index + 1}. ", "bold $accent"), (step.title, "bold")),
    ]
    if step.explanation:
        lines.append(Content.styled(step.explanation, "italic"))
    lines.extend(values_lines(run, step, width))
    return Content("\n").join(lines)


def values_lines(run: LabRun, step: LabStep, width: int = 100) -> list[Content]:
    lines: list[Content] = []
    values = step.values
    for key, value in values.items():
        if key == "tree" or (key == "correlation_id" and "tree" in values):
            continue  # drawn as a Tree widget, its correlation id above it
        if key == "loads" and _is_table(value):
            lines.extend(loads_lines(value, width))
        elif key == "differences" and isinstance(value, list):
            lines.extend(differences_lines(value, width))
        elif key == "payload" and run.scenario == "upcast" and isinstance(value, Mapping):
            lines.extend(upcast_lines(run, step, value))
        elif _is_table(value):
            lines.extend(table_lines(value))
        elif isinstance(value, Mapping) and value:
            lines.append(Content.styled(f"  {label(key)}:", "bold"))
            lines.extend(
                Content.assemble("    ", (path, MUTED), "  ", value_text(item, width))
                for path, item in flatten(dict(value)).items()
            )
        else:
            lines.append(Content.assemble((f"  {label(key)}: ", "bold"), scalar_text(value)))
    return lines


def scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if is_scalar(value):
        return format_scalar(value)
    if isinstance(value, list) and all(is_scalar(v) for v in value):
        return ", ".join(format_scalar(v) for v in value) or "none"
    return value_text(value)


def _is_table(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, Mapping) and all(is_scalar(v) for v in r.values()) for r in value)
    )


def table_lines(rows: list[Mapping[str, Any]]) -> list[Content]:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(label(c)), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    head = "  ".join(label(c).rjust(w) for c, w in zip(columns, widths, strict=True))
    lines = [Content.styled(f"  {head}", "bold")]
    for row in cells:
        lines.append(
            Content("  " + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
        )
    return lines


def _cell(value: Any) -> str:
    return "-" if value is None else format_scalar(value)


def loads_lines(rows: list[Mapping[str, Any]], width: int = 100) -> list[Content]:
    """Events read per load, without and with snapshots, as two bars per version.

    The bars take what ``width`` leaves after the other columns, so a row never wraps.
    """
    top = max(
        [int(r.get("events_read_without") or 0) for r in rows]
        + [int(r.get("events_read_with") or 0) for r in rows]
        + [1]
    )
    digits = len(str(top))
    # "  version  " + bar + " n" + "  " + bar + " n" + "  snapshot at": the bars get the rest
    bar_width = max(MIN_BAR, min(MAX_BAR, (width - 11 - 2 * (digits + 1) - 2 - 13) // 2))
    scale = min(1.0, bar_width / top)
    column = bar_width + 1 + digits

    def bar(count: int, style: str) -> Content:
        # rounded half up, and never to nothing: a load that reads 1 event shows a bar
        length = min(bar_width, max(1, int(count * scale + 0.5))) if count > 0 else 0
        return Content.assemble(
            ("█" * length, style), (" " * (bar_width - length), ""), f" {count:>{digits}}"
        )

    def heading(text: str, short: str) -> Content:
        return Content.styled(
            (text if len(text) <= column else short)[:column].ljust(column), "bold"
        )

    lines = [
        Content.assemble(
            ("  version  ", "bold"),
            heading("without snapshots", "no snapshots"),
            "  ",
            heading("with snapshots", "snapshots"),
            ("  snapshot at", "bold"),
        )
    ]
    for row in rows:
        snapshot = row.get("snapshot_at")
        lines.append(
            Content.assemble(
                f"  {row.get('version', ''):>7}  ",
                bar(int(row.get("events_read_without") or 0), "$error"),
                "  ",
                bar(int(row.get("events_read_with") or 0), "$success"),
                (f"  {'-' if snapshot is None else snapshot:>11}", MUTED),
            )
        )
    return lines


def differences_lines(differences: list[Any], width: int) -> list[Content]:
    """Drift: per row that differs, the fields where the live view and the rebuilt one disagree."""
    if not differences:
        return [Content.styled("  no row differs", "$text-success")]
    lines: list[Content] = []
    for difference in differences:
        if not isinstance(difference, Mapping):
            continue
        live = difference.get("live")
        rebuilt = difference.get("rebuilt")
        lines.append(
            Content.assemble(
                ("  row ", "bold"),
                (str(difference.get("view_id")), "bold"),
                (
                    ""
                    if live is not None and rebuilt is not None
                    else "  (only in the live view)"
                    if rebuilt is None
                    else "  (missing from the live view)",
                    MUTED,
                ),
            )
        )
        changes = diff_states(
            dict(rebuilt) if isinstance(rebuilt, Mapping) else {},
            dict(live) if isinstance(live, Mapping) else {},
        )
        lines.append(
            Content.styled("    rebuilt from the events → as the live view has it:", MUTED)
        )
        lines.extend(change_line(c, 4, width - 6) for c in changes)
    return lines


def upcast_lines(run: LabRun, step: LabStep, payload: Mapping[str, Any]) -> list[Content]:
    """The payload field by field; in the upcast one, the fields the upcasters added marked."""
    first = run.steps[0].values.get("payload")
    stored = flatten(dict(first)) if step is not run.steps[0] and isinstance(first, Mapping) else {}
    lines = [Content.styled("  payload:", "bold")]
    for path, value in flatten(dict(payload)).items():
        if stored and path not in stored:
            lines.append(
                Content.assemble(
                    ("    + ", "bold $text-success"),
                    (path, "bold $text-success"),
                    "  ",
                    value_text(value),
                    ("  added by the upcaster", MUTED),
                ).stylize_before("on $success-muted")
            )
        elif stored and stored[path] != value:
            lines.append(
                Content.assemble(
                    ("    ~ ", "bold $text-warning"),
                    (path, "bold $text-warning"),
                    "  ",
                    value_text(value),
                    (f"  was {value_text(stored[path])}", MUTED),
                ).stylize_before("on $warning-muted")
            )
        else:
            lines.append(Content.assemble("      ", (path, MUTED), "  ", value_text(value)))
    return lines


# -- the causation tree -----------------------------------------------------------------------------
Node = Mapping[str, Any]


def node_label(node: Node) -> Text:
    """One line for a node of ``run_causation``'s tree: a command or an event."""
    if node.get("kind") == "event":
        return Text.assemble(
            ("● ", "bold green"),
            (f"#{node.get('sequence')} ", "dim"),
            (tagged_text(node.get("event"), 90), ""),
            (f"  {node.get('aggregate_id')} · position {node.get('position')}", "dim"),
        )
    text = Text.assemble(
        ("⌘ ", "bold yellow"),
        (tagged_text(node.get("command"), 90), "bold"),
        (f"  → {node.get('aggregate_id')}", ""),
    )
    if node.get("error"):
        text.append(f"  ✘ {node.get('error')}", "bold red")
    return text


def node_details(node: Node, parent: Node | None, correlation_id: str) -> Content:
    """What the highlighted node carries: its ids, and where they come from."""
    lines: list[Content] = []

    def line(name: str, value: Any, why: str = "") -> None:
        lines.append(
            Content.assemble(
                (f"{name}: ", "bold"), str(value) if value is not None else "-", (why, MUTED)
            )
        )

    if node.get("kind") == "event":
        line("event", tagged_text(node.get("event")))
        line("aggregate", f"{node.get('aggregate_id')} version {node.get('sequence')}")
        line("position", node.get("position"), "  (in the global log)")
        if parent is not None:
            line("caused by command", parent.get("command_id"), "  (its command_id)")
        line("correlation id", correlation_id, "  (the first command's id)")
        return Content("\n").join(lines)
    line("command", tagged_text(node.get("command")))
    line("aggregate", node.get("aggregate_id"))
    line("command id", node.get("command_id"))
    line("correlation id", correlation_id, "  (shared by the whole tree)")
    cause = node.get("causation_id")
    if cause:
        line("causation id", cause, "  (the event that caused it: type/id#sequence)")
    else:
        line("causation id", node.get("command_id"), "  (the root: its own id)")
    if node.get("error"):
        lines.append(Content.styled(f"refused: {node.get('error')}", "$text-error"))
    return Content("\n").join(lines)


def tree_size(node: Node) -> str:
    """``3 commands, 3 events``: what the tree holds."""
    commands, events = count_nodes(node)
    return f"{plural(commands, 'command')}, {plural(events, 'event')}"


def count_nodes(node: Node) -> tuple[int, int]:
    """(commands, events) in the tree."""
    commands, events = (0, 1) if node.get("kind") == "event" else (1, 0)
    for child in node.get("children") or []:
        c, e = count_nodes(child)
        commands, events = commands + c, events + e
    return commands, events
