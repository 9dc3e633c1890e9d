"""The WhatsApp channel's follow-up for the desk: a recruiter's reply outside the 24-hour window.

The desk (desk/handoff.py, desk/reach.py) asks a channel for its `followup` the way it asks for
its `presence`: when the applicant's window is closed, the reply goes as the approved template
WHATSAPP_FOLLOWUP_TEMPLATE (ats/whatsapp_followups.py), and the desk shows the recruiter the
template's name, what the applicant will read and how long the reply may be.
"""

from __future__ import annotations

from ats.services import services
from ats.settings import WhatsAppSettings
from ats.whatsapp_followups import (
    followup_parameters,
    placeholders,
    room_for_reply,
    send_followup,
    template_language,
)
from speech.catalogue import say

BODY_KEY = "notices.whatsapp_followup.template"
UNNAMED_KEY = "notices.whatsapp_followup.unnamed"


def template_body(language: str | None) -> str:
    """The template's body with Meta's {{1}} … {{3}}, as it is submitted for approval."""
    return say(BODY_KEY, template_language(language), **placeholders())


class FollowUpTemplate:
    """Sends a recruiter's reply as the follow-up template, in the applicant's language."""

    def __init__(self, settings: WhatsAppSettings) -> None:
        self.settings = settings

    @property
    def name(self) -> str:
        return self.settings.followup_template

    def who(self, recruiter: str, language: str | None) -> str:
        """The recruiter's name, or "A recruiter" (an account without a name holds its
        address, which is not for the applicant)."""
        name = recruiter.strip()
        if not name or "@" in name:
            return say(UNNAMED_KEY, template_language(language))
        return name

    def room(self, recruiter: str, employer: str, language: str | None) -> int:
        """How many characters the reply may have."""
        return room_for_reply(template_body(language), self.who(recruiter, language), employer)

    def reads(self, recruiter: str, employer: str, language: str | None) -> str:
        """What the applicant will read, "…" where the reply goes."""
        return say(
            BODY_KEY,
            template_language(language),
            recruiter=self.who(recruiter, language),
            employer=employer,
            reply="…",
        )

    async def send(
        self, conversation: str, recruiter: str, employer: str, text: str, language: str | None
    ) -> None:
        """Raises ats.whatsapp_api.WhatsAppError when Meta refuses (e.g. not approved yet)."""
        parameters = followup_parameters(self.who(recruiter, language), employer, text)
        await send_followup(self.settings, services().store, conversation, language, parameters)
