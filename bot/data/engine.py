"""Engine and unit-of-work sessions.

``DATABASE_URL`` selects the database (PostgreSQL in production); the default
is a SQLite file under ``<repo>/var/`` so the CLI, the action server and the
Rasa server's helpers all share one file whatever their working directory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.orm import Session

from bot.settings import DEFAULT_DATABASE_URL, ROOT, VAR_DIR, settings

REPO_ROOT: Path = ROOT
SQLITE_BUSY_TIMEOUT_MS = 15_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    """``$DATABASE_URL``, else ``sqlite:///<repo>/var/assistant.db`` (var/ created)."""
    url = settings().database_url
    if url == DEFAULT_DATABASE_URL:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    return url


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the process (engines own connection pools)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, future=True, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                _configure_sqlite(engine)
            _engines[url] = engine
        return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL + busy timeout so several processes share the file; writers queue.

    pysqlite's own transaction handling is switched off and every transaction
    starts with BEGIN IMMEDIATE: a read-then-write unit of work (open a claim
    unless one exists) then waits for the write lock up front instead of
    failing on a stale snapshot. SAVEPOINTs also work correctly this way.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on error, close."""
    session = Session(bind=get_engine(url), future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engine_cache() -> None:
    """Dispose every cached engine (tests switch ``DATABASE_URL`` between cases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
