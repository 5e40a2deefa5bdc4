"""``tui-es upgrade-store``: make a cqrs-es database writable by tui-es as well.

Explicit, never automatic. It adds ``position`` and ``recorded_at`` to
``events`` and fills them in the documented order (:mod:`tui_es.store.legacy`),
adds tui-es's own tables, records the existing views as up to date, and
installs a trigger that gives a position (and a time) to every event a
cqrs-es writer inserts naming only its seven columns. The trigger takes the
same lock as tui-es's writers, so the global order stays gapless with both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, insert, inspect, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from tui_es.es.errors import DatabaseConnectionError
from tui_es.store.legacy import derive_order
from tui_es.store.schema import CHECKPOINTS, EVENTS, HEAD, METADATA
from tui_es.store.sql import NOTIFY_CHANNEL, plain_engine
from tui_es.store.url import redact, resolve_url

TRIGGER = "events_assign_position"


@dataclass
class UpgradeReport:
    events_numbered: int
    views_marked: list[str]
    already_upgraded: bool


def _trigger_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
  IF NEW.position IS NULL THEN
    UPDATE events_head SET position = position + 1 WHERE id = 1 RETURNING position INTO NEW.position;
  END IF;
  IF NEW.recorded_at IS NULL THEN
    NEW.recorded_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"');
  END IF;
  PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.position::text);
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON events",
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
        ]
    if dialect in ("mysql", "mariadb"):
        return [
            f"DROP TRIGGER IF EXISTS {TRIGGER}",
            f"""CREATE TRIGGER {TRIGGER} BEFORE INSERT ON events FOR EACH ROW
BEGIN
  IF NEW.position IS NULL THEN
    UPDATE events_head SET position = LAST_INSERT_ID(position + 1) WHERE id = 1;
    SET NEW.position = LAST_INSERT_ID();
  END IF;
  IF NEW.recorded_at IS NULL THEN
    SET NEW.recorded_at = DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f+00:00');
  END IF;
END""",
        ]
    # SQLite cannot change NEW in a BEFORE trigger: number the row right after it lands.
    # Its writers hold the database's only write lock, so the maximum is the head.
    return [
        f"DROP TRIGGER IF EXISTS {TRIGGER}",
        f"""CREATE TRIGGER {TRIGGER} AFTER INSERT ON events FOR EACH ROW WHEN NEW.position IS NULL
BEGIN
  UPDATE events SET
    position = (SELECT COALESCE(MAX(position), 0) + 1 FROM events),
    recorded_at = COALESCE(NEW.recorded_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00')
  WHERE rowid = NEW.rowid;
END""",
    ]


def _add_columns(conn: Connection, dialect: str) -> None:
    big = "BIGINT" if dialect != "sqlite" else "INTEGER"
    conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN position {big} NULL")
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN recorded_at VARCHAR(40) NULL")


def _number_events(conn: Connection) -> int:
    """Give positions to the rows without one, in the derived order, after any given already.

    Normally that is every row; after an upgrade interrupted on a server whose
    DDL is not transactional (MySQL), it is the rest.
    """
    top = int(conn.execute(select(func.coalesce(func.max(EVENTS.c.position), 0))).scalar_one())
    rows = conn.execute(
        select(
            EVENTS.c.aggregate_type, EVENTS.c.aggregate_id, EVENTS.c.sequence, EVENTS.c.metadata
        ).where(EVENTS.c.position.is_(None))
    )
    ordered = derive_order((r[0], r[1], r[2], r[3]) for r in rows)
    params = [
        {"t": t, "i": i, "s": s, "p": position, "r": time or None}
        for position, ((t, i, s), time) in enumerate(ordered, start=top + 1)
    ]
    if params:
        statement = (
            update(EVENTS)
            .where(
                EVENTS.c.aggregate_type == bindparam("t"),
                EVENTS.c.aggregate_id == bindparam("i"),
                EVENTS.c.sequence == bindparam("s"),
            )
            .values(position=bindparam("p"), recorded_at=bindparam("r"))
        )
        conn.execute(statement, params)
    return len(params)


def upgrade(location: str, view_names: Iterable[str]) -> UpgradeReport:
    """Upgrade the database at ``location``; running it again changes nothing."""
    url = resolve_url(location)
    try:
        return _upgrade(url, view_names)
    except SQLAlchemyError as e:
        detail = str(getattr(e, "orig", None) or e)
        raise DatabaseConnectionError(f"{redact(url)}: {detail}") from e


def _upgrade(url: URL, view_names: Iterable[str]) -> UpgradeReport:
    engine = plain_engine(url)
    dialect = engine.dialect.name
    numbered = 0
    marked: list[str] = []
    try:
        tables = set(inspect(engine).get_table_names())
        columns = (
            {c["name"] for c in inspect(engine).get_columns("events")}
            if "events" in tables
            else set()
        )
        already = "position" in columns
        if "events" in tables and not already:
            with engine.begin() as conn:
                _add_columns(conn, dialect)
        if "events" in tables:
            with engine.begin() as conn:
                numbered = _number_events(conn)
        METADATA.create_all(engine)  # whatever is missing: events, snapshots, checkpoints, head
        with engine.begin() as conn:
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("events")}
            if "events_position" not in indexes:
                conn.exec_driver_sql("CREATE UNIQUE INDEX events_position ON events (position)")
            head = int(
                conn.execute(select(func.coalesce(func.max(EVENTS.c.position), 0))).scalar_one()
            )
            if conn.execute(select(HEAD.c.position).where(HEAD.c.id == 1)).first() is None:
                conn.execute(insert(HEAD).values(id=1, position=head))
            else:
                conn.execute(update(HEAD).where(HEAD.c.id == 1).values(position=head))
            known = {r[0] for r in conn.execute(select(CHECKPOINTS.c.name))}
            for name in view_names:
                # A view cqrs-es kept holds every event so far: tui-es continues from here.
                if name in tables and name not in known:
                    conn.execute(insert(CHECKPOINTS).values(name=name, position=head))
                    marked.append(name)
        with engine.begin() as conn:
            for statement in _trigger_sql(dialect):
                # PyMySQL formats %-placeholders even without parameters
                conn.exec_driver_sql(
                    statement.replace("%", "%%") if dialect in ("mysql", "mariadb") else statement
                )
    finally:
        engine.dispose()
    return UpgradeReport(numbered, marked, already and numbered == 0)
