"""The tables, as SQLModel models, in cqrs-es's shapes (reference §2).

``events`` keeps cqrs-es's seven columns and primary key, and adds the global
``position`` and ``recorded_at``; ``snapshots`` and each view table are
exactly cqrs-es's. ``projection_checkpoints`` is tui-es's own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    Index,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

from tui_es.es.views import check_identifier
from tui_es.store.types import JsonDocument


class KeyString(TypeDecorator[str]):
    """``varchar(255)`` compared byte for byte, also on MySQL and MariaDB.

    Their default collations fold case, accents and trailing spaces: there,
    "acct", "ACCT" and "acct " would be one aggregate's stream. Strings that
    are keys are bounded so that MySQL can index them (cqrs-es's MySQL schema
    uses varchar(255) for the same columns).
    """

    impl = String(255)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            if getattr(dialect, "is_mariadb", False):
                collation = "utf8mb4_nopad_bin"
            elif (dialect.server_version_info or (8,)) >= (8,):
                collation = "utf8mb4_0900_bin"
            else:
                collation = "utf8mb4_bin"
            return dialect.type_descriptor(
                mysql.VARCHAR(255, charset="utf8mb4", collation=collation)
            )
        return dialect.type_descriptor(String(255))


KEY = KeyString()


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (Index("events_position", "position", unique=True),)

    aggregate_type: str = Field(sa_type=KEY, primary_key=True)
    aggregate_id: str = Field(sa_type=KEY, primary_key=True)
    sequence: int = Field(sa_type=BigInteger, primary_key=True)
    event_type: str = Field(sa_type=Text)
    event_version: str = Field(sa_type=Text)
    payload: dict[str, Any] = Field(sa_type=JsonDocument)
    metadata_: dict[str, Any] = Field(sa_column_kwargs={"name": "metadata"}, sa_type=JsonDocument)
    position: int = Field(sa_type=BigInteger)
    recorded_at: str | None = Field(default=None, sa_type=String(40))


class SnapshotRow(SQLModel, table=True):
    __tablename__ = "snapshots"

    aggregate_type: str = Field(sa_type=KEY, primary_key=True)
    aggregate_id: str = Field(sa_type=KEY, primary_key=True)
    last_sequence: int = Field(sa_type=BigInteger, primary_key=True)
    current_snapshot: int = Field(sa_type=BigInteger)
    payload: dict[str, Any] = Field(sa_type=JsonDocument)


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "projection_checkpoints"

    name: str = Field(sa_type=KEY, primary_key=True)
    position: int = Field(sa_type=BigInteger)


class HeadRow(SQLModel, table=True):
    """The last position given, in a single row (id 1).

    Every write transaction locks this row first, so writers take positions
    one after the other and commit in position order: a reader following the
    log by position never sees position n+1 before n is visible.
    """

    __tablename__ = "events_head"

    id: int = Field(sa_type=SmallInteger, primary_key=True)
    position: int = Field(sa_type=BigInteger)


EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = SnapshotRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS: Table = CheckpointRow.__table__  # type: ignore[attr-defined]
HEAD: Table = HeadRow.__table__  # type: ignore[attr-defined]
METADATA: MetaData = SQLModel.metadata


def view_table(name: str, metadata: MetaData) -> Table:
    """A cqrs-es view table: ``(view_id, version, payload)``, keyed by view_id."""
    check_identifier(name)
    if name in metadata.tables:
        return metadata.tables[name]
    return Table(
        name,
        metadata,
        Column("view_id", KEY, primary_key=True),
        Column("version", BigInteger, nullable=False),
        Column("payload", JsonDocument, nullable=False),
    )
