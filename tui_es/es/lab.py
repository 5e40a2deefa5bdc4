"""The scenario lab: provoke the moments of CQRS/ES a learner should see happen.

Each scenario runs against an Application on a scratch copy of a store (see
``tui_es.store.scratch``), never the real one, and returns its steps: a title,
what it shows and the values it saw, for the dashboard and the tests to read.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_es.es.aggregate import EventSink
from tui_es.es.application import Application
from tui_es.es.dispatcher import ProjectionDispatcher
from tui_es.es.domain import Policy
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import AggregateConflict
from tui_es.es.framework import CqrsFramework
from tui_es.es.messages import Command
from tui_es.es.snapshots import SnapshotPolicy
from tui_es.es.words import plural


@dataclass
class LabStep:
    title: str
    explanation: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class LabRun:
    scenario: str
    steps: list[LabStep] = field(default_factory=list)
    conclusion: str = ""

    def step(self, title: str, explanation: str = "", **values: Any) -> LabStep:
        step = LabStep(title, explanation, values)
        self.steps.append(step)
        return step


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    explanation: str


SCENARIOS = (
    Scenario(
        "conflict",
        "A conflict between two writers",
        "Two writers load the same version of an aggregate. The first commits; the second's "
        "commit would reuse the same sequence, so the store refuses it (optimistic "
        "concurrency). It reloads the new version and runs the command again.",
    ),
    Scenario(
        "snapshot",
        "A snapshot kicking in",
        "Without snapshots every load replays every event. With a snapshot every N events, a "
        "load starts from the latest snapshot and replays only the events after it.",
    ),
    Scenario(
        "drift",
        "A projection rebuild and drift",
        "A view is only as right as the code that built it. Rebuild it into a scratch view from "
        "the log and compare: any difference is drift (here a row damaged on purpose).",
    ),
    Scenario(
        "upcast",
        "An upcast",
        "Stored events never change. When an event's schema evolves, an upcaster turns the old "
        "stored JSON into the new shape every time it is read.",
    ),
    Scenario(
        "consistency",
        "Strong against eventual consistency",
        "tui-es updates views in the commit's transaction: a read right after a command sees it. "
        "With an asynchronous dispatcher the events commit first and the view catches up later: "
        "a read in between is stale.",
    ),
    Scenario(
        "causation",
        "Correlation and causation",
        "A policy reacts to an event by commanding another aggregate. Every command carries the "
        "correlation id of the first one and, as causation id, the event that caused it.",
    ),
)


def _decide(
    framework: CqrsFramework[Any], aggregate_id: str, command: Command
) -> tuple[Any, list[Any]]:
    context = framework.load(aggregate_id)
    sink: EventSink[Any] = EventSink(context.aggregate)
    context.aggregate.handle(command, framework.services, sink)
    return context, sink.collect()


def run_conflict(app: Application, aggregate_id: str, command: Command) -> LabRun:
    run = LabRun("conflict")
    first = app.framework(app.aggregate_type_of(command))
    second = CqrsFramework(
        first.aggregate, app.store, app.services, codec=app.codec, dispatcher=app.dispatcher
    )
    context_a, events_a = _decide(first, aggregate_id, command)
    run.step("Writer A loads", f"version {context_a.sequence}", version=context_a.sequence)
    context_b, events_b = _decide(second, aggregate_id, command)
    run.step(
        "Writer B loads", f"version {context_b.sequence}, the same", version=context_b.sequence
    )
    committed = first.commit(context_a, events_a, first.command_metadata({"writer": "A"}))
    run.step(
        "A commits",
        f"sequence {committed[0].sequence} at position {committed[0].position}",
        sequences=[e.sequence for e in committed],
        positions=[e.position for e in committed],
    )
    try:
        second.commit(context_b, events_b, second.command_metadata({"writer": "B"}))
        run.step("B commits", "no conflict: the writers did not overlap")
    except AggregateConflict as e:
        run.step(
            "B's commit is refused",
            f"{e}: sequence {context_b.sequence + 1} is taken",
            error=str(e),
            expected_version=context_b.sequence,
        )
        retried = second.execute(aggregate_id, command, {"writer": "B", "retry": "1"})
        run.step(
            "B reloads and retries",
            f"loads version {retried[0].sequence - 1}, commits sequence {retried[0].sequence}",
            sequences=[e.sequence for e in retried],
            positions=[e.position for e in retried],
        )
    run.conclusion = "Exactly one of two writers that loaded the same version commits first."
    return run


def run_snapshot(
    app: Application, aggregate_id: str, command: Command, interval: int, commands: int = 12
) -> LabRun:
    run = LabRun("snapshot")
    base = app.framework(app.aggregate_type_of(command))
    snapshotting = CqrsFramework(
        base.aggregate,
        app.store,
        app.services,
        codec=app.codec,
        dispatcher=app.dispatcher,
        snapshots=SnapshotPolicy.every(interval),
        cache_size=0,
    )
    rows = []
    for _ in range(commands):
        snapshotting.execute(aggregate_id, command)
        with_snapshots = snapshotting.load(aggregate_id)
        without = base.load(aggregate_id)
        rows.append(
            {
                "version": with_snapshots.sequence,
                "events_read_without": without.events_read,
                "events_read_with": with_snapshots.events_read,
                "snapshot_at": with_snapshots.snapshot.last_sequence
                if with_snapshots.snapshot_used and with_snapshots.snapshot
                else None,
            }
        )
    run.step(
        f"{commands} commands with a snapshot every {interval} events",
        "events read per load, without and with snapshots",
        loads=rows,
    )
    last = rows[-1]
    run.conclusion = (
        f"At version {last['version']} a load reads {plural(last['events_read_with'] or 0, 'event')} "
        f"instead of {last['events_read_without']}."
    )
    return run


def run_drift(app: Application, view_name: str) -> LabRun:
    run = LabRun("drift")
    view = app.dispatcher.view(view_name)
    rows = app.store.view_rows(view_name, limit=1)
    if rows:
        damaged = rows[0]
        with app.store.transaction() as tx:
            payload = dict(damaged.payload)
            key = next(iter(payload), None)
            if key is not None:
                payload[key] = _nudge(payload[key])
            tx.save_view(
                view_name,
                dataclasses.replace(damaged, version=damaged.version, payload=payload),
                expected_version=damaged.version,
            )
        run.step("A live row is damaged", f"{view_name} row {damaged.view_id!r}", field=key)
    scratch = dataclasses.replace(view, name=f"{view_name}_scratch")
    app.store.ensure_views([scratch.name])
    dispatcher = ProjectionDispatcher(app.codec, [scratch])
    folded = dispatcher.rebuild(app.store, scratch.name)
    run.step("Rebuilt into a scratch view", f"{scratch.name}: {plural(folded, 'position')} folded")
    live = {r.view_id: r for r in app.store.view_rows(view_name)}
    rebuilt = {r.view_id: r for r in app.store.view_rows(scratch.name)}
    differences = [
        {
            "view_id": i,
            "live": live[i].payload if i in live else None,
            "rebuilt": rebuilt[i].payload if i in rebuilt else None,
        }
        for i in sorted(set(live) | set(rebuilt))
        if (live[i].payload if i in live else None)
        != (rebuilt[i].payload if i in rebuilt else None)
    ]
    run.step(
        "Compared with the live view",
        f"{plural(len(differences), 'row')} {'differs' if len(differences) == 1 else 'differ'}",
        differences=differences,
    )
    app.rebuild(view_name)
    again = {r.view_id: r.payload for r in app.store.view_rows(view_name)}
    run.step(
        "The live view is rebuilt",
        "no drift left" if again == {i: r.payload for i, r in rebuilt.items()} else "still differs",
        equal=again == {i: r.payload for i, r in rebuilt.items()},
    )
    run.conclusion = "A view can always be thrown away and rebuilt from the events."
    return run


def _nudge(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + " (damaged)"
    return None


def run_upcast(app: Application, limit: int = 100_000) -> LabRun:
    run = LabRun("upcast")
    found: tuple[SerializedEvent, SerializedEvent, list[str]] | None = None
    after = 0
    while found is None and after < limit:
        rows = app.store.read_events(after_position=after, limit=1000)
        for stored in rows:
            upcast, chain = app.codec.upcast(stored)
            if chain:
                found = (stored, upcast, chain)
                break
        if len(rows) < 1000:
            break
        after = rows[-1].position or after
    if found is None:
        run.step(
            "No stored event needs an upcaster", "every stored event is at its current version"
        )
        return run
    stored, upcast, chain = found
    envelope = app.codec.decode(stored)
    # The version the event class declares ("2.0"), not the upcasters' normalised "2.0.0".
    current = type(envelope.payload).event_version
    run.step(
        "A stored event at an old version",
        f"position {stored.position}: {stored.event_type} {stored.event_version}",
        payload=stored.payload,
        version=stored.event_version,
    )
    run.step(
        "The upcasters applied",
        f"{stored.event_type} {stored.event_version} → {current}",
        applied=plural(len(chain), "upcaster"),
    )
    run.step(
        "Read as the current version",
        f"{envelope.event_type} {current}",
        payload=upcast.payload,
        version=current,
        event=envelope.payload.to_tagged(),
    )
    run.conclusion = "The stored row is unchanged: only what is read is upcast."
    return run


def run_consistency(
    app: Application, aggregate_id: str, command: Command, view_name: str, delay: float = 0.0
) -> LabRun:
    run = LabRun("consistency")
    before = app.store.load_view(view_name, aggregate_id)
    sync = app.framework(app.aggregate_type_of(command))
    sync.execute(aggregate_id, command)
    after_sync = app.store.load_view(view_name, aggregate_id)
    run.step(
        "Synchronous dispatcher",
        "the view is updated in the commit: read right after the command",
        version_before=before.version if before else 0,
        version_after=after_sync.version if after_sync else 0,
        stale=(after_sync.version if after_sync else 0) == (before.version if before else 0),
    )
    deferred = CqrsFramework(
        sync.aggregate,
        app.store,
        app.services,
        codec=app.codec,
        dispatcher=ProjectionDispatcher(app.codec),  # commits without touching the views
        cache_size=0,
    )
    deferred.execute(aggregate_id, command)
    stale = app.store.load_view(view_name, aggregate_id)
    lag = app.dispatcher.lag(app.store).get(view_name, 0)
    run.step(
        "Asynchronous dispatcher: read right after the command",
        "the events are committed, the view is not updated yet",
        version=stale.version if stale else 0,
        lag=lag,
        stale=True,
    )
    if delay:
        time.sleep(delay)
    app.dispatcher.catch_up(app.store)
    fresh = app.store.load_view(view_name, aggregate_id)
    run.step(
        "The dispatcher catches up",
        "the same read now sees the command",
        version=fresh.version if fresh else 0,
        lag=app.dispatcher.lag(app.store).get(view_name, 0),
    )
    run.conclusion = "Eventually consistent: stale for a while, then right."
    return run


Node = dict[str, Any]


def run_causation(
    app: Application,
    aggregate_id: str,
    command: Command,
    policy: Policy,
    depth: int = 3,
) -> LabRun:
    """Execute a command, then what the policy reacts with, breadth first, and draw the tree."""
    run = LabRun("causation")
    root: Node = {
        "kind": "command",
        "aggregate_id": aggregate_id,
        "command": command.to_tagged(),
        "children": [],
    }
    envelopes = app.execute(aggregate_id, command, {"origin": "lab"})
    correlation = envelopes[0].metadata["correlation_id"] if envelopes else ""
    frontier: list[tuple[Node, list[EventEnvelope]]] = [(root, envelopes)]
    for _ in range(depth):
        following: list[tuple[Node, list[EventEnvelope]]] = []
        for node, produced in frontier:
            node["command_id"] = produced[0].metadata.get("command_id") if produced else None
            for envelope in produced:
                event_node: Node = {
                    "kind": "event",
                    "aggregate_id": envelope.aggregate_id,
                    "sequence": envelope.sequence,
                    "position": envelope.position,
                    "event": envelope.payload.to_tagged(),
                    "children": [],
                }
                node["children"].append(event_node)
                cause = f"{envelope.aggregate_type}/{envelope.aggregate_id}#{envelope.sequence}"
                for reaction in policy.react(envelope):
                    child: Node = {
                        "kind": "command",
                        "aggregate_id": reaction.aggregate_id,
                        "command": reaction.command.to_tagged(),
                        "causation_id": cause,
                        "children": [],
                    }
                    event_node["children"].append(child)
                    try:
                        result = app.execute(
                            reaction.aggregate_id,
                            reaction.command,
                            {"correlation_id": correlation, "causation_id": cause},
                            reaction.aggregate_type,
                        )
                    except Exception as e:  # a reaction the domain refuses is part of the story
                        child["error"] = str(e)
                        continue
                    following.append((child, result))
        if not following:
            break
        frontier = following
    for node, produced in frontier:
        node.setdefault("command_id", produced[0].metadata.get("command_id") if produced else None)
    run.step(policy.name, policy.description, tree=root, correlation_id=correlation)
    run.conclusion = "Every command of the tree shares one correlation id; each names its cause."
    return run


RUNNERS: dict[str, Callable[..., LabRun]] = {
    "conflict": run_conflict,
    "snapshot": run_snapshot,
    "drift": run_drift,
    "upcast": run_upcast,
    "consistency": run_consistency,
    "causation": run_causation,
}
