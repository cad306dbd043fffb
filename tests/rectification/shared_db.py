"""Reaching the test database from other threads and processes.

On PostgreSQL the test database is a real database: other connections (a
thread's, a Celery worker's) use it as is. On SQLite the test database lives
in memory, where another process cannot reach it and threads share one cache
with table locks that fail at once instead of waiting. So there
:func:`shared_database` copies it to a file (SQLite's backup API), lets the
others work on the file with the project's own SQLite settings (WAL, busy
timeout, immediate transactions: the embedded shape), and copies the file
back into memory afterwards, so that the test reads their work through the ORM.
"""

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

from django.db import connection, connections


def _memory_sqlite():
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@contextmanager
def shared_database(folder):
    """Yield the settings dict (``DATABASES`` entry) that other connections
    use to reach the test database. Use it in a ``transaction=True`` test."""
    if not _memory_sqlite():
        yield dict(connection.settings_dict)
        return
    path = Path(folder) / "db.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as target:
        connection.connection.backup(target)
    try:
        yield {**connection.settings_dict, "NAME": str(path)}
    finally:
        with closing(sqlite3.connect(path)) as source:
            source.backup(connection.connection)


def connect_this_thread(settings_dict):
    """Make the calling thread's default connection use ``settings_dict``."""
    connections["default"] = type(connections["default"])(dict(settings_dict), alias="default")


def database_url(settings_dict):
    """A DATABASE_URL for a worker process; None for SQLite (the worker then
    uses $VAR_DIR/db.sqlite3: put the file there)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return None
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"
