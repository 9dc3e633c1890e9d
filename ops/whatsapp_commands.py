"""`helpdesk whatsapp templates`: the message templates to submit to Meta for approval.

Outside the 24-hour window Meta delivers only approved templates; this prints, per language,
the name, language code, category and body (with Meta's {{1}} … placeholders) to enter in
WhatsApp Manager → Message templates.
"""

from __future__ import annotations

import argparse

from ats.settings import Settings
from ats.whatsapp_notices import TEMPLATE_KEY, TEMPLATE_LANGUAGES
from monitor.notices import WHATSAPP_PARAMETERS
from ops.command import EXIT_OK
from speech.catalogue import say


def template_bodies(settings: Settings) -> list[tuple[str, str, str]]:
    """(name, language code, body) of each template the help desk sends."""
    placeholders = {name: f"{{{{{n}}}}}" for n, name in enumerate(WHATSAPP_PARAMETERS, start=1)}
    name = settings.whatsapp.notice_template
    return [(name, code, say(TEMPLATE_KEY, code, **placeholders)) for code in TEMPLATE_LANGUAGES]


def cmd_whatsapp_templates(args: argparse.Namespace, settings: Settings) -> int:
    for name, code, body in template_bodies(settings):
        print(f"name: {name}\nlanguage: {code}\ncategory: UTILITY\nbody:\n{body}\n")
    print("Parameters, in order: " + ", ".join(WHATSAPP_PARAMETERS) + ".")
    return EXIT_OK
