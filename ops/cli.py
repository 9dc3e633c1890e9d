"""`helpdesk`: the operator's command line (ATS store, import, demo data, running the servers)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from ats.db import UnsupportedDatabase, display_url
from ats.demo import APPLICANTS, seed_demo
from ats.importer import ImportFailed, ImportSummary, import_file
from ats.migrate import upgrade
from ats.records import ApplicationRecord
from ats.reference import InvalidReference, parse_reference
from ats.rows import UnreadableFile
from ats.services import Services
from ats.settings import ConfigurationError, Settings
from ats.store import ATSStore, utcnow

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A failure to report to the operator in one line, without a traceback."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _services(settings: Settings) -> Services:
    try:
        return Services.create(settings)
    except UnsupportedDatabase as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


async def _with_store(settings: Settings, work: Callable[[ATSStore], Awaitable[int]]) -> int:
    return await _with_services(settings, lambda services: work(services.store))


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[int]]) -> int:
    """The command's work on the process's services (one store, one mailer), closed after."""
    services = _services(settings)
    try:
        return await work(services)
    except (OSError, ConnectionError) as exc:
        raise CommandError(
            f"cannot reach the ATS database {display_url(settings.ats_database_url)}: {exc}"
        ) from None
    except DBAPIError as exc:
        raise CommandError(
            f"the ATS database {display_url(settings.ats_database_url)} failed: {exc.orig}"
        ) from None
    finally:
        await services.close()


async def _migrate(store: ATSStore) -> None:
    await upgrade(store.engine)


# -- ats commands ------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        await _migrate(store)
        print(f"ATS database is up to date: {display_url(settings.ats_database_url)}")
        return EXIT_OK

    return asyncio.run(_with_store(settings, work))


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}", EXIT_USAGE)
    progress = _Progress(enabled=not args.quiet)

    async def work(store: ATSStore) -> int:
        await _migrate(store)
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
        return asyncio.run(_with_store(settings, work))
    except UnreadableFile as exc:
        raise CommandError(f"{exc}; nothing was imported") from None


def _print_summary(path: Path, summary: ImportSummary) -> None:
    print(
        f"{path}: {summary.rows} application(s): {summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged."
    )


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
        await _migrate(store)
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

    return asyncio.run(_with_store(settings, work))


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    try:
        reference = parse_reference(args.reference, lenient=True)
    except InvalidReference as exc:
        raise CommandError(f"{args.reference!r} is not a reference: {exc}", EXIT_USAGE) from None

    async def work(store: ATSStore) -> int:
        await _migrate(store)
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

    return asyncio.run(_with_store(settings, work))


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    import aiohttp

    from ats.sync.mapping import load_mapping
    from ats.sync.pull import SyncFailed, pull, puller, state_path

    source = puller(args.ats)
    if source is None:
        raise CommandError(f"no pull sync for {args.ats} yet", EXIT_USAGE)
    api_key = os.environ.get(source.API_KEY_VARIABLE, "").strip()
    if not api_key:
        raise CommandError(f"set {source.API_KEY_VARIABLE} first", EXIT_USAGE)
    api_url = os.environ.get(source.API_URL_VARIABLE, "").strip() or None

    def shown(summary) -> None:
        print(
            f"  page {summary.pages}: {summary.applications} application(s) so far",
            file=sys.stderr,
            flush=True,
        )

    async def work(store: ATSStore) -> int:
        await _migrate(store)
        try:
            summary = await pull(
                store,
                settings,
                load_mapping(args.ats),
                source,
                api_key=api_key,
                api_url=api_url,
                restart=args.restart,
                progress=shown,
            )
        except (SyncFailed, OSError, aiohttp.ClientError, ValueError) as exc:
            print(
                f"helpdesk: the sync stopped: {exc}. Run it again to resume "
                f"(where it got to is in {state_path(source.SOURCE)}).",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print(
            f"{args.ats}: {summary.applications} application(s) in {summary.pages} page(s); "
            f"{summary.skipped} skipped (prospects, incomplete, or older than a web hook)."
        )
        return EXIT_OK

    return asyncio.run(_with_store(settings, work))


def cmd_overdue(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        await _migrate(store)
        overdue = await store.list_overdue(limit=args.limit)
        for item in overdue:
            app = item.application
            print(
                f"{app.reference}  {item.reason.value:<15} due {_local(item.due_at, settings)}  "
                f"{app.vacancy.title}  recruiter {app.recruiter.name}"
            )
        print(f"{len(overdue)} overdue application(s).")
        return EXIT_OK

    return asyncio.run(_with_store(settings, work))


def cmd_mail_flush(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        await _migrate(services.store)
        sent = await services.mailer.deliver_pending()
        print(f"{sent} queued mail(s) sent.")
        return EXIT_OK

    return asyncio.run(_with_services(settings, work))


def cmd_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from ats.telegram_api import set_webhook
    from speech.catalogue import telegram_menus

    try:
        url = asyncio.run(set_webhook(settings.telegram, telegram_menus()))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    except Exception as exc:  # Telegram refused, or could not be reached
        raise CommandError(f"Telegram did not take the webhook: {exc}") from None
    print(f"Telegram will post updates to {url} (with the secret token).")
    return EXIT_OK


def cmd_telegram_poll(args: argparse.Namespace, settings: Settings) -> int:
    from ats.telegram_api import poll

    port = settings.servers.rasa_port
    local = args.webhook or f"http://localhost:{port}/webhooks/telegram/webhook"
    print(f"Polling Telegram and forwarding updates to {local}; Ctrl-C to stop.", flush=True)
    try:
        count = asyncio.run(poll(settings.telegram, local, once=args.once))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    print(f"{count} update(s) forwarded.")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.sweep import describe, sweep_every, sweeper_for

    async def work(services: Services) -> int:
        await _migrate(services.store)
        if args.loop:
            minutes = args.every or settings.sweep_minutes or 15
            print(f"Sweeping every {minutes} minute(s); Ctrl-C to stop.", flush=True)
            await sweep_every(services, minutes, port=args.port)
        report = await (await sweeper_for(services)).sweep()
        print(f"Sweep: {describe(report)}")
        return EXIT_OK

    return asyncio.run(_with_services(settings, work))


def _minutes(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of minutes") from None
    if value < 1:
        raise argparse.ArgumentTypeError("sweep at least every minute")
    return value


def desk_url(settings: Settings) -> str:
    return settings.public_base_url


def cmd_desk_add_recruiter(args: argparse.Namespace, settings: Settings) -> int:
    from ats.verification import secret_key
    from desk.accounts import DeskAccounts

    async def work(store: ATSStore) -> int:
        await _migrate(store)
        accounts = DeskAccounts(store, secret_key(settings))
        try:
            token = await accounts.add_recruiter(args.email, args.name, admin=args.admin)
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
        role = "admin" if args.admin else "recruiter"
        print(f"Desk account for {args.email.lower()} ({role}). Send them this link to set a")
        print(f"password (it works once, for 72 hours): {desk_url(settings)}/desk/password/{token}")
        return EXIT_OK

    return asyncio.run(_with_store(settings, work))


def cmd_desk_invite(args: argparse.Namespace, settings: Settings) -> int:
    from ats.verification import secret_key
    from desk.accounts import DeskAccounts

    async def work(store: ATSStore) -> int:
        await _migrate(store)
        links = await DeskAccounts(store, secret_key(settings)).invite_all()
        for email, token in links.items():
            print(f"{email}: {desk_url(settings)}/desk/password/{token}")
        print(f"{len(links)} set-password link(s); each works once, for 72 hours.")
        return EXIT_OK

    return asyncio.run(_with_store(settings, work))


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


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpdesk",
        description="Operate the candidate help desk. The ATS database comes from "
        "ATS_DATABASE_URL (default: SQLite under var/).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="start the action server and the Rasa server (what `make run` does)"
    )
    run.add_argument("--no-train", action="store_true", help="use the latest trained model")
    run.add_argument(
        "--rasa-servers",
        type=_count,
        default=None,
        help="Rasa servers behind a load balancer (needs HELPDESK_TRACKER_STORE_URL and "
        "HELPDESK_REDIS_URL when more than 1; default HELPDESK_RASA_SERVERS or 1)",
    )
    run.add_argument(
        "--action-servers",
        type=_count,
        default=None,
        help="action servers behind a load balancer (default HELPDESK_ACTION_SERVERS or 1)",
    )
    run.set_defaults(handler=_cmd_run)

    serve = commands.add_parser(
        "serve", help="run one server in the foreground (containers; see docs/deploy.md)"
    )
    serve.add_argument("server", choices=["rasa", "actions"])
    serve.add_argument("--port", type=int, help="default 5005 for rasa, 5055 for actions")
    serve.set_defaults(handler=cmd_serve)

    train = commands.add_parser("train", help="train the model when it is missing or outdated")
    train.set_defaults(handler=cmd_train)

    ats = commands.add_parser("ats", help="the ATS store: migrate, import, demo, show, overdue")
    ats_commands = ats.add_subparsers(dest="ats_command", metavar="ATS_COMMAND", required=True)

    migrate = ats_commands.add_parser("migrate", help="create or upgrade the ATS database schema")
    migrate.set_defaults(handler=cmd_migrate)

    imp = ats_commands.add_parser(
        "import",
        help="import applications from a CSV or JSON file",
        description="Import applications from a CSV file (header row, comma or semicolon) or "
        "a JSON list of objects with the same fields. A file with any bad row imports "
        "nothing; every bad row is listed. Importing the same file again changes nothing.",
    )
    imp.add_argument("file", metavar="FILE", help="the CSV or JSON file")
    imp.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    imp.set_defaults(handler=cmd_import)

    demo = ats_commands.add_parser("demo", help="seed the ATS with realistic demo applications")
    demo.add_argument(
        "--if-empty", action="store_true", help="only when the ATS holds no applications yet"
    )
    demo.set_defaults(handler=cmd_demo)

    show = ats_commands.add_parser("show", help="show one application and its status history")
    show.add_argument("reference", metavar="REFERENCE", help="for example AP-7K3M-9XQ2")
    show.set_defaults(handler=cmd_show)

    overdue = ats_commands.add_parser(
        "overdue", help="list applications past their acknowledgement or update deadline"
    )
    overdue.add_argument("--limit", type=int, default=None, help="show at most this many")
    overdue.set_defaults(handler=cmd_overdue)
    sync = ats_commands.add_parser(
        "sync",
        help="pull applications from the ATS's API (first load, or catching up)",
        description="Pull every candidate and application from the ATS's API, page by page. "
        "An interrupted sync resumes where it stopped; a finished one makes the next ask only "
        "for what changed since. The API key comes from the environment (Greenhouse: "
        "GREENHOUSE_API_KEY, a Harvest API key; see the README).",
    )
    sync.add_argument("ats", choices=["greenhouse", "lever", "recruitee", "workable"])
    sync.add_argument("--restart", action="store_true", help="start over from the first page")
    sync.set_defaults(handler=cmd_sync)

    mail = commands.add_parser("mail", help="outgoing mail: send what is still queued")
    mail_commands = mail.add_subparsers(dest="mail_command", metavar="MAIL_COMMAND", required=True)
    flush = mail_commands.add_parser(
        "flush", help="send every queued mail that could not be sent before (SMTP down, ...)"
    )
    flush.set_defaults(handler=cmd_mail_flush)

    telegram = commands.add_parser("telegram", help="the Telegram channel: webhook or polling")
    telegram_commands = telegram.add_subparsers(
        dest="telegram_command", metavar="TELEGRAM_COMMAND", required=True
    )
    webhook = telegram_commands.add_parser(
        "set-webhook",
        help="register TELEGRAM_WEBHOOK_URL with Telegram, with TELEGRAM_WEBHOOK_SECRET",
    )
    webhook.set_defaults(handler=cmd_telegram_set_webhook)
    polling = telegram_commands.add_parser(
        "poll", help="long-poll Telegram and forward updates to the local webhook (no public URL)"
    )
    polling.add_argument("--webhook", help="the local webhook URL (default: the Rasa server's)")
    polling.add_argument("--once", action="store_true", help="forward what is waiting, then stop")
    polling.set_defaults(handler=cmd_telegram_poll)

    sweep = commands.add_parser(
        "sweep",
        help="escalate every overdue application, tell its applicant and send recruiter digests",
    )
    sweep.add_argument("--loop", action="store_true", help="keep sweeping (what `make run` does)")
    sweep.add_argument(
        "--every",
        type=_minutes,
        metavar="MINUTES",
        help="with --loop (default HELPDESK_SWEEP_MINUTES)",
    )
    sweep.add_argument(
        "--port",
        type=int,
        metavar="PORT",
        help="with --loop: serve GET /health and GET /metrics on this port",
    )
    sweep.set_defaults(handler=cmd_sweep)

    desk = commands.add_parser("desk", help="the recruiters' desk: accounts")
    desk_commands = desk.add_subparsers(dest="desk_command", metavar="DESK_COMMAND", required=True)
    add = desk_commands.add_parser(
        "add-recruiter", help="give a recruiter a desk login; prints their set-password link"
    )
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--name", help="their name, when they are not in the ATS yet")
    add.add_argument("--admin", action="store_true", help="sees every escalation and the audit log")
    add.set_defaults(handler=cmd_desk_add_recruiter)
    invite = desk_commands.add_parser(
        "invite", help="set-password links for every recruiter in the ATS without a password"
    )
    invite.set_defaults(handler=cmd_desk_invite)
    return parser


def _count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"{value} servers: give 1 to 32")
    return value


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from ops.run import Topology, run

    return run(
        settings,
        train_model=not args.no_train,
        topology=Topology(
            args.rasa_servers or settings.servers.rasa_servers,
            args.action_servers or settings.servers.action_servers,
        ),
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """One server, replacing this process, so that signals from a container runtime reach it."""
    from ats.settings import PROJECT_ROOT
    from ops.model import ensure_model
    from ops.run import rasa_server_command
    from server.endpoints import write_endpoints

    os.chdir(PROJECT_ROOT)
    if args.server == "actions":
        from server.action_server import main as serve_actions

        serve_actions(settings, args.port or settings.servers.actions_port)
        return EXIT_OK
    endpoints, secrets = write_endpoints(settings)
    port = args.port or settings.servers.rasa_port
    command = rasa_server_command(ensure_model(), port, endpoints)
    os.execve(command[0], command, {**os.environ, **secrets})
    return EXIT_FAILED  # not reached


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from ops.model import ensure_model

    print(f"Model: {ensure_model(quiet=False)}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return args.handler(args, settings)
    except ConfigurationError as exc:
        print(f"helpdesk: configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


def console() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console()
