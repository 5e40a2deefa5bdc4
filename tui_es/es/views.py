"""Queries and views: what reads the committed events (cqrs-es §1.9, §1.10)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tui_es.es.envelope import EventEnvelope
from tui_es.es.store import StoreTransaction, ViewRow

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

    def apply(self, tx: StoreTransaction, envelopes: Iterable[EventEnvelope]) -> int:
        """Fold the envelopes into their rows and save each touched row once."""
        touched: dict[str, tuple[View, int, int]] = {}
        applied = 0
        for envelope in envelopes:
            if envelope.aggregate_type not in self.aggregate_types:
                continue
            view_id = self.view_id(envelope)
            if view_id is None:
                continue
            entry = touched.get(view_id)
            if entry is None:
                row = tx.load_view(self.name, view_id)
                if row is None:
                    entry = (self.view(), 0, 0)
                else:
                    entry = (self.decode(row), row.version, row.version)
            view, version, original = entry
            view.update(envelope)
            touched[view_id] = (view, version + 1, original)
            applied += 1
        for view_id, (view, version, original) in touched.items():
            row = ViewRow(view_id, version, view.model_dump(mode="json"))
            tx.save_view(self.name, row, expected_version=original)
        return applied
