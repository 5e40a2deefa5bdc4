"""Commands and events as pydantic models, in cqrs-es's externally tagged JSON.

serde writes an enum variant as ``{"VariantName": {fields...}}``; a message set
(the Python stand-in for a Rust enum) encodes and decodes that shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class InvalidMessage(ValueError):
    """A command or event body that does not fit its schema.

    The message names what is wrong: the variant, the field and why.
    """


class Message(BaseModel):
    """Base of commands and events: immutable, strict about types (no "12" for 12.0)."""

    model_config = ConfigDict(frozen=True, strict=True, allow_inf_nan=False, extra="forbid")

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    def to_tagged(self) -> dict[str, Any]:
        return {self.type_name(): self.model_dump(mode="json")}


class Command(Message):
    """A request to change an aggregate; it may be rejected."""


class DomainEvent(Message):
    """A fact that happened; named in the past tense, never rejected on apply.

    ``event_version`` is the schema version of the payload, used by upcasters.
    Stored events may carry fields a newer or older program does not know, so
    unknown fields are ignored rather than refused.
    """

    model_config = ConfigDict(extra="ignore")

    event_version: ClassVar[str] = "1.0"

    @property
    def event_type(self) -> str:
        return type(self).__name__


M = TypeVar("M", bound=Message)


def describe_validation_error(error: ValidationError, variant: str) -> str:
    """Turn pydantic's report into one line per problem: ``Variant.field: reason``."""
    parts = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(p) for p in item["loc"])
        where = f"{variant}.{loc}" if loc else variant
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


class MessageSet(Generic[M]):
    """The variants of one enum (a domain's commands, or its events), by name."""

    def __init__(self, kind: str, types: Iterable[type[M]]) -> None:
        self.kind = kind
        self.types: dict[str, type[M]] = {t.type_name(): t for t in types}

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def __iter__(self) -> Any:
        return iter(self.types.values())

    def names(self) -> list[str]:
        return list(self.types)

    def get(self, name: str) -> type[M]:
        try:
            return self.types[name]
        except KeyError:
            known = ", ".join(self.types)
            raise InvalidMessage(f"unknown {self.kind} {name!r} (known: {known})") from None

    def encode(self, message: M) -> dict[str, Any]:
        return message.to_tagged()

    def split_tag(self, data: Any) -> tuple[str, Any]:
        """The variant name and its body; a bare string is a unit variant."""
        if isinstance(data, str):
            return data, {}
        if not isinstance(data, Mapping) or len(data) != 1:
            raise InvalidMessage(
                f"a {self.kind} is a JSON object with exactly one key, the {self.kind} name, "
                f'e.g. {{"{next(iter(self.types), "Name")}": {{...}}}}'
            )
        ((name, body),) = data.items()
        return str(name), {} if body is None else body

    def decode(self, data: Any) -> M:
        name, body = self.split_tag(data)
        cls = self.get(name)
        if not isinstance(body, Mapping):
            raise InvalidMessage(f"{name}: the body must be a JSON object, not {_json_kind(body)}")
        try:
            return cls.model_validate(body)
        except ValidationError as e:
            raise InvalidMessage(describe_validation_error(e, name)) from None

    def decode_body(self, name: str, body: Mapping[str, Any]) -> M:
        """Decode a body whose variant is already known (e.g. from the event_type column)."""
        cls = self.get(name)
        try:
            return cls.model_validate(body)
        except ValidationError as e:
            raise InvalidMessage(describe_validation_error(e, name)) from None

    def parse_json(self, text: str) -> M:
        try:
            data = read_json(text)
        except json.JSONDecodeError as e:
            raise InvalidMessage(
                f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
            ) from None
        return self.decode(data)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_json(text: str) -> Any:
    """``json.loads``, refusing strings with a lone surrogate (an unpaired ``\\ud800`` escape).

    Such a string is no text: UTF-8, and so every database, cannot hold it.
    Raises ``InvalidMessage`` naming where it is; ``JSONDecodeError`` as usual.
    """
    data = json.loads(text)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        found = _lone_surrogate(data, ())
        if found is not None:
            path, char = found
            raise InvalidMessage(
                f"{'.'.join(path) or 'the JSON'}: \\u{ord(char):04x} is a lone surrogate, "
                "not a character"
            )
    return data


def _lone_surrogate(value: Any, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return path, value[e.start]
        return None
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _lone_surrogate(key, path) if isinstance(key, str) else None
        found = found or _lone_surrogate(item, (*path, str(key)))
        if found is not None:
            return found
    return None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__
