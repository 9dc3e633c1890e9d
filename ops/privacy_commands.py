"""`helpdesk privacy`: the retention purge for cron, and an applicant's data exported or
erased by an operator (the desk's admins have the same on the "Personal data" page)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ats.privacy.erasure import Eraser
from ats.privacy.export import export_applicant
from ats.privacy.retention import RetentionPurge
from ats.privacy.trackers import TrackerEvents
from ats.services import Services
from ats.settings import Settings
from ops.command import EXIT_FAILED, EXIT_OK, EXIT_USAGE, with_services


def cmd_privacy_purge(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        purge = RetentionPurge(services.store, settings, mailer=services.mailer)
        report = await purge.run(dry_run=args.dry_run)
        print(f"Retention purge: {report.describe()}.")
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def cmd_privacy_export(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        url = settings.servers.tracker_store_url
        trackers = TrackerEvents(url) if url else None
        try:
            export = await export_applicant(services.store, args.email, trackers)
        finally:
            if trackers is not None:
                await trackers.close()
        if export is None:
            print(f"helpdesk: no applicant with the address {args.email}", file=sys.stderr)
            return EXIT_FAILED
        if args.out:
            await asyncio.to_thread(
                Path(args.out).write_text, export.to_json() + "\n", encoding="utf-8"
            )
            print(f"Written to {args.out}.")
        else:
            print(export.to_json())
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def cmd_privacy_erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        print(
            "helpdesk: erasing cannot be undone; add --yes to erase everything the help desk "
            f"holds about {args.email}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    async def work(services: Services) -> int:
        erased = await Eraser(services.store, settings, mailer=services.mailer).erase_applicant(
            args.email, actor="helpdesk privacy erase"
        )
        if erased is None:
            print(f"helpdesk: no applicant with the address {args.email}", file=sys.stderr)
            return EXIT_FAILED
        print(f"Erased {erased.describe()}.")
        print(
            "The ATS is the employer's system of record: make the same request there, or the "
            "next import brings back any application it still holds as active."
        )
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def add_privacy_commands(commands: argparse._SubParsersAction) -> None:
    privacy = commands.add_parser(
        "privacy", help="personal data: the retention purge, an applicant's export or erasure"
    )
    privacy_commands = privacy.add_subparsers(
        dest="privacy_command", metavar="PRIVACY_COMMAND", required=True
    )
    purge = privacy_commands.add_parser(
        "purge",
        help="erase what is past its retention period (the deadline monitor does this too)",
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    purge.set_defaults(handler=cmd_privacy_purge)
    export = privacy_commands.add_parser(
        "export", help="everything held about the applicant with this address, as JSON"
    )
    export.add_argument("email", metavar="EMAIL")
    export.add_argument("--out", metavar="FILE", help="write it here instead of to stdout")
    export.set_defaults(handler=cmd_privacy_export)
    erase = privacy_commands.add_parser(
        "erase", help="erase everything held about the applicant with this address"
    )
    erase.add_argument("email", metavar="EMAIL")
    erase.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    erase.set_defaults(handler=cmd_privacy_erase)
