"""The synchronous projection dispatcher.

Views in the store's database are brought up to date inside the transaction
that commits the events, together with their checkpoint (the last position
applied). A view therefore never sees an event twice and never misses one: a
crash rolls back events, view rows and checkpoint together. If the log grew
behind a view's back (another program wrote to it, or the view is new), the
view first folds that backlog, in the same transaction.

Queries outside the database run after the commit and catch up from their own
checkpoint, which advances after each batch they finish (the envelopes of one
aggregate in a row): after a crash a query may see that batch again, never
miss one. A query that raises cannot fail the command (as in cqrs-es); the
error is logged and kept in ``query_errors``, and the query resumes from its
checkpoint after the next commit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any

from tui_es.es.codec import EventCodec
from tui_es.es.collector import collector_paused
from tui_es.es.envelope import EventEnvelope, SerializedEvent
from tui_es.es.errors import AggregateConflict
from tui_es.es.parallel import FoldWorkers, WorkersUnavailable
from tui_es.es.store import EncodedJson, EventStore, Partition, StoreTransaction, ViewRow
from tui_es.es.views import CachedRow, Query, ViewFolder, ViewProjection, ViewRowCache

Progress = Callable[[int, int], None]  # (position reached, head position)

log = logging.getLogger("tui_es.dispatcher")


class ProjectionDispatcher:
    def __init__(
        self,
        codec: EventCodec,
        views: Sequence[ViewProjection] = (),
        queries: Sequence[Query] = (),
        batch_size: int = 5000,
        working_rows: int = 4096,
        catch_up_stretch: int = 200_000,
        fold_processes: int | None = None,
        parallel_backlog: int = 100_000,
    ) -> None:
        names = [v.name for v in views] + [q.name for q in queries]
        if len(set(names)) != len(names):
            raise ValueError(f"projection names must be unique: {names}")
        self.codec = codec
        self.views = list(views)
        self.queries = list(queries)
        self.batch_size = batch_size
        self.working_rows = working_rows  # view rows a catch-up keeps in memory
        self.catch_up_stretch = catch_up_stretch  # log positions per catch-up transaction
        # A catch-up of at least ``parallel_backlog`` positions folds in this many
        # processes (one per CPU, at most four) where the view and the store allow it
        self.fold_processes = _cpus() if fold_processes is None else max(1, fold_processes)
        self.parallel_backlog = parallel_backlog
        self.last_fold_processes: dict[str, int] = {}  # view -> processes its last catch-up used
        self.query_errors: list[tuple[str, str]] = []  # (query name, error), newest last
        # rows the last commits left, so a command need not read and decode its row again
        self.rows = ViewRowCache()

    def view(self, name: str) -> ViewProjection:
        for view in self.views:
            if view.name == name:
                return view
        known = ", ".join(v.name for v in self.views) or "none"
        raise KeyError(f"unknown view {name!r} (known: {known})")

    # -- inside the commit ---------------------------------------------------------
    def apply_in_transaction(
        self,
        tx: StoreTransaction,
        committed: Sequence[SerializedEvent],
        decoded: Sequence[EventEnvelope] | None = None,
        *,
        explain: bool = False,
        cache: ViewRowCache | None = None,
        kept: list[CachedRow] | None = None,
    ) -> list[dict[str, Any]]:
        """Fold the committed events (and any backlog) into every view, in this transaction.

        With ``explain`` it returns, per view, the rows it touched before and
        after and how its checkpoint moved (the command trace shows this).
        With a ``cache`` (``self.rows`` bound to the store), the usual fold
        starts from cached rows, and the rows it saved are added to ``kept``:
        the caller keeps them in the cache once the transaction committed.
        """
        report: list[dict[str, Any]] = []
        if not committed or not self.views:
            return report
        first = committed[0].position
        last = committed[-1].position
        assert first is not None and last is not None
        for view in self.views:
            if (
                decoded is not None
                and not explain
                and tx.move_checkpoint(view.name, first - 1, last)
            ):
                # the usual case: the view had every event before these
                view.apply(tx, decoded, cache, kept)
                continue
            checkpoint = tx.checkpoint(view.name)
            if checkpoint >= last:
                continue
            touched: list[str] = []
            before: dict[str, ViewRow | None] = {}
            if explain:
                envelopes = decoded if decoded is not None else self.codec.decode_all(committed)
                for envelope in envelopes:
                    view_id = (
                        view.view_id(envelope) if view.interested(envelope.aggregate_type) else None
                    )
                    if view_id is not None and view_id not in before:
                        touched.append(view_id)
                        before[view_id] = tx.load_view(view.name, view_id)
            if decoded is not None and checkpoint == first - 1:
                view.apply(tx, decoded, None if explain else cache, kept)
                tx.set_checkpoint(view.name, last)
            else:
                self._fold(tx, view, checkpoint, last)
            if explain:
                rows = []
                for view_id in touched:
                    old, new = before[view_id], tx.load_view(view.name, view_id)
                    rows.append(
                        {
                            "view_id": view_id,
                            "version_before": old.version if old else 0,
                            "before": old.payload if old else None,
                            "version_after": new.version if new else 0,
                            "after": new.payload if new else None,
                        }
                    )
                report.append(
                    {
                        "view": view.name,
                        "checkpoint": {"before": checkpoint, "after": last},
                        "rows": rows,
                    }
                )
        return report

    def _fold(
        self,
        tx: StoreTransaction,
        view: ViewProjection,
        after: int,
        until: int,
        progress: Progress | None = None,
        folder: ViewFolder | None = None,
        partition: Partition | None = None,
    ) -> ViewFolder:
        """Fold the events after ``after`` up to ``until`` into the view, in log order.

        The rows being folded stay in memory (at most ``working_rows``, the
        least recently touched written out first), so a row is read and written
        about once however its events are spread over the log. The checkpoint
        moves to ``until`` in the same transaction. A ``folder`` (the rows as
        the previous stretch committed them) goes on from where it stood; the
        folder used is returned, for the next stretch.
        """
        self.rows.clear(view.name)  # a backlog or a rebuild moves rows behind the cache
        if folder is None:
            folder = view.folder(tx, self.working_rows)
        folder.tx = tx
        with collector_paused:
            self._fold_rows(tx, view, after, until, progress, folder, partition)
        tx.set_checkpoint(view.name, until)
        return folder

    def _fold_rows(
        self,
        tx: StoreTransaction,
        view: ViewProjection,
        after: int,
        until: int,
        progress: Progress | None,
        folder: ViewFolder,
        partition: Partition | None = None,
    ) -> None:
        types = sorted(view.aggregate_types)
        # not held in a local: a fold that fails must let go of the rows' cursor at once,
        # while the connection is open, not when its traceback is dropped
        for rows in (
            tx.iter_rows(after, until, types, self.batch_size)
            if partition is None
            else tx.iter_rows(after, until, types, self.batch_size, partition)
        ):
            folder.fold(self.codec.iter_decoded(rows))
            if progress is not None:
                progress(int(rows[-1][7] or until), until)
        folder.flush()

    # -- after the commit --------------------------------------------------------------
    def dispatch_after_commit(self, store: EventStore) -> None:
        for query in self.queries:
            self._catch_up_query(store, query)

    def _catch_up_query(self, store: EventStore, query: Query) -> int:
        try:
            return self._feed_query(store, query)
        except Exception as e:
            log.exception("query %s failed; it resumes from its checkpoint", query.name)
            self.query_errors.append((query.name, f"{type(e).__name__}: {e}"))
            del self.query_errors[:-100]
            return 0

    def _feed_query(self, store: EventStore, query: Query) -> int:
        done = 0
        checkpoint = store.checkpoints().get(query.name, 0)
        while True:
            rows = store.read_events(after_position=checkpoint, limit=self.batch_size)
            if not rows:
                return done
            envelopes = self.codec.decode_all(rows)
            for (_, aggregate_id), group in groupby(
                envelopes, key=lambda e: (e.aggregate_type, e.aggregate_id)
            ):
                batch = list(group)
                query.dispatch(aggregate_id, batch)
                checkpoint = batch[-1].position or checkpoint
                with store.transaction() as tx:
                    tx.set_checkpoint(query.name, checkpoint)
                done += len(batch)

    # -- catch-up and rebuild --------------------------------------------------------
    def lag(self, store: EventStore) -> dict[str, int]:
        head = store.head_position()
        checkpoints = store.checkpoints()
        return {
            name: head - checkpoints.get(name, 0)
            for name in [v.name for v in self.views] + [q.name for q in self.queries]
        }

    def catch_up(self, store: EventStore, progress: Progress | None = None) -> dict[str, int]:
        """Bring every projection to the head of the log; returns the positions each moved."""
        moved: dict[str, int] = {}
        for view in self.views:
            moved[view.name] = self._catch_up_view(store, view, progress)
        for query in self.queries:
            moved[query.name] = self._catch_up_query(store, query)
        return moved

    def _catch_up_view(
        self, store: EventStore, view: ViewProjection, progress: Progress | None
    ) -> int:
        start = store.checkpoints().get(view.name, 0)
        head = store.head_position()
        workers = self._fold_workers(store, view, head - start)
        self.last_fold_processes[view.name] = workers.parts if workers else 1
        try:
            return self._catch_up_stretches(store, view, progress, start, head, workers)
        finally:
            if workers is not None:
                workers.close()

    def _catch_up_stretches(
        self,
        store: EventStore,
        view: ViewProjection,
        progress: Progress | None,
        start: int,
        head: int,
        workers: FoldWorkers | None,
    ) -> int:
        report = _Reporter(progress, head)
        reached = start
        # the rows folded so far, as the last stretch committed them
        folder: ViewFolder | None = None
        while reached < head:
            # Rows and checkpoint move together, one transaction per stretch of
            # the log: long enough that a row is seldom written twice, short
            # enough that writers are not held off for long.
            kept = folder is not None or (workers is not None and workers.kept)
            try:
                with store.transaction() as tx:
                    checkpoint = tx.checkpoint(view.name)
                    if checkpoint != reached:
                        # another writer moved the view meanwhile
                        kept, folder = False, None
                        if workers is not None:
                            workers.reset()
                    top = min(tx.head_position(), checkpoint + self.catch_up_stretch)
                    if top <= checkpoint:
                        break
                    if workers is not None:
                        workers.fold(checkpoint, top)
                    folder = self._fold(
                        tx,
                        view,
                        checkpoint,
                        top,
                        report if progress else None,
                        folder,
                        None if workers is None else (0, workers.parts),
                    )
                    if workers is not None:
                        for view_id, version, stored, text in workers.results():
                            tx.save_view(
                                view.name, ViewRow(view_id, version, EncodedJson(text)), stored
                            )
            except AggregateConflict:
                # a kept row was changed behind the catch-up's back (its version moved):
                # the stretch rolled back, and runs again on rows read afresh
                folder = None
                if workers is not None:
                    workers.reset()
                if not kept:
                    raise
                continue
            except WorkersUnavailable as e:
                # the stretch rolled back; it runs again, and the rest, in this process
                log.warning("view %s folds in one process: %s", view.name, e)
                assert workers is not None
                workers.close()
                workers, folder = None, None
                self.last_fold_processes[view.name] = 1
                continue
            if workers is not None:
                workers.committed()
            reached = top
            report.head = head = max(head, store.head_position())
            # rows of other aggregate types are not read: this says "all of the stretch"
            report(reached, head)
        return reached - start

    def _fold_workers(
        self, store: EventStore, view: ViewProjection, backlog: int
    ) -> FoldWorkers | None:
        """Processes for the other partitions of a long catch-up, if it can be split."""
        if (
            self.fold_processes < 2
            or backlog < self.parallel_backlog
            or not view.per_aggregate
            or store.read_only
        ):
            return None
        source_of = getattr(store, "partition_source", None)
        source = source_of() if source_of is not None else None
        if source is None or not FoldWorkers.can_send(source, self.codec, view):
            return None
        try:
            return FoldWorkers(
                source, self.codec, view, self.fold_processes, self.working_rows, self.batch_size
            )
        except WorkersUnavailable as e:
            log.warning("view %s folds in one process: %s", view.name, e)
            return None

    def rebuild(
        self,
        store: EventStore,
        name: str,
        from_position: int = 0,
        progress: Progress | None = None,
    ) -> int:
        """Empty a view and fold the log into it again, from ``from_position`` on."""
        view = self.view(name)
        head = store.head_position()
        if not 0 <= from_position <= head:
            # a checkpoint past the head would make the view skip the next commits
            raise ValueError(f"from_position {from_position} is outside the log (0..{head})")
        with store.transaction() as tx:
            tx.clear_view(view.name)
            tx.set_checkpoint(view.name, from_position)
        return self._catch_up_view(store, view, progress)


def _cpus() -> int:
    """The CPUs this process may run on, at most four (a fold's processes, at most)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(4, usable))


class _Reporter:
    """Progress against the whole catch-up's head, each position reported once."""

    def __init__(self, progress: Progress | None, head: int) -> None:
        self.progress = progress
        self.head = head
        self.last = -1

    def __call__(self, reached: int, _until: int) -> None:
        if self.progress is not None and reached != self.last:
            self.last = reached
            self.progress(reached, self.head)
