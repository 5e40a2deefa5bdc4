"""The lab's parameters and runs, without Textual: what each scenario needs, and running it on a
scratch copy of the store so the real one is never touched.

Everything here reads the domain, never a particular one: the sample commands
come from each command's schema, and the one suggested is the first the
chosen aggregate accepts now (tried on a copy of its state, nothing written).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tui_es.es.aggregate import Aggregate, EventSink
from tui_es.es.application import Application
from tui_es.es.domain import Domain, Policy
from tui_es.es.envelope import EventEnvelope
from tui_es.es.lab import RUNNERS, SCENARIOS, LabRun, Scenario
from tui_es.es.messages import Command, InvalidMessage
from tui_es.store.scratch import scratch_copy
from tui_es.tui.commands.schema import FieldSpec, command_fields

# What each scenario asks for, in the order the screen shows them.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "conflict": ("aggregate", "command"),
    "snapshot": ("aggregate", "command", "interval"),
    "drift": ("view",),
    "upcast": (),
    "consistency": ("aggregate", "command", "view", "delay"),
    "causation": ("aggregate", "command", "policy"),
}
DEFAULT_INTERVAL = 5
DEFAULT_COMMANDS = 12
DEFAULT_DELAY = 0.5
MAX_COMMANDS = 200
MAX_DELAY = 10.0


def scenario(key: str) -> Scenario:
    for s in SCENARIOS:
        if s.key == key:
            return s
    raise KeyError(key)


class LabInputError(ValueError):
    """A parameter the scenario cannot run with; the message says which and why."""


@dataclass(frozen=True)
class LabRequest:
    """Everything one run needs, as typed in the screen (checked by ``arguments``)."""

    scenario: str
    aggregate_type: str | None = None
    aggregate_id: str = ""
    command_json: str = ""
    interval: str = str(DEFAULT_INTERVAL)
    commands: str = str(DEFAULT_COMMANDS)
    view: str | None = None
    delay: str = str(DEFAULT_DELAY)
    policy: str | None = None


@dataclass(frozen=True)
class LabResult:
    request: LabRequest
    run: LabRun
    scratch_head_before: int
    scratch_head_after: int
    real_head: int


def _positive_int(text: str, what: str, maximum: int) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise LabInputError(f"{what}: {text.strip()!r} is not a whole number") from None
    if not 1 <= value <= maximum:
        raise LabInputError(f"{what}: from 1 to {maximum}")
    return value


def parse_command(application: Application, request: LabRequest) -> Command:
    text = request.command_json.strip()
    if not text:
        raise LabInputError('command: type one as JSON, e.g. {"Name": {"field": 1.0}}')
    try:
        _, command = application.parse_command(text, request.aggregate_type)
    except InvalidMessage as e:
        raise LabInputError(f"command: {e}") from None
    return command


def policy_named(domain: Domain, name: str | None) -> Policy:
    for policy in domain.policies:
        if policy.name == name or name is None:
            return policy
    if not domain.policies:
        raise LabInputError("this domain has no policy: no command ever causes another")
    raise LabInputError(f"unknown policy {name!r}")


def arguments(application: Application, request: LabRequest) -> dict[str, Any]:
    """The runner's keyword arguments for the request, or ``LabInputError``."""
    wanted = PARAMETERS[request.scenario]
    kwargs: dict[str, Any] = {}
    domain = application.domain
    if "aggregate" in wanted:
        if not request.aggregate_id.strip():
            raise LabInputError(
                "aggregate id: pick one (the store has none yet? execute a command)"
            )
        kwargs["aggregate_id"] = request.aggregate_id.strip()
    if "command" in wanted:
        kwargs["command"] = parse_command(application, request)
    if "interval" in wanted:
        kwargs["interval"] = _positive_int(request.interval, "snapshot interval", 1000)
        kwargs["commands"] = _positive_int(request.commands, "commands", MAX_COMMANDS)
    if "view" in wanted:
        names = [v.name for v in domain.views]
        if not names:
            raise LabInputError("this domain has no view")
        view = request.view if request.view in names else names[0]
        kwargs["view_name"] = view
    if "delay" in wanted:
        try:
            delay = float(request.delay.strip() or 0)
        except ValueError:
            raise LabInputError(f"delay: {request.delay.strip()!r} is not a number") from None
        if not 0 <= delay <= MAX_DELAY:
            raise LabInputError(f"delay: from 0 to {MAX_DELAY:g} seconds")
        kwargs["delay"] = delay
    if "policy" in wanted:
        kwargs["policy"] = policy_named(domain, request.policy)
    return kwargs


def run_on_scratch(application: Application, request: LabRequest) -> LabResult:
    """Copy the store to a temporary SQLite file, run the scenario there, throw the copy away."""
    kwargs = arguments(application, request)
    domain = application.domain
    with tempfile.TemporaryDirectory(prefix="tui-es-lab-") as folder:
        scratch = scratch_copy(application.store, [v.name for v in domain.views], Path(folder))
        try:
            lab = Application(domain, scratch)
            before = scratch.head_position()
            run = RUNNERS[request.scenario](lab, **kwargs)
            after = scratch.head_position()
        finally:
            scratch.close()
    return LabResult(request, run, before, after, application.store.head_position())


# -- a command to suggest ---------------------------------------------------------------------------
_SAMPLES: dict[str, Any] = {
    "number": 1.0,
    "integer": 1,
    "boolean": False,
    "string": "lab",
    "json": None,
}


def sample_value(spec: FieldSpec) -> Any:
    if spec.kind == "choice":
        return spec.choices[0] if spec.choices else None
    return _SAMPLES[spec.kind]


def sample_commands(aggregate: type[Aggregate]) -> Iterator[Command]:
    """One command of each type, its required fields filled with small samples (1.0, "lab"…).

    A type whose samples its own validation refuses is left out; the fewer text
    fields a command needs, the earlier it comes.
    """
    samples: list[tuple[int, Command]] = []
    for model in aggregate.commands.types.values():
        required = [s for s in command_fields(model) if s.required]
        body = {s.name: sample_value(s) for s in required}
        try:
            command = model.model_validate_json(json.dumps(body))
        except ValidationError:
            continue
        samples.append((sum(s.kind == "string" for s in required), command))
    # A text field usually names something (an id, a check number) that "lab" only stands in
    # for: the commands that need fewer of them come first (a deposit before an account opening).
    for _, command in sorted(samples, key=lambda pair: pair[0]):
        yield command


def try_command(
    application: Application, aggregate_type: str, aggregate_id: str, command: Command
) -> list[EventEnvelope] | None:
    """The events the aggregate would emit now, or None if it rejects the command.

    The aggregate is loaded and handles the command in memory; nothing is
    committed (the domain's services are called, as a real command would).
    """
    framework = application.framework(aggregate_type)
    try:
        context = framework.load(aggregate_id)
        sink: EventSink[Any] = EventSink(context.aggregate)
        context.aggregate.handle(command, framework.services, sink)
    except Exception:
        return None
    return [
        EventEnvelope(
            aggregate_type,
            aggregate_id,
            context.sequence + index,
            type(event).type_name(),
            "",
            event,
        )
        for index, event in enumerate(sink.collect(), start=1)
    ]


def suggest_command(
    application: Application,
    aggregate_type: str,
    aggregate_id: str,
    *,
    policy: Policy | None = None,
    preferred: Sequence[Command] = (),
) -> Command | None:
    """The first of ``preferred`` then the samples that the aggregate accepts and that emits events.

    With a policy, one whose events the policy reacts to comes first, so the
    causation tree has branches. None if the aggregate accepts none of them.
    """
    aggregate = application.domain.aggregate(aggregate_type)
    candidates = [c for c in preferred if type(c).type_name() in aggregate.commands]
    candidates += list(sample_commands(aggregate))
    accepted: list[Command] = []
    for command in candidates:
        events = try_command(application, aggregate_type, aggregate_id, command)
        if not events:
            continue
        if policy is None:
            return command
        if any(_reacts(policy, e) for e in events):
            return command
        accepted.append(command)
    return accepted[0] if accepted else None


def _reacts(policy: Policy, envelope: EventEnvelope) -> bool:
    try:
        return bool(policy.react(envelope))
    except Exception:
        return False


def command_json(command: Command) -> str:
    return json.dumps(command.to_tagged(), ensure_ascii=False)
