"""Connections to the ATS database named by ATS_DATABASE_URL (SQLite by default, or PostgreSQL).

Everything talks to the database through SQLAlchemy's asyncio extension, so the action server
and the channels never block their event loop on a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql.expression import Executable

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class UnsupportedDatabase(ValueError):
    """ATS_DATABASE_URL names a database the help desk does not run on."""


def async_url(url: str) -> URL:
    """The async-driver form of a database URL: `postgresql://` becomes `postgresql+asyncpg://`."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse message
        raise UnsupportedDatabase(f"ATS_DATABASE_URL is not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise UnsupportedDatabase(
            f"ATS_DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {backend}://"
        )
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def display_url(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    return str(async_url(url).render_as_string(hide_password=True))


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Writers wait for each other instead of failing with "database is locked".
        kwargs.setdefault("connect_args", {"timeout": 30})
        if parsed.database and parsed.database != ":memory:":
            # SQLAlchemy 1.4 opens a new SQLite connection per checkout by default; keep them.
            kwargs.setdefault("poolclass", AsyncAdaptedQueuePool)
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per lookup. The store retries a read once when the
    # server dropped a pooled connection instead, and connections are renewed half-hourly.
    kwargs.setdefault("pool_recycle", 1800)
    # Kept open for the next use up to 10 (SQLAlchemy's default, 5, is below what a busy action
    # server uses at once: each connection past it was opened for one use and closed, costing
    # a new PostgreSQL backend and asyncpg's statements prepared again); 20 more in a burst.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(parsed, **kwargs)


def dialect_insert(bind: Any) -> Any:
    """The database's own INSERT, which offers ON CONFLICT on both databases we run on."""
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> sessionmaker:
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def explain(connection: AsyncConnection, query: Executable, *, analyze: bool = False) -> str:
    """The database's plan for `query` with its real parameters, for benchmarks and tests."""
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    parameters = compiled.construct_params()
    arguments = []
    for name in compiled.positiontup:
        value = parameters[name]
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        arguments.append(processor(value) if processor else value)
    if dialect.name == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    rows = await connection.exec_driver_sql(prefix + str(compiled), tuple(arguments))
    return "\n".join(" | ".join(str(column) for column in row) for row in rows)
