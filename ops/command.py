"""What every `helpdesk` command shares: exit codes, one-line errors without a traceback, and
the process's services on the ATS database with its schema checked first (never migrated)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

from asyncpg import PostgresError
from sqlalchemy.exc import DBAPIError

from ats.db import UnsupportedDatabase, display_url
from ats.migrate import SchemaError, check_schema
from ats.services import Services
from ats.settings import Settings
from ats.store import ATSStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A failure to report to the operator in one line, without a traceback."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class DatabaseUnreachable(CommandError):
    """No connection to the ATS database (down, or not there yet)."""


def services_for(settings: Settings) -> Services:
    try:
        return Services.create(settings)
    except UnsupportedDatabase as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


async def with_store(
    settings: Settings, work: Callable[[ATSStore], Awaitable[int]], *, schema: bool = True
) -> int:
    return await with_services(settings, lambda services: work(services.store), schema=schema)


async def with_services(
    settings: Settings, work: Callable[[Services], Awaitable[int]], *, schema: bool = True
) -> int:
    """The command's work on the process's services (one store, one mailer), closed after.
    First the database's schema is checked (schema=False: `ats migrate` only), never migrated."""
    services = services_for(settings)
    try:
        if schema:
            await check_database_schema(services.store)
        return await work(services)
    except (OSError, ConnectionError) as exc:
        raise DatabaseUnreachable(
            f"cannot reach the ATS database {display_url(settings.ats_database_url)}: {exc}"
        ) from None
    except DBAPIError as exc:
        raise database_failed(settings, exc.orig) from None
    except PostgresError as exc:  # the driver's own, from the importer's COPY
        raise database_failed(settings, exc) from None
    finally:
        await services.close()


def database_failed(settings: Settings, error: object) -> CommandError:
    hint = ""
    if "permission denied" in str(error):
        hint = " (this command writes; the database user may only read)"
    return CommandError(
        f"the ATS database {display_url(settings.ats_database_url)} failed: {error}{hint}"
    )


async def check_database_schema(store: ATSStore) -> None:
    """Behind (or empty): one line saying to run `helpdesk ats migrate`, exit 1. Newer than
    this release: a warning, and the command goes on (it reads what it knows)."""
    try:
        warning = await check_schema(store.engine)
    except SchemaError as exc:
        raise CommandError(str(exc)) from None
    if warning:
        print(f"helpdesk: warning: {warning}", file=sys.stderr, flush=True)
