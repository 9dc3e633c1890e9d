"""A recruiter's reply to a WhatsApp applicant who has not written for 24 hours.

Outside Meta's customer-service window only an approved template may be sent, so the desk's
reply goes as WHATSAPP_FOLLOWUP_TEMPLATE in the applicant's language, the recruiter's words its
last body parameter ("{{1}} of {{2}} has answered your question: {{3}} …", the bodies in the
catalogue, printed by `helpdesk whatsapp templates`). When the applicant answers, the window is
open again and the chat carries on as usual.

Meta's rules shape the parameters: no line breaks, tabs or more than four spaces in a row
(error 132018), and the body with its parameters filled in at most 1,024 characters
(`room_for_reply` says how many are left for the reply; the desk refuses a longer one).
"""

from __future__ import annotations

from ats.settings import WhatsAppSettings
from ats.store import ATSStore
from ats.whatsapp_api import WhatsAppClient, number_of
from ats.whatsapp_store import remember_sent

FOLLOWUP_PARAMETERS = ("recruiter", "employer", "reply")  # {{1}} … {{3}}, in this order
TEMPLATE_LANGUAGES = ("en", "nl")  # Meta's codes for the catalogue's languages
MAX_BODY = 1024  # a template's body, its parameters filled in


def one_line(text: str) -> str:
    """The text as a template parameter may hold it: its lines joined, spaces collapsed."""
    return " ".join(text.split())


def template_language(language: str | None) -> str:
    return language if language in TEMPLATE_LANGUAGES else "en"


def placeholders() -> dict[str, str]:
    """{"recruiter": "{{1}}", …}: to write a template's body with Meta's placeholders."""
    return {name: f"{{{{{n}}}}}" for n, name in enumerate(FOLLOWUP_PARAMETERS, start=1)}


def followup_parameters(recruiter: str, employer: str, reply: str) -> list[str]:
    return [one_line(recruiter), one_line(employer), one_line(reply)]


def room_for_reply(body: str, recruiter: str, employer: str) -> int:
    """How many characters of reply fit in the template `body` (with {{1}} … {{3}}) when
    {{1}} and {{2}} are filled in."""
    names = placeholders()
    filled = (
        body.replace(names["recruiter"], one_line(recruiter))
        .replace(names["employer"], one_line(employer))
        .replace(names["reply"], "")
    )
    return max(0, MAX_BODY - len(filled))


async def send_followup(
    settings: WhatsAppSettings,
    store: ATSStore,
    conversation: str,
    language: str | None,
    parameters: list[str],
) -> str:
    """Send the follow-up template to a conversation's number ("wa-<wa_id>"); its message id.
    Meta's refusal (a template not approved yet, 132001) is raised as a WhatsAppError."""
    client = WhatsAppClient(settings)
    message_id = await client.send_template(
        number_of(conversation), settings.followup_template, template_language(language), parameters
    )
    # what the applicant reads is the reply: a failed status keeps it as undelivered
    await remember_sent(store, [message_id], conversation, parameters[-1])
    return message_id
