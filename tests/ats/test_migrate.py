"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ats.migrate import current_revision, head_revision
from ats.models import metadata


async def test_the_migrated_schema_matches_the_models(store):
    assert await current_revision(store.engine) == head_revision()
    async with store.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert differences == []
