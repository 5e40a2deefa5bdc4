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
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import Any

from tui_es.es.codec import EventCodec
from tui_es.es.envelope import EventEnvelope, SerializedEvent, StoredRow
from tui_es.es.store import EventStore, StoreTransaction, ViewRow
from tui_es.es.views import Query, ViewProjection

Progress = Callable[[int, int], None]  # (position reached, head position)

log = logging.getLogger("tui_es.dispatcher")


def _with_end(chunks: Iterator[list[StoredRow]]) -> Iterator[list[StoredRow] | None]:
    """The chunks, then None: the fold's signal that the last aggregate is complete."""
    yield from chunks
    yield None


class ProjectionDispatcher:
    def __init__(
        self,
        codec: EventCodec,
        views: Sequence[ViewProjection] = (),
        queries: Sequence[Query] = (),
        batch_size: int = 5000,
    ) -> None:
        names = [v.name for v in views] + [q.name for q in queries]
        if len(set(names)) != len(names):
            raise ValueError(f"projection names must be unique: {names}")
        self.codec = codec
        self.views = list(views)
        self.queries = list(queries)
        self.batch_size = batch_size
        self.query_errors: list[tuple[str, str]] = []  # (query name, error), newest last

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
    ) -> list[dict[str, Any]]:
        """Fold the committed events (and any backlog) into every view, in this transaction.

        With ``explain`` it returns, per view, the rows it touched before and
        after and how its checkpoint moved (the command trace shows this).
        """
        report: list[dict[str, Any]] = []
        if not committed or not self.views:
            return report
        first = committed[0].position
        last = committed[-1].position
        assert first is not None and last is not None
        for view in self.views:
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
                view.apply(tx, decoded)  # the usual case: just this commit's events
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
    ) -> None:
        """Fold the events after ``after`` up to ``until`` into the view; move its checkpoint."""
        if view.per_aggregate and until - after > self.batch_size:
            self._fold_by_aggregate(tx, view, after, until, progress)
        else:
            reached = after
            while reached < until:
                rows = tx.read_range(reached, until, self.batch_size)
                if not rows:
                    break
                wanted = [r for r in rows if view.interested(r.aggregate_type)]
                view.apply(tx, self.codec.decode_all(wanted))
                reached = rows[-1].position or until
                if progress is not None:
                    progress(reached, until)
        tx.set_checkpoint(view.name, until)

    def _fold_by_aggregate(
        self,
        tx: StoreTransaction,
        view: ViewProjection,
        after: int,
        until: int,
        progress: Progress | None,
    ) -> None:
        """Fold aggregate by aggregate: each view row is loaded and saved once.

        Only for views whose rows each follow one aggregate, where an
        aggregate's own order is all that matters.
        """
        pending: list[StoredRow] = []
        done = 0
        chunks = tx.iter_rows_by_aggregate(
            after, until, sorted(view.aggregate_types), self.batch_size
        )
        for rows in _with_end(chunks):
            finished = rows is None
            if rows:
                pending.extend(rows)
            if finished:
                complete, pending = pending, []
            else:
                # the last aggregate may go on in the next chunk: keep its rows back
                cut = len(pending)
                while cut > 0 and pending[cut - 1][:2] == pending[-1][:2]:
                    cut -= 1
                complete, pending = pending[:cut], pending[cut:]
            envelopes = self.codec.decode_rows(complete)
            for _, group in groupby(envelopes, key=lambda e: (e.aggregate_type, e.aggregate_id)):
                view.apply(tx, group)
            done += len(complete)
            if progress is not None and (complete or finished):
                # rows of other aggregate types are not read: the last report says "all"
                progress(until if finished else min(until - 1, after + done), until)

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
        if view.per_aggregate and head - start > self.batch_size:
            # one transaction: the checkpoint can only move once every aggregate is folded
            with store.transaction() as tx:
                checkpoint = tx.checkpoint(view.name)
                head = tx.head_position()
                self._fold(tx, view, checkpoint, head, progress)
            return head - start
        reached = start
        while reached < head:
            # One transaction per batch: rows and checkpoint move together, and
            # writers are never held off for long.
            with store.transaction() as tx:
                checkpoint = tx.checkpoint(view.name)
                top = min(tx.head_position(), checkpoint + self.batch_size)
                if top <= checkpoint:
                    break
                self._fold(tx, view, checkpoint, top)
                reached = top
            head = max(head, reached)
            if progress is not None:
                progress(reached, head)
        return reached - start

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
