"""The ATS statements of every message, run straight on asyncpg on PostgreSQL.

Every message an applicant sends makes the action server read the ATS afresh (what the
conversation has proven, the application it asks about), and a code asked or checked runs a
transaction of a dozen statements (the rate limits, the challenge, the proof). Through
SQLAlchemy's AsyncConnection or AsyncSession a statement costs the action server two to three
times the CPU of the same statement on asyncpg's own pool (`bench/ats_reads.py` measures it).

The statements stay SQLAlchemy's, built once as module constants: each is compiled once for
PostgreSQL exactly as SQLAlchemy's asyncpg dialect sends it (the same SQL, the same parameter
casts), its parameters go through the same bind processors and its rows through the same result
processors, so a row read here equals the one SQLAlchemy gives, by name and by position.

A text() that returns rows names its columns (`text(...).columns(...)`); one that does not is
run as a command, its rows not read.

A read this cannot run as SQLAlchemy would (an IN list that expands, a column SQLAlchemy's
asyncpg connection decodes itself such as JSON) is left to SQLAlchemy: `DirectPostgres.fetch()`
returns None for it. In a transaction there is no such way out (its statements share one
connection): a statement it cannot run raises `NotDirect`, a mistake of the code that gave it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi, _pg_types
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import JSON, TypeEngine

from ats.asyncpg_pool import LazyPool

Processor = Callable[[Any], Any]
Parameters = dict[str, Any]

# how long a statement waits for a free connection of the pool, as SQLAlchemy's pool_timeout
ACQUIRE_SECONDS = 30.0

# statements kept compiled: those of every message are a handful of module constants; past this
# many, a caller is building statements anew and SQLAlchemy's own cache serves them better
KEPT_STATEMENTS = 64


class NotDirect(TypeError):
    """A statement given to a direct transaction that only SQLAlchemy can run."""


@dataclass(frozen=True)
class Compiled:
    """A statement as SQLAlchemy's asyncpg dialect sends it, and how to convert what crosses."""

    sql: str
    compiled: SQLCompiler
    parameters: tuple[str, ...]  # the bound parameter behind each $n
    bind_processors: tuple[Processor | None, ...]
    row: type[tuple[Any, ...]] | None  # a named tuple of the columns it returns, if any
    result_types: tuple[TypeEngine[Any], ...]

    def arguments(self, values: Parameters) -> list[Any]:
        given = self.compiled.construct_params(values)
        return [
            value if process is None else process(value)
            for process, value in zip(
                self.bind_processors, (given[name] for name in self.parameters), strict=True
            )
        ]


def compile_statement(
    statement: Executable, dialect: Dialect, keys: Sequence[str] = ()
) -> Compiled | None:
    """The statement compiled for asyncpg (an INSERT for the columns named by `keys`), or None
    when only SQLAlchemy can run it."""
    compiled = statement.compile(
        dialect=dialect, column_keys=list(keys) if isinstance(statement, Insert) else None
    )
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.literal_execute_params
        or compiled.post_compile_params
        or not compiled.positional
        # values SQLAlchemy's execution works out itself (a column's Python default)
        or compiled.insert_prefetch
        or compiled.update_prefetch
    ):
        return None
    columns = compiled._result_columns
    types = tuple(column[3] for column in columns)
    if any(isinstance(type_, JSON) or type_._type_affinity is JSON for type_ in types):
        return None
    names = tuple(compiled.positiontup or ())
    # the casts SQLAlchemy's asyncpg cursor adds to each placeholder ($1::VARCHAR, ...), as its
    # execution context asks for them (none for a text(), none for enums)
    sizes = (
        None
        if isinstance(statement, TextClause)
        else compiled._get_set_input_sizes_lookup(
            include_types=None, exclude_types={AsyncAdapt_asyncpg_dbapi.ENUM}
        )
    )
    placeholders = []
    for number, name in enumerate(names, 1):
        cast = _pg_types.get(sizes.get(compiled.binds[name])) if sizes else None
        placeholders.append(f"${number}::{cast}" if cast else f"${number}")
    processors = compiled._bind_processors
    return Compiled(
        sql=compiled.string % tuple(placeholders),
        compiled=compiled,
        parameters=names,
        bind_processors=tuple(processors.get(name) for name in names),
        row=namedtuple("Row", [c[0] for c in columns], rename=True) if columns else None,
        result_types=types,
    )


@dataclass
class Done:
    """What a statement gave: its rows (none for a change without RETURNING) and how many rows
    it changed, with the accessors of SQLAlchemy's Result that the ATS code uses."""

    rows: list[Any]
    rowcount: int = -1

    def all(self) -> list[Any]:
        return self.rows

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if not self.rows:
            raise NoResultFound("No row was found when one was required")
        if len(self.rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self.rows[0]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


def _rowcount(status: str) -> int:
    """The rows a statement changed, from PostgreSQL's command tag ("UPDATE 3", "INSERT 0 1")."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


@dataclass
class _Kept:
    statement: Executable  # held, so that its id() is not reused while it is kept
    compiled: Compiled | None
    processors: tuple[Processor | None, ...] | None = field(default=None)


class DirectPostgres:
    """Prebuilt statements on an asyncpg pool of their own (opened at first use)."""

    def __init__(self, url: URL, dialect: Dialect, max_connections: int) -> None:
        self._pool = LazyPool(url, max_connections, "the ATS statements")
        self._dialect = dialect
        self._kept: dict[tuple[int, tuple[str, ...]], _Kept] = {}

    def _compile(self, statement: Executable, parameters: Parameters) -> _Kept | None:
        keys = tuple(sorted(parameters)) if isinstance(statement, Insert) else ()
        kept = self._kept.get((id(statement), keys))
        if kept is None:
            if len(self._kept) >= KEPT_STATEMENTS:
                return None
            kept = _Kept(statement, compile_statement(statement, self._dialect, keys))
            self._kept[(id(statement), keys)] = kept
        return kept

    async def _run(self, connection: asyncpg.Connection, kept: _Kept, arguments: list[Any]) -> Done:
        compiled = kept.compiled
        assert compiled is not None
        if compiled.row is None:
            return Done([], _rowcount(await connection.execute(compiled.sql, *arguments)))
        if kept.processors is None:
            prepared = await connection.prepare(compiled.sql)
            kept.processors = tuple(
                type_._cached_result_processor(self._dialect, attribute.type.oid)
                for type_, attribute in zip(
                    compiled.result_types, prepared.get_attributes(), strict=True
                )
            )
        processors, row = kept.processors, compiled.row
        records = await connection.fetch(compiled.sql, *arguments)
        rows = [
            row(
                *(
                    value if process is None else process(value)
                    for process, value in zip(processors, record, strict=True)
                )
            )
            for record in records
        ]
        return Done(rows, len(rows))

    async def fetch(
        self, statement: Executable, parameters: Parameters, *, repeat: bool = True
    ) -> list[Any] | None:
        """The rows a statement gives, on a pooled connection in autocommit, or None when it
        is SQLAlchemy's to run. A read (`repeat`) is tried once more on another connection if
        the database had dropped the first."""
        done = await self._alone(statement, parameters, repeat)
        return None if done is None else done.rows

    async def change(self, statement: Executable, parameters: Parameters) -> int | None:
        """The rows a statement changed, run once on a pooled connection in autocommit, or
        None when it is SQLAlchemy's to run."""
        done = await self._alone(statement, parameters, repeat=False)
        return None if done is None else done.rowcount

    async def _alone(
        self, statement: Executable, parameters: Parameters, repeat: bool
    ) -> Done | None:
        kept = self._compile(statement, parameters)
        if kept is None or kept.compiled is None:
            return None
        arguments = kept.compiled.arguments(parameters)

        async def run(pool: asyncpg.Pool) -> Done:
            async with pool.acquire(timeout=ACQUIRE_SECONDS) as connection:
                return await self._run(connection, kept, arguments)

        if repeat:
            return await self._pool.once_more_if_dropped(run)
        return await run(await self._pool.connections())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DirectTransaction]:
        """One transaction (READ COMMITTED, as SQLAlchemy's, whatever the database's default)
        on one pooled connection: committed when the block ends, rolled back when it raises."""
        pool = await self._pool.connections()
        async with (
            pool.acquire(timeout=ACQUIRE_SECONDS) as connection,
            connection.transaction(isolation="read_committed"),
        ):
            yield DirectTransaction(self, connection)

    async def close(self) -> None:
        await self._pool.close()


class DirectTransaction:
    """The part of SQLAlchemy's AsyncSession the ATS transactions use: `execute()` (one set of
    parameters, or a list of them) and `scalar()`."""

    def __init__(self, statements: DirectPostgres, connection: asyncpg.Connection) -> None:
        self._statements = statements
        self._connection = connection

    def _compiled(self, statement: Executable, parameters: Parameters) -> _Kept:
        kept = self._statements._compile(statement, parameters)
        if kept is None or kept.compiled is None:
            raise NotDirect(f"not for a direct transaction: {statement}")
        return kept

    async def execute(
        self, statement: Executable, parameters: Parameters | Sequence[Parameters] | None = None
    ) -> Done:
        if isinstance(parameters, Sequence):  # many rows, as SQLAlchemy's executemany
            if not parameters:
                return Done([], 0)
            kept = self._compiled(statement, parameters[0])
            compiled = kept.compiled
            assert compiled is not None and compiled.row is None
            await self._connection.executemany(
                compiled.sql, [compiled.arguments(values) for values in parameters]
            )
            return Done([], -1)
        kept = self._compiled(statement, parameters or {})
        assert kept.compiled is not None
        return await self._statements._run(
            self._connection, kept, kept.compiled.arguments(parameters or {})
        )

    async def scalar(self, statement: Executable, parameters: Parameters | None = None) -> Any:
        return (await self.execute(statement, parameters)).scalar()


# what the ATS's transactions run their statements on: asyncpg itself on PostgreSQL, a
# SQLAlchemy session elsewhere (`ATSStore.transaction()`)
Statements: TypeAlias = AsyncSession | DirectTransaction


def on_postgresql(session: Statements) -> bool:
    """Whether the transaction runs on PostgreSQL (where the SQL may differ from SQLite's)."""
    return not isinstance(session, AsyncSession) or session.bind.dialect.name == "postgresql"
