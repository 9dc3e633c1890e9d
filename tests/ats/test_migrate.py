"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL; the
schema check tells a database behind the code from one ahead of it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ats.db import create_engine
from ats.migrate import (
    SchemaBehind,
    SchemaUnknown,
    check_schema,
    current_revision,
    head_revision,
    migrate,
    upgrade,
)
from ats.models import metadata


async def test_the_migrated_schema_matches_the_models(store):
    assert await current_revision(store.engine) == head_revision()
    async with store.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )
    assert differences == []


# -- the schema check every command but `helpdesk ats migrate` makes -----------------------------

FUTURE = "f00dfeedbeef"  # a revision a newer release made, unknown to this one


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ats.db'}")
    yield engine
    await engine.dispose()


async def test_an_empty_database_is_behind_and_the_check_creates_nothing(engine):
    with pytest.raises(SchemaBehind, match=r"has no schema yet: run helpdesk ats migrate$"):
        await check_schema(engine)
    async with engine.connect() as connection:
        tables = await connection.exec_driver_sql("SELECT name FROM sqlite_master")
        assert tables.all() == []


async def test_an_older_schema_is_behind_until_migrated(engine):
    await upgrade(engine, "0008")
    with pytest.raises(SchemaBehind) as behind:
        await check_schema(engine)
    assert f"schema revision 0008, needs {head_revision()}" in str(behind.value)
    assert str(behind.value).endswith("run helpdesk ats migrate")
    state = await migrate(engine)
    assert state.database == ("0008",)
    assert await check_schema(engine) is None
    assert await current_revision(engine) == head_revision()


async def test_a_newer_schema_is_a_warning_and_the_migration_refuses_it(engine):
    await migrate(engine)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{FUTURE}'")
    warning = await check_schema(engine)
    assert warning and FUTURE in warning and "newer than this help desk" in warning
    with pytest.raises(SchemaUnknown, match=r"does not know.*does not downgrade"):
        await migrate(engine)
    assert await current_revision(engine) == FUTURE
