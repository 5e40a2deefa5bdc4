"""Scratch databases on the local PostgreSQL and MariaDB servers, one per test.

The admin URLs can be changed with TUI_ES_TEST_POSTGRES and TUI_ES_TEST_MYSQL;
``.ci/run`` starts the servers when they are installed but not running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES_ADMIN = os.environ.get(
    "TUI_ES_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("TUI_ES_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/")


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """Create a database with a unique name, yield its URL, drop it afterwards."""
    admin_url = POSTGRES_ADMIN if backend == "postgresql" else MYSQL_ADMIN
    name = f"tui_es_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(admin_url).set(database=name)
    if backend != "postgresql":
        url = url.set(query={"charset": "utf8mb4"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()
