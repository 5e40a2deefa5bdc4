"""Column types that differ by dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine

from tui_es.store.jsontext import dumps, loads

__all__ = ["JsonDocument", "dumps", "loads"]


class JsonDocument(TypeDecorator[Any]):
    """A JSON document: ``json`` on PostgreSQL and MySQL (as cqrs-es declares it), text on SQLite.

    Values go in and come out as Python objects, written compactly so that the
    stored text is what serde_json would store.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSON())
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.JSON())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name not in ("sqlite",):
            # the json types of the servers serialize with the engine's json_serializer
            return value
        return dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return loads(value)
