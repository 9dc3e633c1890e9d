"""Bulk writes for large imports: PostgreSQL's COPY and `= ANY` where available, batched
statements elsewhere, always in chunks of a size every database accepts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

CHUNK = 5000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BulkWriter:
    """Bulk inserts and id look-ups within one session's transaction."""

    session: AsyncSession

    @property
    def on_postgresql(self) -> bool:
        return bool(self.session.bind.dialect.name == "postgresql")

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    async def _bulk_insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows: PostgreSQL's COPY where available, else batched executemany."""
        if not rows:
            return
        if self.on_postgresql:
            columns = list(rows[0])
            driver = await self._driver()
            await driver.copy_records_to_table(
                table.name,
                records=[tuple(row[c] for c in columns) for row in rows],
                columns=columns,
            )
            return
        for chunk in chunks(rows):
            await self.session.execute(insert(table), list(chunk))

    async def _ids_by(self, column: Column, values: Sequence[str]) -> dict[str, int]:
        """value -> id for the rows whose `column` is one of `values`."""
        table = column.table
        if self.on_postgresql:
            driver = await self._driver()
            found = await driver.fetch(
                f"SELECT {column.name}, id FROM {table.name} WHERE {column.name} = ANY($1::text[])",
                list(values),
            )
            return {record[0]: record[1] for record in found}
        ids: dict[str, int] = {}
        for chunk in chunks(values):
            result = await self.session.execute(select(column, table.c.id).where(column.in_(chunk)))
            ids.update(dict(result.all()))
        return ids
