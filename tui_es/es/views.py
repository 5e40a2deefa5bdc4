"""Queries and views: what reads the committed events (cqrs-es §1.9, §1.10)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tui_es.es.envelope import EventEnvelope
from tui_es.es.errors import AggregateConflict
from tui_es.es.store import PartitionReader, StoreTransaction, ViewRow

_IDENTIFIER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def check_identifier(name: str) -> str:
    """View names become table names, so they are plain lower-case identifiers."""
    if not name or len(name) > 60 or not set(name) <= _IDENTIFIER or name[0].isdigit():
        raise ValueError(
            f"invalid view name {name!r}: use 1-60 lower-case letters, digits and '_', "
            "not starting with a digit"
        )
    return name


class Query(Protocol):
    """Receives the envelopes of each commit, after it (cqrs-es's ``Query``).

    It runs outside the store's transaction; its checkpoint is kept in the
    store, so after a crash it catches up from the last position it finished.
    """

    name: str

    def dispatch(self, aggregate_id: str, envelopes: Sequence[EventEnvelope]) -> None: ...


class View(BaseModel):
    """A read model built by folding envelopes; its fields are the stored payload."""

    model_config = ConfigDict(extra="ignore")

    def update(self, envelope: EventEnvelope) -> None:
        raise NotImplementedError


def by_aggregate_id(envelope: EventEnvelope) -> str | None:
    return envelope.aggregate_id


@dataclass(frozen=True)
class ViewProjection:
    """A view kept in the event store's database, updated in the commit's transaction.

    ``view_id`` maps an envelope to the row it updates (cqrs-es: always the
    aggregate id); returning None skips the envelope. The row's version counts
    the events folded into it, so a rebuild gives the same rows as live updates.
    """

    name: str
    view: type[View]
    aggregate_types: frozenset[str]
    view_id: Callable[[EventEnvelope], str | None] = by_aggregate_id
    description: str = ""
    key_label: str = field(default="view_id")

    def __post_init__(self) -> None:
        check_identifier(self.name)

    @property
    def per_aggregate(self) -> bool:
        """Each row follows exactly one aggregate, so it can be built aggregate by aggregate."""
        return self.view_id is by_aggregate_id

    def interested(self, aggregate_type: str) -> bool:
        return aggregate_type in self.aggregate_types

    def decode(self, row: ViewRow) -> View:
        return self.view.model_validate(row.payload)

    def apply(
        self,
        tx: StoreTransaction,
        envelopes: Iterable[EventEnvelope],
        cache: ViewRowCache | None = None,
        kept: list[CachedRow] | None = None,
    ) -> int:
        """Fold the envelopes into their rows and save each touched row once.

        With a ``cache``, rows the last commits left there are used instead of
        being read and decoded again; the store's compare-and-set on the version
        tells whether one went stale, and then the row is read and folded again.
        The rows saved are added to ``kept``, for the caller to put back in the
        cache once the transaction has committed.
        """
        touched: dict[str, TouchedRow] = {}
        applied = 0
        for envelope in envelopes:
            if envelope.aggregate_type not in self.aggregate_types:
                continue
            view_id = self.view_id(envelope)
            if view_id is None:
                continue
            entry = touched.get(view_id)
            if entry is None:
                cached = cache.take(self.name, view_id) if cache is not None else None
                if cached is not None:
                    entry = TouchedRow(cached[0], cached[1], cached[1], [])
                else:
                    entry = self.load_row(tx, view_id)
                touched[view_id] = entry
            entry.view.update(envelope)
            entry.version += 1
            if entry.folded is not None:
                entry.folded.append(envelope)
            applied += 1
        for view_id, entry in touched.items():
            try:
                self._save(tx, view_id, entry)
            except AggregateConflict:
                if entry.folded is None:
                    raise
                # the cached row was stale: fold this commit's envelopes into the stored one
                fresh = self.load_row(tx, view_id)
                for envelope in entry.folded:
                    fresh.view.update(envelope)
                    fresh.version += 1
                entry = fresh
                self._save(tx, view_id, entry)
            if kept is not None:
                kept.append((self.name, view_id, entry.view, entry.version))
        return applied

    def folder(self, tx: StoreTransaction, working_rows: int) -> ViewFolder:
        return ViewFolder(self, tx, working_rows)

    def load_row(self, source: StoreTransaction | PartitionReader, view_id: str) -> TouchedRow:
        """The stored row, decoded, or a new one (version 0) if there is none."""
        row = source.load_view(self.name, view_id)
        if row is None:
            return TouchedRow(self.view(), 0, 0, None)
        return TouchedRow(self.decode(row), row.version, row.version, None)

    def _save(self, tx: StoreTransaction, view_id: str, entry: TouchedRow) -> None:
        row = ViewRow(view_id, entry.version, entry.view)
        tx.save_view(self.name, row, expected_version=entry.original)


@dataclass
class TouchedRow:
    """A view row during one fold: its model, versions, and (if cached) what was folded in.

    ``original`` is the version the store holds (the compare-and-set's expectation).
    """

    view: View
    version: int
    original: int
    folded: list[EventEnvelope] | None


class ViewFolder:
    """Folds envelopes in order, keeping the rows it touches in memory until ``flush``.

    At most ``working_rows`` rows are kept: past that the least recently
    touched one is written out (and read again if an envelope needs it later).
    A row is written only if an envelope moved it since it was read or last
    written. After a flush that committed, the kept rows are what the store
    holds, so a catch-up folds its next stretch of the log in the same folder
    (``tx`` set to the next transaction) instead of reading them again.
    """

    def __init__(self, projection: ViewProjection, tx: StoreTransaction, working_rows: int) -> None:
        self.projection = projection
        self.tx = tx
        self.working_rows = max(1, working_rows)
        self.rows: OrderedDict[str, TouchedRow] = OrderedDict()

    def fold(self, envelopes: Iterable[EventEnvelope]) -> None:
        projection = self.projection
        types = projection.aggregate_types
        view_id_of = None if projection.per_aggregate else projection.view_id
        rows = self.rows
        get, to_end = rows.get, rows.move_to_end
        for envelope in envelopes:
            if envelope.aggregate_type not in types:
                continue
            view_id = envelope.aggregate_id if view_id_of is None else view_id_of(envelope)
            if view_id is None:
                continue
            entry = get(view_id)
            if entry is None:
                entry = rows[view_id] = projection.load_row(self.tx, view_id)
                if len(rows) > self.working_rows:
                    self._write(*rows.popitem(last=False))
            else:
                to_end(view_id)
            entry.view.update(envelope)
            entry.version += 1

    def flush(self) -> None:
        for view_id, entry in self.rows.items():
            self._write(view_id, entry)

    def _write(self, view_id: str, entry: TouchedRow) -> None:
        if entry.version != entry.original:  # else the store holds the row as it is here
            self.projection._save(self.tx, view_id, entry)
            entry.original = entry.version


CachedRow = tuple[str, str, View, int]  # (view name, view_id, the row's model, its version)


class ViewRowCache:
    """View rows as the last commits left them, decoded, keyed by (view, view_id).

    A row is taken out while a commit folds into it and put back only after
    the commit succeeded, so a rolled-back fold never stays here. A kept row is
    only a guess at the stored one: the version compare-and-set in ``save_view``
    catches a row another writer (or a rebuild) moved.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._rows: OrderedDict[tuple[str, str], tuple[View, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._store: object = None

    def bind(self, store: object) -> ViewRowCache:
        """The cache for this store's rows: another store's rows are dropped first."""
        with self._lock:
            if self._store is not store:
                self._rows.clear()
                self._store = store
        return self

    def take(self, view: str, view_id: str) -> tuple[View, int] | None:
        with self._lock:
            return self._rows.pop((view, view_id), None)

    def keep(self, rows: Iterable[CachedRow]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            for view, view_id, model, version in rows:
                self._rows[(view, view_id)] = (model, version)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self, view: str | None = None) -> None:
        with self._lock:
            if view is None:
                self._rows.clear()
            else:
                for key in [k for k in self._rows if k[0] == view]:
                    del self._rows[key]
