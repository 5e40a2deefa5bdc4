"""Store locations: a SQLAlchemy URL or a file path, and never a password on screen."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb")


class InvalidStoreUrl(ValueError):
    pass


def resolve_url(location: str | Path) -> URL:
    """``sqlite:///x.db``, ``postgresql+psycopg://…``, ``mysql+pymysql://…``, or a path (SQLite)."""
    text = str(location)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        url = make_url(text)
    except ArgumentError:
        raise InvalidStoreUrl(f"not a database URL: {redact(text)}") from None
    if url.get_backend_name() not in _SCHEMES:
        raise InvalidStoreUrl(
            f"unsupported database {url.get_backend_name()!r} in {redact(text)} "
            "(use sqlite, postgresql or mysql)"
        )
    return url


def redact(location: str | URL) -> str:
    """The URL with its password replaced by ***."""
    if isinstance(location, URL):
        return location.render_as_string(hide_password=True)
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        # Not parseable: hide anything between "://user:" and "@".
        head, sep, rest = location.partition("://")
        if sep and "@" in rest:
            creds, _, host = rest.rpartition("@")
            user = creds.split(":", 1)[0]
            return f"{head}://{user}:***@{host}"
        return location
