"""How the dashboard writes JSON values in one line: the same in every pane."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def format_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Sums of floats carry binary noise (4123.840000000001); 12 digits keep
        # every real digit of a stored amount and drop the noise.
        text = format(value, ".12g")
        return text if any(c in text for c in ".en") else text + ".0"
    return str(value)


def summary(payload: Mapping[str, Any], skip: str | None = None, width: int = 60) -> str:
    """One line: scalars as ``key=value``, collections as ``key[n]``, cut at ``width``.

    A scalar equal to ``skip`` (a row's own id) is left out: the row already shows it.
    """
    parts = []
    for key, value in payload.items():
        if is_scalar(value):
            if value is not None and str(value) == skip:
                continue
            parts.append(f"{key}={format_scalar(value)}")
        elif isinstance(value, list | Mapping):
            parts.append(f"{key}[{len(value)}]")
    text = " ".join(parts)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
