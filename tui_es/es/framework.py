"""``CqrsFramework.execute``: load, handle, commit, dispatch (cqrs-es §1.5)."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic

from pydantic import ValidationError

from tui_es.es.aggregate import A, EventSink
from tui_es.es.codec import EventCodec, check_contiguous
from tui_es.es.dispatcher import ProjectionDispatcher
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import (
    AggregateConflict,
    AggregateError,
    DomainError,
    UnexpectedError,
    UserError,
)
from tui_es.es.messages import Command, InvalidMessage
from tui_es.es.snapshots import SerializedSnapshot, SnapshotPolicy
from tui_es.es.store import EventStore, StoreTransaction
from tui_es.es.trace import CommandTrace
from tui_es.es.views import CachedRow


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, so that times sort as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> str:
    """Any RFC 3339 / ISO 8601 time with a zone, normalised by :func:`format_time`."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or +00:00)")
    return format_time(moment)


_second: tuple[int, str] = (0, "")  # the last second formatted, and its text


def utc_now() -> str:
    """Now, as chrono's ``Utc::now().to_rfc3339()`` writes it (RFC 3339, UTC, microseconds).

    Every command takes the time twice; the date and time of day are formatted
    once a second (what ``format_time`` would write, at a third of its cost).
    """
    global _second
    now = time.time_ns() // 1000
    seconds, micros = divmod(now, 1_000_000)
    known, text = _second
    if seconds != known:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)
    return f"{text}.{micros:06d}+00:00"


def new_uuid() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` writes it, in half the time."""
    h = f"{int.from_bytes(os.urandom(16)) & _UUID_CLEAR | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


@dataclass
class AggregateContext(Generic[A]):
    """An aggregate as loaded: its state, its sequence, and how it was rebuilt."""

    aggregate_id: str
    aggregate: A
    sequence: int
    snapshot: SerializedSnapshot | None = None
    snapshot_used: bool = False
    events_read: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """Re-run a command on a fresh load when another writer won the race.

    ``attempts`` counts every run, the first included. Off unless asked for:
    cqrs-es leaves retries to the caller, and so does tui-es by default.
    """

    attempts: int = 3
    backoff_seconds: float = 0.01


class CqrsFramework(Generic[A]):
    """Executes commands for one aggregate type against an event store."""

    def __init__(
        self,
        aggregate: type[A],
        store: EventStore,
        services: Any = None,
        *,
        codec: EventCodec | None = None,
        dispatcher: ProjectionDispatcher | None = None,
        snapshots: SnapshotPolicy | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = new_uuid,
        cache_size: int = 4096,
    ) -> None:
        self.aggregate = aggregate
        self.store = store
        self.services = services
        self.codec = codec or EventCodec([aggregate])
        self.dispatcher = dispatcher or ProjectionDispatcher(self.codec)
        self.snapshots = snapshots or SnapshotPolicy.events_only()
        self.retry = retry
        self.clock = clock
        self.new_id = new_id
        # Aggregates as the last command here left them. A cached aggregate is
        # only a guess at the latest version: if another writer moved on, the
        # commit conflicts and the command runs again on a fresh load.
        self.cache_size = cache_size
        self._cache: OrderedDict[str, AggregateContext[A]] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def aggregate_type(self) -> str:
        return self.aggregate.aggregate_type

    # -- load ---------------------------------------------------------------------------
    def load(self, aggregate_id: str) -> AggregateContext[A]:
        """The aggregate now: its snapshot (if any, and if it still decodes) plus the events after it."""
        aggregate = self.aggregate()
        sequence = 0
        snapshot = None
        snapshot_used = False
        if self.snapshots.uses_snapshots:
            snapshot = self.store.load_snapshot(self.aggregate_type, aggregate_id)
            if snapshot is not None:
                restored = self.restore(snapshot.payload)
                if restored is not None:
                    aggregate = restored
                    sequence = snapshot.last_sequence
                    snapshot_used = True
        rows = self.store.load_rows(self.aggregate_type, aggregate_id, after_sequence=sequence)
        check_contiguous(rows, sequence)
        decode = self.codec.decode_row_payload
        for row in rows:
            aggregate.apply(decode(row))
        if rows:
            sequence = int(rows[-1][2])
        return AggregateContext(
            aggregate_id, aggregate, sequence, snapshot, snapshot_used, len(rows)
        )

    def restore(self, payload: Any) -> A | None:
        """The aggregate a snapshot holds, or None if it no longer fits the aggregate.

        A snapshot must name exactly the aggregate's fields with the right
        types: a snapshot of an older shape is ignored (the events are replayed)
        rather than filled in with defaults.
        """
        if not isinstance(payload, dict) or set(payload) != set(self.aggregate.model_fields):
            return None
        try:
            return self.aggregate.model_validate(payload, strict=True)
        except ValidationError:
            return None

    # -- execute --------------------------------------------------------------------
    def parse_command(self, text: str) -> Command:
        return self.aggregate.commands.parse_json(text)

    def execute(
        self,
        aggregate_id: str,
        command: Command,
        metadata: Mapping[str, str] | None = None,
        *,
        trace: CommandTrace | None = None,
    ) -> list[EventEnvelope]:
        """Run the command; returns the committed envelopes (none if it wrote no event).

        Raises ``UserError`` with the domain's message when the command is
        rejected, ``AggregateConflict`` when another writer committed first (after
        the retries, if a retry policy is set), and the other ``AggregateError``s
        for storage and decoding failures. A failure commits nothing.

        With ``trace``, every step is recorded in it (a traced command always
        loads from the store, so the trace shows the real load).
        """
        meta = self.command_metadata(metadata)
        attempts = self.retry.attempts if self.retry else 1
        for attempt in range(1, attempts + 1):
            try:
                if trace is not None:
                    return self._traced(aggregate_id, command, meta, trace)
                return self._execute_once(aggregate_id, command, meta)
            except AggregateConflict:
                if attempt == attempts:
                    raise
                assert self.retry is not None
                time.sleep(self.retry.backoff_seconds * attempt)
        raise AssertionError("unreachable")

    execute_with_metadata = execute

    def command_metadata(self, metadata: Mapping[str, str] | None) -> dict[str, str]:
        """The caller's entries, plus time, command_id, correlation_id and causation_id."""
        meta: dict[str, str] = {}
        for key, value in (metadata or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InvalidMessage(f"metadata entry {key!r}: keys and values must be strings")
            meta[key] = value
        command_id = meta.get("command_id") or self.new_id()
        meta.setdefault("time", self.clock())
        meta["command_id"] = command_id
        meta.setdefault("correlation_id", command_id)
        meta.setdefault("causation_id", command_id)
        return meta

    def _take_cached(self, aggregate_id: str) -> AggregateContext[A] | None:
        with self._cache_lock:
            return self._cache.pop(aggregate_id, None)

    def _keep(self, context: AggregateContext[A]) -> None:
        if self.cache_size <= 0:
            return
        with self._cache_lock:
            self._cache[context.aggregate_id] = context
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def forget(self, aggregate_id: str | None = None) -> None:
        """Drop cached aggregates (one, or all)."""
        with self._cache_lock:
            if aggregate_id is None:
                self._cache.clear()
            else:
                self._cache.pop(aggregate_id, None)

    def _execute_once(
        self, aggregate_id: str, command: Command, metadata: dict[str, str]
    ) -> list[EventEnvelope]:
        cached = self._take_cached(aggregate_id)
        if cached is not None:
            try:
                return self._run(cached, command, metadata)
            except AggregateConflict:
                pass  # the cached version was stale: try again from the store
        return self._run(self.load(aggregate_id), command, metadata)

    def _traced(
        self, aggregate_id: str, command: Command, metadata: dict[str, str], trace: CommandTrace
    ) -> list[EventEnvelope]:
        self.forget(aggregate_id)
        trace.steps.clear()
        try:
            with trace.step("load") as step:
                context = self.load(aggregate_id)
                step.values.update(
                    snapshot=(
                        {
                            "version": context.snapshot.last_sequence,
                            "number": context.snapshot.current_snapshot,
                        }
                        if context.snapshot_used and context.snapshot is not None
                        else None
                    ),
                    events_read=context.events_read,
                    version=context.sequence,
                    state=context.aggregate.state_json(),
                )
            envelopes = self._run(context, command, metadata, trace)
        except UserError as e:
            trace.outcome, trace.error = "rejected", str(e)
            raise
        except AggregateConflict as e:
            trace.outcome, trace.error = "conflict", str(e)
            raise
        except Exception as e:
            trace.outcome, trace.error = "failed", f"{type(e).__name__}: {e}"
            raise
        trace.outcome = "committed" if envelopes else "no events"
        return envelopes

    def _run(
        self,
        context: AggregateContext[A],
        command: Command,
        metadata: dict[str, str],
        trace: CommandTrace | None = None,
    ) -> list[EventEnvelope]:
        """Handle and commit; the context is kept for the next command only if all went well."""
        if trace is None:
            events = self._handle(context, command)
        else:
            with trace.step("handle") as step:
                try:
                    events = self._handle(context, command)
                except UserError as e:
                    step.values.update(command=command.to_tagged(), error=str(e))
                    raise
                step.values.update(
                    command=command.to_tagged(),
                    events=[e.to_tagged() for e in events],
                    state=context.aggregate.state_json(),
                )
        if not events:
            self._keep(context)
            return []
        envelopes = self.commit(context, events, metadata, trace)
        self._keep(context)
        return envelopes

    def _handle(self, context: AggregateContext[A], command: Command) -> list[Any]:
        """The events the aggregate writes for the command (applied to it already)."""
        sink: EventSink[A] = EventSink(context.aggregate)
        try:
            context.aggregate.handle(command, self.services, sink)
        except DomainError as e:
            raise UserError(e) from e
        except AggregateError:
            raise
        except Exception as e:  # a bug in the domain must not look like a rejection
            raise UnexpectedError(f"{type(e).__name__}: {e}") from e
        return sink.collect()

    def commit(
        self,
        context: AggregateContext[A],
        events: list[Any],
        metadata: dict[str, str],
        trace: CommandTrace | None = None,
    ) -> list[EventEnvelope]:
        """Append the events at the context's version + 1…, snapshot if due, update the views."""
        rows = [
            self.codec.serialize(
                self.aggregate_type, context.aggregate_id, context.sequence + i, e, metadata
            )
            for i, e in enumerate(events, start=1)
        ]
        if trace is not None:
            return self._commit_traced(context, events, rows, trace)
        kept: list[CachedRow] = []
        dispatcher = self.dispatcher
        with self.store.transaction() as tx:
            committed = tx.append(rows)
            snapshot = self._snapshot_if_due(tx, context, committed)
            envelopes = [
                _envelope(row, event) for row, event in zip(committed, events, strict=True)
            ]
            dispatcher.apply_in_transaction(
                tx, committed, envelopes, cache=dispatcher.rows.bind(self.store), kept=kept
            )
        dispatcher.rows.keep(kept)
        self._committed(context, committed, snapshot)
        return envelopes

    def _commit_traced(
        self,
        context: AggregateContext[A],
        events: list[Any],
        rows: list[SerializedEvent],
        trace: CommandTrace,
    ) -> list[EventEnvelope]:
        with trace.step("commit") as step:
            step.values["expected_version"] = context.sequence
            try:
                with self.store.transaction() as tx:
                    committed = tx.append(rows)
                    snapshot = self._snapshot_if_due(tx, context, committed)
                    envelopes = [
                        _envelope(row, event) for row, event in zip(committed, events, strict=True)
                    ]
                    with trace.step("dispatch") as dispatch:
                        dispatch.values["views"] = self.dispatcher.apply_in_transaction(
                            tx, committed, envelopes, explain=True
                        )
            except AggregateConflict:
                step.values["error"] = (
                    f"aggregate conflict: version {context.sequence + 1} was taken by "
                    "another writer since the load"
                )
                raise
            step.values.update(
                sequences=[e.sequence for e in committed],
                positions=[e.position for e in committed],
                recorded_at=committed[-1].recorded_at,
                snapshot=None if snapshot is None else snapshot.last_sequence,
            )
        # the dispatch step ran inside the commit: list it after it
        trace.steps.sort(key=lambda s: _ORDER.get(s.name, 9))
        self._committed(context, committed, snapshot)
        return envelopes

    def _snapshot_if_due(
        self,
        tx: StoreTransaction,
        context: AggregateContext[A],
        committed: list[SerializedEvent],
    ) -> SerializedSnapshot | None:
        if not self.snapshots.due(context.sequence, len(committed)):
            return None
        previous = context.snapshot.current_snapshot if context.snapshot else 0
        snapshot = SerializedSnapshot(
            self.aggregate_type,
            context.aggregate_id,
            context.aggregate.state_json(),
            committed[-1].sequence,
            previous + 1,
        )
        tx.save_snapshot(snapshot)
        return snapshot

    def _committed(
        self,
        context: AggregateContext[A],
        committed: list[SerializedEvent],
        snapshot: SerializedSnapshot | None,
    ) -> None:
        """The context now describes the aggregate as committed; queries outside catch up."""
        context.sequence = committed[-1].sequence
        if snapshot is not None:
            context.snapshot = snapshot
        self.dispatcher.dispatch_after_commit(self.store)


_ORDER = {"load": 0, "handle": 1, "commit": 2, "dispatch": 3}


def _envelope(row: SerializedEvent, event: Any) -> EventEnvelope:
    return EventEnvelope(
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        sequence=row.sequence,
        event_type=row.event_type,
        event_version=row.event_version,
        payload=event,
        metadata=row.metadata,
        position=row.position,
        recorded_at=row.recorded_at,
    )
