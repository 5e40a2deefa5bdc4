"""A domain running on a store: one framework per aggregate type, one dispatcher."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tui_es.es.aggregate import Aggregate
from tui_es.es.codec import EventCodec, check_contiguous
from tui_es.es.dispatcher import Progress, ProjectionDispatcher
from tui_es.es.domain import Domain
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import AggregateError
from tui_es.es.framework import AggregateContext, CqrsFramework, RetryPolicy, parse_time
from tui_es.es.importing import validate_events, validate_lines
from tui_es.es.messages import Command, InvalidMessage
from tui_es.es.replay import AggregateHistory
from tui_es.es.snapshots import SnapshotPolicy
from tui_es.es.store import EventStore
from tui_es.es.trace import CommandTrace
from tui_es.es.views import Query


class Application:
    def __init__(
        self,
        domain: Domain,
        store: EventStore,
        *,
        services: Any = None,
        snapshots: SnapshotPolicy | None = None,
        retry: RetryPolicy | None = None,
        queries: Sequence[Query] = (),
        catch_up: bool = True,
    ) -> None:
        self.domain = domain
        self.store = store
        self.services = domain.make_services() if services is None else services
        self.codec = EventCodec(domain.aggregates, domain.upcasters)
        self.dispatcher = ProjectionDispatcher(self.codec, domain.views, queries)
        self.frameworks: dict[str, CqrsFramework[Any]] = {
            a.aggregate_type: CqrsFramework(
                a,
                store,
                self.services,
                codec=self.codec,
                dispatcher=self.dispatcher,
                snapshots=snapshots,
                retry=retry,
            )
            for a in domain.aggregates
        }
        # the framework that takes each command class seen so far
        self._by_command: dict[type[Command], CqrsFramework[Any]] = {}
        self.catch_up_error: AggregateError | None = None
        self.catch_up_projection: str | None = None
        """The projection the failed catch-up stopped in (None if it did not fail, or unknown)."""
        self.catch_up_problem: str | None = None
        """What went wrong catching up, in one line: where it stopped, and the error."""
        if not store.read_only:
            store.ensure_views(v.name for v in domain.views)
            if catch_up:
                # A log written by another program (or a crash before an
                # after-commit query ran) leaves projections behind: catch up now.
                try:
                    self.dispatcher.catch_up(store)
                except AggregateError as e:
                    # e.g. a row the views cannot decode: commands will name it,
                    # but the log can still be read
                    self._catch_up_failed(e)

    def _catch_up_failed(self, error: AggregateError) -> None:
        self.catch_up_error = error
        where = "the projections could not catch up"
        try:
            head = self.store.head_position()
            checkpoints = self.store.checkpoints()
            lag = self.dispatcher.lag(self.store)
        except Exception:
            pass  # the store cannot be read now: say what is known
        else:
            # The catch-up goes through the projections in this order and stops
            # at the first that fails: those before it reached the head.
            stalled = next((name for name, behind in lag.items() if behind > 0), None)
            if stalled is not None:
                self.catch_up_projection = stalled
                where = f"{stalled} stopped at position {checkpoints.get(stalled, 0)} of {head}"
        self.catch_up_problem = f"{where}: {type(error).__name__}: {error}"

    def framework(self, aggregate_type: str | None = None) -> CqrsFramework[Any]:
        return self.frameworks[self.domain.aggregate(aggregate_type).aggregate_type]

    def parse_command(self, text: str, aggregate_type: str | None = None) -> tuple[str, Command]:
        aggregate, command = self.domain.parse_command(text, aggregate_type)
        return aggregate.aggregate_type, command

    def execute(
        self,
        aggregate_id: str,
        command: Command | str,
        metadata: Mapping[str, str] | None = None,
        aggregate_type: str | None = None,
        *,
        trace: CommandTrace | None = None,
    ) -> list[EventEnvelope]:
        if isinstance(command, str):
            aggregate_type, command = self.parse_command(command, aggregate_type)
        elif aggregate_type is None:
            framework = self._by_command.get(type(command))
            if framework is not None and trace is None:
                return framework.execute(aggregate_id, command, metadata)
            aggregate_type = self.aggregate_type_of(command)
            self._by_command[type(command)] = self.framework(aggregate_type)
        if trace is not None:
            trace.aggregate_type = aggregate_type
            trace.command = command.to_tagged()
        return self.framework(aggregate_type).execute(aggregate_id, command, metadata, trace=trace)

    def trace(
        self,
        aggregate_id: str,
        command: Command | str,
        metadata: Mapping[str, str] | None = None,
        aggregate_type: str | None = None,
    ) -> tuple[CommandTrace, list[EventEnvelope], Exception | None]:
        """Execute and record every step; the outcome is in the trace, errors are returned."""
        trace = CommandTrace(aggregate_type or "", aggregate_id, {})
        try:
            envelopes = self.execute(aggregate_id, command, metadata, aggregate_type, trace=trace)
        except Exception as e:
            if trace.outcome == "running":
                trace.outcome, trace.error = "failed", str(e)
            return trace, [], e
        return trace, envelopes, None

    def aggregate_type_of(self, command: Command) -> str:
        """The aggregate type whose commands include this one."""
        for aggregate in self.domain.aggregates:
            if command.type_name() in aggregate.commands:
                return aggregate.aggregate_type
        known = ", ".join(n for a in self.domain.aggregates for n in a.commands.names())
        raise InvalidMessage(f"unknown command {command.type_name()!r} (known: {known})")

    def load(self, aggregate_id: str, aggregate_type: str | None = None) -> AggregateContext[Any]:
        return self.framework(aggregate_type).load(aggregate_id)

    def history(self, aggregate_id: str, aggregate_type: str | None = None) -> AggregateHistory:
        cls = self.domain.aggregate(aggregate_type)
        return AggregateHistory.load(self.store, self.codec, cls.aggregate_type, aggregate_id)

    def state(
        self,
        aggregate_id: str,
        aggregate_type: str | None = None,
        *,
        version: int | None = None,
        at: str | None = None,
    ) -> tuple[Aggregate, int]:
        """The state after ``version`` events, or as it was at time ``at``; now if neither."""
        cls = self.domain.aggregate(aggregate_type)
        if at is not None:
            # stored times are compared as strings: bring ``at`` to the same spelling
            at = parse_time(at)
            version = self.store.sequence_at_time(cls.aggregate_type, aggregate_id, at)
        framework = self.framework(cls.aggregate_type)
        if version is None:
            context = framework.load(aggregate_id)
            return context.aggregate, context.sequence
        state: Aggregate = cls()
        reached = 0
        if framework.snapshots.uses_snapshots:
            # start from the nearest snapshot at or before the version, if one still fits
            snapshot = self.store.load_snapshot(
                cls.aggregate_type, aggregate_id, max_sequence=version
            )
            restored = framework.restore(snapshot.payload) if snapshot is not None else None
            if snapshot is not None and restored is not None:
                state, reached = restored, snapshot.last_sequence
        rows = self.store.load_rows(cls.aggregate_type, aggregate_id, reached, version)
        check_contiguous(rows, reached)
        for row in rows:
            state.apply(self.codec.decode_row_payload(row))
        return state, (int(rows[-1][2]) if rows else reached)

    def rebuild(
        self, name: str | None = None, from_position: int = 0, progress: Progress | None = None
    ) -> dict[str, int]:
        names = [name] if name else [v.name for v in self.domain.views]
        return {n: self.dispatcher.rebuild(self.store, n, from_position, progress) for n in names}

    def import_lines(self, lines: Iterable[str]) -> list[SerializedEvent]:
        """All or nothing: validate every line, then append them and update views in one transaction."""
        return self._import(validate_lines(lines, self.codec, self.store))

    def import_events(
        self, events: Iterable[SerializedEvent], *, update_views: bool = True
    ) -> list[SerializedEvent]:
        """As ``import_lines``, for events already in memory (their positions are not kept).

        With ``update_views=False`` only the events commit: a bulk load does not
        hold the write lock for the views too. The views stay consistent with
        their checkpoints, behind the log, and catch up on the next command, the
        next open, or ``dispatcher.catch_up``.
        """
        return self._import(validate_events(events, self.codec, self.store), update_views)

    def _import(
        self, events: list[SerializedEvent], update_views: bool = True
    ) -> list[SerializedEvent]:
        if not events:
            return []
        with self.store.transaction() as tx:
            committed = tx.append(events)
            if update_views:
                self.dispatcher.apply_in_transaction(tx, committed)
        if update_views:
            self.dispatcher.dispatch_after_commit(self.store)
        return committed
