"""The SQL of the hot paths, written once and rendered in each driver's parameter style.

Commands, loads and log reads run these through the driver's own cursor:
SQLAlchemy's statement machinery costs more than SQLite itself on a
one-event commit. Table names are fixed, or validated identifiers (views).
"""

from __future__ import annotations

from tui_es.es.views import check_identifier

EVENT_COLUMNS = (
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, "
    "position, recorded_at"
)


class Statements:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.placeholder = "?" if dialect == "sqlite" else "%s"
        lock = "" if dialect == "sqlite" else " FOR UPDATE"  # SQLite already holds its write lock
        self.lock_head = self._("SELECT position FROM events_head WHERE id = 1" + lock)
        self.insert_head = self._("INSERT INTO events_head (id, position) VALUES (1, ?)")
        self.update_head = self._("UPDATE events_head SET position = ? WHERE id = 1")
        self.max_position = "SELECT MAX(position) FROM events"
        self.notify = "SELECT pg_notify('tui_es_events', %s)"
        self.insert_events = self._(
            f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        self.last_sequence = self._(
            "SELECT MAX(sequence) FROM events WHERE aggregate_type = ? AND aggregate_id = ?"
        )
        select_events = f"SELECT {EVENT_COLUMNS} FROM events"
        self.load_events = self._(
            f"{select_events} WHERE aggregate_type = ? AND aggregate_id = ? AND sequence > ? "
            "ORDER BY sequence"
        )
        self.load_events_until = self._(
            f"{select_events} WHERE aggregate_type = ? AND aggregate_id = ? AND sequence > ? "
            "AND sequence <= ? ORDER BY sequence"
        )
        self.read_range = self._(
            f"{select_events} WHERE position > ? AND position <= ? ORDER BY position LIMIT ?"
        )
        self.read_after = self._(f"{select_events} WHERE position > ? ORDER BY position LIMIT ?")
        self.select_events = select_events
        self.checkpoint = self._("SELECT position FROM projection_checkpoints WHERE name = ?")
        self.checkpoints = "SELECT name, position FROM projection_checkpoints"
        self.update_checkpoint = self._(
            "UPDATE projection_checkpoints SET position = ? WHERE name = ?"
        )
        self.move_checkpoint = self._(
            "UPDATE projection_checkpoints SET position = ? WHERE name = ? AND position = ?"
        )
        self.insert_checkpoint = self._(
            "INSERT INTO projection_checkpoints (name, position) VALUES (?, ?)"
        )
        snapshot = (
            "SELECT payload, last_sequence, current_snapshot FROM snapshots "
            "WHERE aggregate_type = ? AND aggregate_id = ?"
        )
        self.latest_snapshot = self._(f"{snapshot} ORDER BY last_sequence DESC LIMIT 1")
        self.snapshot_at_most = self._(
            f"{snapshot} AND last_sequence <= ? ORDER BY last_sequence DESC LIMIT 1"
        )
        self.snapshot_count = self._(
            "SELECT MAX(current_snapshot) FROM snapshots WHERE aggregate_type = ? AND aggregate_id = ?"
        )
        self.insert_snapshot = self._(
            "INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, "
            "payload) VALUES (?, ?, ?, ?, ?)"
        )
        self.replace_snapshot = self._(
            "UPDATE snapshots SET last_sequence = ?, payload = ?, current_snapshot = ? "
            "WHERE aggregate_type = ? AND aggregate_id = ? AND current_snapshot = ?"
        )
        self._views: dict[str, tuple[str, str, str, str]] = {}

    def _(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def view(self, name: str) -> tuple[str, str, str, str]:
        """(select one, insert, compare-and-set update, delete all) for a view table."""
        statements = self._views.get(name)
        if statements is None:
            table = check_identifier(name)
            statements = (
                self._(f"SELECT version, payload FROM {table} WHERE view_id = ?"),
                self._(f"INSERT INTO {table} (view_id, version, payload) VALUES (?, ?, ?)"),
                self._(
                    f"UPDATE {table} SET version = ?, payload = ? WHERE view_id = ? AND version = ?"
                ),
                f"DELETE FROM {table}",
            )
            self._views[name] = statements
        return statements

    def payload_text(self) -> str:
        """The payload column as text, for LIKE."""
        return "CAST(payload AS TEXT)" if self.dialect == "postgresql" else "payload"
