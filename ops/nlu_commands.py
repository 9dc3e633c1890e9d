"""`helpdesk nlu export`: the messages admins reviewed in the desk's review inbox, as Rasa NLU
training data to read and commit under data/nlu/ (`make train` then learns from them).

Only confirmed and corrected messages are written, masked as they are kept; each is written
once (`--all` writes those exported before too). Without `--out` the YAML goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ats.nlu_export import nlu_yaml
from ats.review import examples, mark_exported
from ats.services import Services
from ats.settings import Settings
from ats.store_basics import utcnow
from ops.command import EXIT_OK, with_services


def cmd_nlu_export(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> int:
        found = await examples(services.store, include_exported=args.all)
        if not found:
            print("No reviewed messages to export.", file=sys.stderr)
            return EXIT_OK
        text = nlu_yaml(found)
        if args.out:
            await asyncio.to_thread(Path(args.out).write_text, text, encoding="utf-8")
            print(f"{len(found)} example(s) written to {args.out}.", file=sys.stderr)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        # after they were written: a failed write leaves them for the next export
        await mark_exported(services.store, [example.id for example in found], utcnow())
        return EXIT_OK

    return asyncio.run(with_services(settings, work))


def add_nlu_commands(commands: argparse._SubParsersAction) -> None:
    nlu = commands.add_parser(
        "nlu", help="language understanding: the examples reviewed in the desk"
    )
    nlu_commands = nlu.add_subparsers(dest="nlu_command", metavar="NLU_COMMAND", required=True)
    export = nlu_commands.add_parser(
        "export",
        help="the messages reviewed in the desk's review inbox as Rasa NLU YAML (masked), "
        "to read and commit under data/nlu/",
    )
    export.add_argument("--out", metavar="FILE", help="write it here instead of to stdout")
    export.add_argument("--all", action="store_true", help="also the examples exported before")
    export.set_defaults(handler=cmd_nlu_export)
