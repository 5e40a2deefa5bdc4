"""The commands executed in this session, newest first, to recall or run again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tui_es.es.messages import Command


@dataclass(frozen=True)
class RecentCommand:
    aggregate_type: str
    aggregate_id: str
    command: Command
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.command.type_name()

    @property
    def body_json(self) -> str:
        """cqrs-demo's request body for it, e.g. ``{"DepositMoney": {"amount": 1000.0}}``."""
        return json.dumps(self.command.to_tagged(), ensure_ascii=False)

    @property
    def label(self) -> str:
        fields = ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}"
            for k, v in self.command.model_dump(mode="json").items()
        )
        return f"{self.name} → {self.aggregate_id}  {fields}".rstrip()

    def key(self) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
        return (
            self.aggregate_type,
            self.aggregate_id,
            self.body_json,
            tuple(sorted(self.metadata.items())),
        )


class CommandHistory:
    """At most ``limit`` distinct commands; running one again moves it to the top."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self._items: list[RecentCommand] = []

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> RecentCommand:
        return self._items[index]

    def items(self) -> list[RecentCommand]:
        return list(self._items)

    def add(self, recent: RecentCommand) -> None:
        key = recent.key()
        self._items = [r for r in self._items if r.key() != key]
        self._items.insert(0, recent)
        del self._items[self.limit :]
