"""Late notices on WhatsApp, for the deadline monitor: free-form inside the 24-hour window,
else as the approved template WHATSAPP_NOTICE_TEMPLATE in the applicant's language.

A notice is the monitor's own initiative, so the applicant has often not written for a day:
Meta then takes only a template, approved beforehand (`helpdesk whatsapp templates` prints the
bodies to submit). The template's body parameters, in order: the applicant's first name, the
vacancy, the reference, the recruiter, and when they will be in touch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ats.settings import WhatsAppSettings
from ats.store import ATSStore
from ats.whatsapp_api import WhatsAppClient, number_of
from ats.whatsapp_store import remember_sent, window_open

TEMPLATE_LANGUAGES = ("en", "nl")  # Meta's codes for the catalogue's languages
TEMPLATE_KEY = "notices.overdue.whatsapp_template"  # its body, with {{1}} … {{5}}

NoticeSender = Callable[[str, str, Sequence[str], str], Awaitable[None]]


def notice_sender(settings: WhatsAppSettings, store: ATSStore) -> NoticeSender | None:
    """An async (conversation, text, template parameters, language) sender (a linked chat's
    id is its conversation, "wa-<wa_id>"); None when WhatsApp is
    off. A final failure raises (the monitor tries again at a later sweep)."""
    if not settings.enabled or not settings.phone_number_id:
        return None
    client = WhatsAppClient(settings)

    async def send(conversation: str, text: str, parameters: Sequence[str], language: str) -> None:
        wa_id = number_of(conversation)
        if await window_open(store, conversation):
            ids = await client.send_text(wa_id, text)
        else:
            code = language if language in TEMPLATE_LANGUAGES else "en"
            ids = [await client.send_template(wa_id, settings.notice_template, code, parameters)]
        await remember_sent(store, ids, conversation, text)

    return send
