"""The ATS reads of every message, run straight on asyncpg on PostgreSQL.

Every message an applicant sends makes the action server read the ATS afresh: what the
conversation has proven, the application it asks about. Through SQLAlchemy's AsyncConnection
such a read costs the action server two to three times the CPU of the same statement on
asyncpg's own pool (`bench/ats_reads.py` measures both). The statements stay SQLAlchemy's,
built once as module constants: each is compiled once for PostgreSQL exactly as SQLAlchemy's
asyncpg dialect sends it (the same SQL, the same parameter casts), its parameters go through the
same bind processors and its rows through the same result processors, so a row read here equals
the one SQLAlchemy gives, by name and by position.

A statement this cannot run as SQLAlchemy would (IN lists that expand, columns whose values
SQLAlchemy's asyncpg connection decodes itself, such as JSON) is left to SQLAlchemy:
`DirectReads.fetch()` returns None for it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi, _pg_types
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import JSON, TypeEngine

from ats.asyncpg_pool import LazyPool

Processor = Callable[[Any], Any]

# statements kept compiled: the reads of every message are a handful of module constants; past
# this many, a caller is building statements anew and SQLAlchemy's own cache serves them better
KEPT_STATEMENTS = 64


@dataclass(frozen=True)
class CompiledRead:
    """A SELECT as SQLAlchemy's asyncpg dialect sends it, and how to convert what crosses."""

    sql: str
    compiled: SQLCompiler
    parameters: tuple[str, ...]  # the bound parameter behind each $n
    bind_processors: tuple[Processor | None, ...]
    row: type[tuple[Any, ...]]  # a named tuple of the statement's columns
    result_types: tuple[TypeEngine[Any], ...]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        given = self.compiled.construct_params(values)
        return [
            value if process is None else process(value)
            for process, value in zip(
                self.bind_processors, (given[name] for name in self.parameters), strict=True
            )
        ]


def compile_read(statement: Select, dialect: Dialect) -> CompiledRead | None:
    """The statement compiled for asyncpg, or None when only SQLAlchemy can run it."""
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params or not compiled.positional:
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
    return CompiledRead(
        sql=compiled.string % tuple(placeholders),
        compiled=compiled,
        parameters=names,
        bind_processors=tuple(processors.get(name) for name in names),
        row=namedtuple("Row", [column[0] for column in columns], rename=True),
        result_types=types,
    )


class DirectReads:
    """Prebuilt SELECTs on an asyncpg pool of their own (opened at first use)."""

    def __init__(self, url: URL, dialect: Dialect, max_connections: int) -> None:
        self._pool = LazyPool(url, max_connections, "the ATS reads")
        self._dialect = dialect
        self._compiled: dict[int, tuple[Select, CompiledRead | None]] = {}
        # per statement, once its result columns' PostgreSQL types are known
        self._processors: dict[int, tuple[Processor | None, ...]] = {}

    def _compile(self, statement: Select) -> CompiledRead | None:
        # keyed by identity, holding the statement so that its id is not reused
        known = self._compiled.get(id(statement))
        if known is None:
            if len(self._compiled) >= KEPT_STATEMENTS:
                return None
            known = (statement, compile_read(statement, self._dialect))
            self._compiled[id(statement)] = known
        return known[1]

    async def fetch(
        self, statement: Select, parameters: dict[str, Any]
    ) -> list[tuple[Any, ...]] | None:
        """The statement's rows, or None when it is SQLAlchemy's to run."""
        read = self._compile(statement)
        if read is None:
            return None
        arguments = read.arguments(parameters)

        async def run(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
            async with pool.acquire() as connection:
                processors = self._processors.get(id(statement))
                if processors is None:
                    prepared = await connection.prepare(read.sql)
                    processors = self._result_processors(read, prepared.get_attributes())
                    self._processors[id(statement)] = processors
                records = await connection.fetch(read.sql, *arguments)
            return [self._row(read, processors, record) for record in records]

        return await self._pool.once_more_if_dropped(run)

    def _result_processors(
        self, read: CompiledRead, attributes: Sequence[Any]
    ) -> tuple[Processor | None, ...]:
        return tuple(
            type_._cached_result_processor(self._dialect, attribute.type.oid)
            for type_, attribute in zip(read.result_types, attributes, strict=True)
        )

    @staticmethod
    def _row(
        read: CompiledRead, processors: tuple[Processor | None, ...], record: asyncpg.Record
    ) -> tuple[Any, ...]:
        return read.row(
            *(
                value if process is None else process(value)
                for process, value in zip(processors, record, strict=True)
            )
        )

    async def close(self) -> None:
        await self._pool.close()
