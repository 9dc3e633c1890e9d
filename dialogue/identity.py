"""Who a conversation has proven to be, decided on the server for every message.

Three ways, none of them the conversation's slots (the action server is sent those by its
caller, and they outlive a shared computer's user):
- a one-time code typed in this conversation (ats/proofs.py), while it stays active;
- a Telegram chat linked to the applicant earlier (a code typed there, or a one-time deep link);
- the careers site's signed login, which the web chat channel checks on every message and passes
  on as trusted metadata; it counts for that message only, and not past the token's expiry.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from ats.reference import InvalidReference, parse_reference
from ats.services import Services

logger = logging.getLogger(__name__)

TELEGRAM = "telegram"
WHATSAPP = "whatsapp"
# Channels whose conversation is a person's own chat or number, linked once they have verified.
LINKED_CHANNELS = (TELEGRAM, WHATSAPP)
WEBCHAT = "socketio"
# Set by the channels only (channels/webchat.py, channels/rest.py), never taken from a client.
CAREERS_IDENTITY = "webchat_identity"
CAREERS_REFUSED = "webchat_token_refused"
CLIENT = "helpdesk_client"


@dataclass(frozen=True)
class Identity:
    """The applications this message may see, and the address on file they belong to."""

    references: tuple[str, ...] = ()
    email: str | None = None
    # why a careers-site login was refused, to say once
    careers_refused: str | None = None


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or ""


def client_of(tracker: Tracker) -> str:
    """Who is asking, for limits: the channel's keyed hash of the client's address, else the
    conversation itself (a Telegram chat is its own client)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get(CLIENT)
    if isinstance(client, str) and 0 < len(client) <= 64:
        return f"ip-{client}"
    seed = f"{channel_of(tracker)}:{tracker.sender_id}".encode()
    return f"chat-{hashlib.sha256(seed).hexdigest()[:32]}"


async def recall_identity(tracker: Tracker, services: Services) -> Identity:
    """Who this message comes from, as far as the server knows; nobody while the ATS store
    cannot be asked (the safe side: nothing is disclosed, and what needs the store says so)."""
    try:
        return await _recall(tracker, services)
    except Exception as error:
        logger.warning("who is chatting could not be looked up: %s", type(error).__name__)
        return Identity()


async def _recall(tracker: Tracker, services: Services) -> Identity:
    channel = channel_of(tracker)
    proven = await services.verifier.proven(tracker.sender_id, channel, client_of(tracker))
    references, email = set(proven.references), proven.email
    if channel in LINKED_CHANNELS:
        linked = await services.links.linked_applicant(channel, tracker.sender_id)
        if linked is not None:
            references |= set(linked.references)
            email = email or linked.email
    refused = None
    if channel == WEBCHAT:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        subject = careers_subject(metadata.get(CAREERS_IDENTITY))
        if subject:
            found, address = await _applications_of(services, subject)
            references |= set(found)
            email = email or address
        elif isinstance(metadata.get(CAREERS_REFUSED), str):
            refused = metadata[CAREERS_REFUSED]
    return Identity(tuple(sorted(references)), email, refused)


def careers_subject(identity: Any) -> str | None:
    """The subject of a careers-site login the channel checked, unless it has expired since."""
    if not isinstance(identity, dict) or not isinstance(identity.get("subject"), str):
        return None
    expires = identity.get("expires_at")
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        if datetime.fromtimestamp(expires, timezone.utc) <= datetime.now(timezone.utc):
            return None
    return identity["subject"].strip() or None


async def _applications_of(services: Services, subject: str) -> tuple[list[str], str | None]:
    store = services.store
    if "@" in subject:
        applications = await store.find_applications_by_email(subject)
        return [a.reference for a in applications], (
            applications[0].candidate.email if applications else None
        )
    try:
        application = await store.find_application(parse_reference(subject))
    except InvalidReference:
        return [], None
    if application is None:
        return [], None
    return [application.reference], application.candidate.email
