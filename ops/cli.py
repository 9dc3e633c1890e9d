"""`helpdesk`: the operator's command line (ATS store, import, demo data, running the servers)."""

from __future__ import annotations

import argparse
import sys

from ats.settings import ConfigurationError, Settings
from ops.ats_commands import cmd_demo, cmd_import, cmd_migrate, cmd_overdue, cmd_show, cmd_sync
from ops.command import EXIT_USAGE, CommandError
from ops.nlu_commands import add_nlu_commands
from ops.privacy_commands import add_privacy_commands
from ops.service_commands import (
    cmd_desk_add_recruiter,
    cmd_desk_invite,
    cmd_mail_flush,
    cmd_mail_receive,
    cmd_run,
    cmd_serve,
    cmd_sweep,
    cmd_telegram_poll,
    cmd_telegram_set_webhook,
    cmd_train,
    whole_minutes,
)
from ops.whatsapp_commands import cmd_whatsapp_templates


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpdesk",
        description="Operate the candidate help desk. The ATS database comes from "
        "ATS_DATABASE_URL (default: SQLite under var/).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="start the action server and the Rasa server (what `make run` does after "
        "`helpdesk ats migrate`); seeds demo data into an empty ATS",
    )
    run.add_argument("--no-train", action="store_true", help="use the latest trained model")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show the libraries' warnings and the training's progress (HELPDESK_VERBOSE=1)",
    )
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
    run.set_defaults(handler=cmd_run)

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

    migrate = ats_commands.add_parser(
        "migrate",
        help="create or upgrade the ATS database schema (the only command that changes it)",
    )
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
    receive = mail_commands.add_parser(
        "receive",
        help="take applicants' email replies into their escalation's thread: an SMTP server "
        "for reply+<token>@HELPDESK_INBOUND_DOMAIN on HELPDESK_INBOUND_SMTP_PORT "
        "(`helpdesk run` starts it when that port is set)",
    )
    receive.add_argument("--port", type=int, help="default HELPDESK_INBOUND_SMTP_PORT")
    receive.set_defaults(handler=cmd_mail_receive)

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

    whatsapp = commands.add_parser("whatsapp", help="the WhatsApp channel: message templates")
    whatsapp_commands = whatsapp.add_subparsers(
        dest="whatsapp_command", metavar="WHATSAPP_COMMAND", required=True
    )
    whatsapp_commands.add_parser(
        "templates", help="print the message templates to submit to Meta for approval"
    ).set_defaults(handler=cmd_whatsapp_templates)

    sweep = commands.add_parser(
        "sweep",
        help="escalate every overdue application, tell its applicant and send recruiter digests",
    )
    sweep.add_argument("--loop", action="store_true", help="keep sweeping (what `make run` does)")
    sweep.add_argument(
        "--every",
        type=whole_minutes,
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
    add_privacy_commands(commands)
    add_nlu_commands(commands)
    return parser


def _count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"{value} servers: give 1 to 32")
    return value


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
