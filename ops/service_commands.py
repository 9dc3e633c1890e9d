"""`helpdesk` commands that run the help desk or act on its services: the servers (`run`,
`serve`, `train`), the outbox, Telegram's web hook and polling bridge, the deadline monitor's
sweep, and recruiters' desk accounts."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace

from ats.inbound_mail import start_inbound_mail
from ats.migrate import SchemaError
from ats.services import Services
from ats.settings import PROJECT_ROOT, Settings
from ats.store import ATSStore
from ats.telegram_api import poll, set_webhook
from ats.verification import secret_key
from desk.accounts import DeskAccounts
from monitor.sweep import describe as describe_sweep
from monitor.sweep import sweep_every, sweeper_for
from ops.command import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    DatabaseUnreachable,
    with_services,
    with_store,
)
from ops.model import ensure_model
from ops.run import Topology, rasa_server_command, run
from server.endpoints import write_endpoints
from speech.catalogue import telegram_menus


def cmd_mail_flush(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        sent = await services.mailer.deliver_pending()
        print(f"{sent} queued mail(s) sent.")
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def cmd_mail_receive(args: argparse.Namespace, settings: Settings) -> int:
    """Run the inbound SMTP server that files applicants' email replies in their escalation."""
    port = args.port or settings.inbound_smtp_port
    if not port or not settings.inbound_domain:
        raise CommandError(
            "set HELPDESK_INBOUND_DOMAIN and HELPDESK_INBOUND_SMTP_PORT (or --port) first",
            EXIT_USAGE,
        )

    async def work(services: Services) -> int:
        try:
            server = await start_inbound_mail(services.store, settings, port=port)
        except OSError as exc:  # the port is taken, or not ours to bind
            raise CommandError(f"cannot listen on port {port}: {exc}") from None
        print(
            f"Taking replies to reply+…@{settings.inbound_domain} over SMTP on "
            f"{settings.inbound_smtp_host}:{port}; Ctrl-C to stop.",
            flush=True,
        )
        async with server:
            await server.serve_forever()
        return EXIT_OK

    try:
        return asyncio.run(with_services(settings, work))
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    try:
        url = asyncio.run(set_webhook(settings.telegram, telegram_menus()))
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    except Exception as exc:  # Telegram refused, or could not be reached
        raise CommandError(f"Telegram did not take the webhook: {exc}") from None
    print(f"Telegram will post updates to {url} (with the secret token).")
    return EXIT_OK


def cmd_telegram_poll(args: argparse.Namespace, settings: Settings) -> int:
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
    async def work(services: Services) -> int:
        if args.loop:
            minutes = args.every or settings.sweep_minutes or 15
            print(f"Sweeping every {minutes} minute(s); Ctrl-C to stop.", flush=True)
            await sweep_every(services, minutes, port=args.port)
        report = await (await sweeper_for(services)).sweep()
        print(f"Sweep: {describe_sweep(report)}")
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def whole_minutes(raw: str) -> int:
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
    async def work(store: ATSStore) -> int:
        accounts = DeskAccounts(store, secret_key(settings))
        try:
            token = await accounts.add_recruiter(args.email, args.name, admin=args.admin)
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
        role = "admin" if args.admin else "recruiter"
        print(f"Desk account for {args.email.lower()} ({role}). Send them this link to set a")
        print(f"password (it works once, for 72 hours): {desk_url(settings)}/desk/password/{token}")
        if not args.name:
            # never "you" for you@example.com: the address until they give their name
            print("They give their name on that page (applicants see it when they join a chat).")
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def cmd_desk_invite(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: ATSStore) -> int:
        links = await DeskAccounts(store, secret_key(settings)).invite_all()
        for email, token in links.items():
            print(f"{email}: {desk_url(settings)}/desk/password/{token}")
        print(f"{len(links)} set-password link(s); each works once, for 72 hours.")
        return EXIT_OK

    return asyncio.run(with_store(settings, work))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return run(
            replace(settings, verbose=True) if args.verbose else settings,
            train_model=not args.no_train,
            topology=Topology(
                args.rasa_servers or settings.servers.rasa_servers,
                args.action_servers or settings.servers.action_servers,
            ),
        )
    except SchemaError as exc:
        raise CommandError(str(exc)) from None


def _check_database(settings: Settings) -> None:
    """A server refuses to start on a schema behind its code (before it loads or trains). One
    that cannot reach the database starts as before: its /health says so until it can."""

    async def nothing(store: ATSStore) -> int:
        return EXIT_OK

    try:
        asyncio.run(with_store(settings, nothing))
    except DatabaseUnreachable as exc:
        print(f"helpdesk: warning: {exc}; starting anyway", file=sys.stderr, flush=True)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """One server, replacing this process, so that signals from a container runtime reach it."""
    os.chdir(PROJECT_ROOT)
    _check_database(settings)
    if args.server == "actions":
        # imported here: they load sanic and rasa_sdk's server, which no other command needs; the
        # warning filters first, as the libraries warn while they are imported
        from server.quiet import quiet_third_party

        quiet_third_party(settings.verbose)
        from server.action_server import main as serve_actions

        serve_actions(settings, args.port or settings.servers.actions_port)
        return EXIT_OK
    endpoints, secrets = write_endpoints(settings)
    port = args.port or settings.servers.rasa_port
    command = rasa_server_command(ensure_model(), port, endpoints)
    os.execve(command[0], command, {**os.environ, **secrets})
    return EXIT_FAILED  # not reached


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Model: {ensure_model(quiet=False)}")
    return EXIT_OK
