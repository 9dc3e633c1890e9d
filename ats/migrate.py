"""The ATS database's schema: brought up to date with the Alembic migrations in `migrations/`
(by `helpdesk ats migrate` only), and checked by everything else before it uses the database.

Alembic is driven from code (no alembic.ini) so that `helpdesk ats migrate` works from any
directory and against whatever ATS_DATABASE_URL names.

The check only reads (the alembic_version table), so it works for a read-only database user. A
database behind the code (empty, or migrated by an older release) is refused with the command
that fixes it; one ahead of the code (migrated by a newer release, whose revision this code does
not know) is only a warning: the migrations add to the schema, so an older sweeper or reader
still works on it. Only the migration itself refuses a revision it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATE_COMMAND = "helpdesk ats migrate"


class SchemaError(Exception):
    """The database's schema does not fit this code; the message says what to do."""


class SchemaBehind(SchemaError):
    """The database is empty, or its schema is older than this code's: run the migration."""


class SchemaUnknown(SchemaError):
    """The database's schema is at a revision this code does not know (a newer release's)."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str | None:
    return _script().get_current_head()


def _known_revisions() -> frozenset[str]:
    return frozenset(revision.revision for revision in _script().walk_revisions())


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        revision: str | None = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
        return revision


async def database_revisions(engine: AsyncEngine) -> tuple[str, ...]:
    """The revisions in the database's alembic_version table (none when it has none): a read."""
    async with engine.connect() as connection:
        revisions: tuple[str, ...] = await connection.run_sync(
            lambda sync: tuple(MigrationContext.configure(sync).get_current_heads())
        )
        return revisions


def _names(revisions: Iterable[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"


@dataclass(frozen=True)
class SchemaState:
    """Where the database's schema is, against this code's newest migration."""

    database: tuple[str, ...]
    head: str | None
    where: str  # the database, for messages (no password)

    @property
    def unknown(self) -> tuple[str, ...]:
        known = _known_revisions()
        return tuple(revision for revision in self.database if revision not in known)

    @property
    def current(self) -> bool:
        return self.database == (self.head,)

    @property
    def newer(self) -> bool:
        """Migrated by a newer release: a revision this code's migrations do not know."""
        return bool(self.unknown)

    @property
    def behind(self) -> bool:
        return not self.current and not self.newer

    def behind_message(self) -> str:
        if not self.database:
            return f"the ATS database {self.where} has no schema yet: run {MIGRATE_COMMAND}"
        return (
            f"the ATS database {self.where} is behind this help desk (schema revision "
            f"{_names(self.database)}, needs {self.head}): run {MIGRATE_COMMAND}"
        )

    def newer_message(self) -> str:
        return (
            f"the ATS database {self.where} has schema revision {_names(self.unknown)}, newer "
            f"than this help desk knows (its newest is {self.head}); going on, as it only adds "
            "to what this release reads"
        )

    def refusal(self) -> str:
        return (
            f"the ATS database {self.where} has schema revision {_names(self.unknown)}, which "
            f"this help desk does not know (its newest is {self.head}): a newer release migrated "
            "it. Nothing was changed; migrate with that release (this one does not downgrade)"
        )


async def schema_state(engine: AsyncEngine) -> SchemaState:
    return SchemaState(
        await database_revisions(engine),
        head_revision(),
        engine.url.render_as_string(hide_password=True),
    )


async def check_schema(engine: AsyncEngine) -> str | None:
    """Raises SchemaBehind when the database needs `helpdesk ats migrate` first; returns a
    one-line warning when its schema is newer than this code's (which can still use it), and
    None when it is current. Only reads, so a read-only database user can be checked."""
    state = await schema_state(engine)
    if state.behind:
        raise SchemaBehind(state.behind_message())
    return state.newer_message() if state.newer else None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    config = alembic_config()

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def migrate(engine: AsyncEngine) -> SchemaState:
    """`helpdesk ats migrate`: upgrades the schema to this code's newest migration. Refuses
    (SchemaUnknown, nothing changed) a database at a revision it does not know, rather than
    fail inside Alembic or move it backwards. Returns the state it found."""
    state = await schema_state(engine)
    if state.newer:
        raise SchemaUnknown(state.refusal())
    if not state.current:
        await upgrade(engine)
    return state
