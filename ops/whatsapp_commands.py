"""`helpdesk whatsapp templates`: the message templates to submit to Meta for approval.

Outside the 24-hour window Meta delivers only approved templates; this prints, per template and
language, the name, language code, category and body (with Meta's {{1}} … placeholders) to
enter in WhatsApp Manager → Message templates: the deadline monitor's late notice
(WHATSAPP_NOTICE_TEMPLATE) and a recruiter's reply from the desk (WHATSAPP_FOLLOWUP_TEMPLATE).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ats.settings import Settings, WhatsAppSettings
from ats.whatsapp_followups import FOLLOWUP_PARAMETERS
from ats.whatsapp_notices import TEMPLATE_KEY, TEMPLATE_LANGUAGES
from channels.whatsapp_followup import template_body
from monitor.notices import WHATSAPP_PARAMETERS
from ops.command import EXIT_OK
from speech.catalogue import say


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body: str
    parameters: tuple[str, ...]  # what {{1}}, {{2}} … hold, in order


def template_bodies(settings: WhatsAppSettings) -> list[Template]:
    """Each template the help desk sends, in each language."""
    placeholders = {name: f"{{{{{n}}}}}" for n, name in enumerate(WHATSAPP_PARAMETERS, start=1)}
    notice, followup = settings.notice_template, settings.followup_template
    return [
        Template(notice, code, say(TEMPLATE_KEY, code, **placeholders), WHATSAPP_PARAMETERS)
        for code in TEMPLATE_LANGUAGES
    ] + [
        Template(followup, code, template_body(code), FOLLOWUP_PARAMETERS)
        for code in TEMPLATE_LANGUAGES
    ]


def cmd_whatsapp_templates(args: argparse.Namespace, settings: Settings) -> int:
    for template in template_bodies(settings.whatsapp):
        print(
            f"name: {template.name}\nlanguage: {template.language}\ncategory: UTILITY\n"
            f"body:\n{template.body}\n"
            f"parameters, in order: {', '.join(template.parameters)}\n"
        )
    return EXIT_OK
