"""The JSON text tui-es stores (no SQLAlchemy here: fold processes import it alone)."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from tui_es.es.envelope import lenient_json


def dumps(value: Any) -> str:
    """Compact JSON, as serde_json writes it (``{"a":1.0}``).

    pydantic-core's serializer writes floats like serde (``1e-7``, not Python's
    ``1e-07``) and is several times faster than ``json.dumps``.
    """
    return to_json(value).decode()


def loads(value: Any) -> Any:
    """Servers with a json column may hand back parsed values; SQLite hands back text.

    Text that is not JSON comes back as ``CorruptJson`` rather than raising:
    a damaged row is shown and reported, it does not stop a read.
    """
    return lenient_json(value)
