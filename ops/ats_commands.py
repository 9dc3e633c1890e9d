"""`helpdesk ats ...`: the ATS store's schema, imports, demo data, one application, the live
sync's pull and what is overdue."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

import aiohttp

from ats.db import display_url
from ats.demo import APPLICANTS, seed_demo
from ats.import_report import ImportFailed, ImportSummary
from ats.importer import import_file
from ats.migrate import SchemaError
from ats.migrate import migrate as migrate_schema
from ats.records import ApplicationRecord
from ats.reference import InvalidReference, parse_reference
from ats.rows import UnreadableFile
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.mapping import load_mapping
from ats.sync.pull import PullSummary, SyncFailed, pull, state_path
from ats.sync.registry import adapter
from ops.command import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    with_store,
)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        try:
            await migrate_schema(store.engine)
        except SchemaError as exc:
            raise CommandError(str(exc)) from None
        print(f"ATS database is up to date: {display_url(settings.ats_database_url)}")
        return EXIT_OK

    return asyncio.run(with_store(settings, work, schema=False))


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}", EXIT_USAGE)
    progress = _Progress(enabled=not args.quiet)

    async def work(store: ATSStore) -> int:
        try:
            summary = await import_file(
                store, path, settings, actor=f"import {path.name}", progress=progress
            )
        except ImportFailed as failure:
            print(
                f"{path}: {len(failure.errors)} problem(s); nothing was imported.", file=sys.stderr
            )
            for error in failure.errors:
                print(f"  {error}", file=sys.stderr)
            return EXIT_FAILED
        _print_summary(path, summary)
        return EXIT_OK

    try:
        return asyncio.run(with_store(settings, work))
    except UnreadableFile as exc:
        raise CommandError(f"{exc}; nothing was imported") from None


def _print_summary(path: Path, summary: ImportSummary) -> None:
    print(
        f"{path}: {summary.rows} application(s): {summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged."
    )
    for line in summary.lines():
        print(f"  {line}")


class _Progress:
    """Progress on stderr for large files, at most one line per tenth of the work."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if total:
            if total < 20000:
                return
            tenth = done * 10 // total
            if self.shown.get(stage) == tenth:
                return
            self.shown[stage] = tenth
            print(f"  {stage} {done:,}/{total:,} ({tenth * 10}%)", file=sys.stderr, flush=True)
        else:
            print(f"  {stage} {done:,} rows", file=sys.stderr, flush=True)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        if args.if_empty and await store.count_applications():
            print("The ATS already holds applications; demo data not added.")
            return EXIT_OK
        summary = await seed_demo(store, settings)
        print(
            f"Demo data: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged."
        )
        print("Try these applicants:")
        for applicant in APPLICANTS[:6]:
            print(f"  {applicant.reference}  {applicant.email:<30} {applicant.note}")
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    try:
        reference = parse_reference(args.reference, lenient=True)
    except InvalidReference as exc:
        raise CommandError(f"{args.reference!r} is not a reference: {exc}", EXIT_USAGE) from None

    async def work(store: ATSStore) -> int:
        application = await store.find_application(reference)
        if application is None:
            raise CommandError(f"no application with reference {reference}")
        history = await store.status_history(reference)
        for line in describe(application, settings, utcnow()):
            print(line)
        print("History:")
        for event in history:
            moved = f"{event.from_status.value} -> " if event.from_status else ""
            stage = f" ({event.stage})" if event.stage else ""
            print(
                f"  {_local(event.occurred_at, settings)}  {moved}{event.to_status.value}{stage}"
                f"  by {event.actor} via {event.source}"
            )
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    source = adapter(args.ats)
    if source is None or source.pull is None:
        raise CommandError(f"no pull sync for {args.ats} yet", EXIT_USAGE)
    if not settings.access(source.name).api_key:
        raise CommandError(f"set {source.variables.api_key} first", EXIT_USAGE)

    def shown(summary: PullSummary) -> None:
        print(
            f"  page {summary.pages}: {summary.applications} application(s) so far",
            file=sys.stderr,
            flush=True,
        )

    async def work(store: ATSStore) -> int:
        try:
            summary = await pull(
                store,
                settings,
                load_mapping(source.name, settings.ats_mapping_path),
                source,
                restart=args.restart,
                progress=shown,
            )
        except (SyncFailed, OSError, aiohttp.ClientError, ValueError) as exc:
            print(
                f"helpdesk: the sync stopped: {exc}. Run it again to resume "
                f"(where it got to is in {state_path(settings, source.name)}).",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print(
            f"{args.ats}: {summary.applications} application(s) in {summary.pages} page(s); "
            f"{summary.skipped} skipped (prospects, incomplete, or older than a web hook)."
        )
        if summary.kept_for_desk:
            print(
                f"{summary.kept_for_desk} status(es) not applied: changed in the desk, and "
                f"{args.ats} does not say so yet (the desk shows each one)."
            )
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def cmd_overdue(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        overdue = await store.list_overdue(limit=args.limit)
        for item in overdue:
            app = item.application
            print(
                f"{app.reference}  {item.reason.value:<15} due {_local(item.due_at, settings)}  "
                f"{app.vacancy.title}  recruiter {app.recruiter.name}"
            )
        print(f"{len(overdue)} overdue application(s).")
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def _local(moment: datetime | None, settings: Settings) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M %Z")


def describe(app: ApplicationRecord, settings: Settings, now: datetime) -> list[str]:
    acknowledged = _local(app.acknowledged_at, settings) if app.acknowledged_at else "not yet"
    if app.is_ack_overdue(now):
        acknowledged += "  (OVERDUE)"
    next_update = _local(app.next_update_due_at, settings) if app.next_update_due_at else "-"
    if app.is_update_overdue(now):
        next_update += "  (OVERDUE)"
    stage = f" ({app.stage})" if app.stage else ""
    lines = [
        f"{app.reference}  {app.vacancy.title} [{app.vacancy.code}]",
        f"  Candidate:        {app.candidate.name} <{app.candidate.email}>, "
        f"language {app.candidate.language}",
        f"  Recruiter:        {app.recruiter.name} <{app.recruiter.email}>",
        f"  Applied:          {_local(app.applied_at, settings)}",
        f"  Acknowledge by:   {_local(app.ack_due_at, settings)}",
        f"  Acknowledged:     {acknowledged}",
        f"  Status:           {app.status.value}{stage}",
        f"  Next update due:  {next_update}",
    ]
    if app.close_reason:
        lines.append(f"  Close reason:     {app.close_reason}")
    if app.ats_system:
        lines.append(f"  Source:           {app.ats_system} {app.ats_id}")
    return lines
