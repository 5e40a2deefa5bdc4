"""Synthetic histories of any size, made by running a domain's demo script."""

from __future__ import annotations

from tui_es.es.aggregate import Aggregate, EventSink
from tui_es.es.codec import EventCodec
from tui_es.es.domain import Domain
from tui_es.es.envelope import SerializedEvent


def synthesize(
    domain: Domain, aggregates: int, events_each: int, seed: int = 7
) -> list[SerializedEvent]:
    """Run the domain's demo commands in memory and return the events they produce.

    Every command goes through the aggregate's own ``handle``, so the history
    obeys the domain's rules; a command it rejects is skipped.
    """
    if domain.demo_script is None:
        raise ValueError(f"domain {domain.name!r} has no demo script")
    codec = EventCodec(domain.aggregates, domain.upcasters)
    services = domain.make_services()
    states: dict[tuple[str, str], tuple[Aggregate, int]] = {}
    out: list[SerializedEvent] = []
    for step in domain.demo_script(aggregates, events_each, seed):
        key = (step.aggregate_type, step.aggregate_id)
        state, sequence = states.get(key) or (domain.aggregate(step.aggregate_type)(), 0)
        sink: EventSink[Aggregate] = EventSink(state)
        try:
            state.handle(step.command, services, sink)
        except Exception:
            continue
        command_id = f"{step.aggregate_id}-{sequence + 1}"
        metadata = {
            "time": step.time,
            "command_id": command_id,
            "correlation_id": command_id,
            "causation_id": command_id,
            **step.metadata,
        }
        for event in sink.collect():
            sequence += 1
            row = codec.serialize(step.aggregate_type, step.aggregate_id, sequence, event, metadata)
            out.append(SerializedEvent(**{**row.to_json_dict(), "recorded_at": step.time}))
        states[key] = (state, sequence)
    return out
