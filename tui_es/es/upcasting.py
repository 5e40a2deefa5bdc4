"""Event upcasters on the stored JSON, with semantic versions (cqrs-es §1.13)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tui_es.es.envelope import SerializedEvent

_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.\d+)*$")


class SemanticVersionError(ValueError):
    pass


@dataclass(frozen=True, order=True, slots=True)
class SemanticVersion:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemanticVersion:
        """``"2"`` is 2.0.0, ``"2.3"`` 2.3.0; parts past the third are ignored."""
        match = _VERSION.fullmatch(text)  # not match: its $ accepts a trailing newline
        if match is None:
            raise SemanticVersionError(f"not a semantic version: {text!r}")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor or 0), int(patch or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class EventUpcaster(Protocol):
    name: str

    def can_upcast(self, event_type: str, event_version: str) -> bool: ...

    def upcast(self, event: SerializedEvent) -> SerializedEvent: ...


PayloadFn = Callable[[dict[str, Any]], dict[str, Any]]


class SemanticVersionUpcaster:
    """Upcasts ``event_type`` stored at any version below ``event_version``.

    ``fn`` receives the externally tagged payload (``{"Variant": {...}}``) and
    returns the new one; the stored version becomes ``event_version``, written
    as X.Y.Z like cqrs-es does.
    """

    def __init__(self, event_type: str, event_version: str, fn: PayloadFn) -> None:
        self.event_type = event_type
        self.version = SemanticVersion.parse(event_version)
        self.fn = fn
        self.name = f"{event_type} -> {self.version}"

    def can_upcast(self, event_type: str, event_version: str) -> bool:
        if event_type != self.event_type:
            return False
        try:
            return SemanticVersion.parse(event_version) < self.version
        except SemanticVersionError:
            return False

    def upcast(self, event: SerializedEvent) -> SerializedEvent:
        return event.with_payload(self.fn(event.payload), str(self.version))


class UpcasterChain:
    """Upcasters folded in order: each sees what the one before it produced."""

    def __init__(self, upcasters: Iterable[EventUpcaster] = ()) -> None:
        self.upcasters: Sequence[EventUpcaster] = tuple(upcasters)
        self._types = {getattr(u, "event_type", None) for u in self.upcasters}
        # An upcaster without a fixed event_type may touch any event.
        self._any = None in self._types

    def __bool__(self) -> bool:
        return bool(self.upcasters)

    def apply(self, event: SerializedEvent) -> SerializedEvent:
        return self.trace(event)[0]

    def trace(self, event: SerializedEvent) -> tuple[SerializedEvent, list[str]]:
        """The upcast event and the names of the upcasters that changed it."""
        applied: list[str] = []
        if not self._any and event.event_type not in self._types:
            return event, applied
        for upcaster in self.upcasters:
            if upcaster.can_upcast(event.event_type, event.event_version):
                event = upcaster.upcast(event)
                applied.append(upcaster.name)
        return event, applied
