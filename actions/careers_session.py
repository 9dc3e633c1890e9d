"""Applicants logged in on the careers site: their signed session stands in for a code.

The web chat channel checks the careers site's token (channels/webchat.py) and passes on only
the outcome: the subject (an email address or an application reference) of a valid token, or
why a token was refused. A valid one makes the subject's applications verified in this
conversation; a refused one is said once, and the applicant proves who they are with a code.
"""

from __future__ import annotations

from actions.ats.reference import InvalidReference, parse_reference
from actions.conversation import Turn

WEBCHAT = "socketio"
# The keys channels/webchat.py sets (not imported: that module loads Rasa, 2 s, for nothing).
IDENTITY = "webchat_identity"
REFUSED = "webchat_token_refused"


async def recall_careers_session(turn: Turn) -> str | None:
    """Verify a logged-in applicant; returns a notice to say after the answer, if any."""
    if turn.tracker.get_latest_input_channel() != WEBCHAT:
        return None
    metadata = turn.tracker.latest_message.get("metadata") or {}
    identity = metadata.get(IDENTITY)
    refused = metadata.get(REFUSED)
    if isinstance(identity, dict) and isinstance(identity.get("subject"), str):
        references = await _references_of(turn, identity["subject"])
        verified = sorted(set(turn.verified()) | set(references))
        if verified != sorted(turn.verified()):
            turn.set("verified_references", verified)
    elif isinstance(refused, str) and turn.slot("careers_session_notice") != refused:
        # Said once per reason, not under every answer of the conversation.
        turn.set("careers_session_notice", refused)
        return "careers_session_refused"
    return None


async def _references_of(turn: Turn, subject: str) -> list[str]:
    store = turn.services.store
    if "@" in subject:
        turn.set("pending_email", subject.lower())
        return [a.reference for a in await store.find_applications_by_email(subject)]
    try:
        application = await store.find_application(parse_reference(subject))
    except InvalidReference:
        return []
    if application is None:
        return []
    turn.set("pending_email", application.candidate.email)
    return [application.reference]
