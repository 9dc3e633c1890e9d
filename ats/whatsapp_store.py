"""What the WhatsApp channel keeps: the messages already handled and the sent ones' statuses.

Meta redelivers a webhook until it gets a 200 and may deliver to any of several servers, so a
message id is recorded before it is handled (`first_time_seen`). Ids are kept as SHA-256: a
wamid encodes the sender's number. A sent message is remembered with its text (`remember_sent`)
so that Meta's later "failed" callback (`record_status`) can keep it as undelivered
(ats/undelivered.py) with Meta's reason. When each number last wrote (`note_inbound`) tells
whether the 24-hour customer-service window is open (`window_open`): outside it Meta takes only
approved templates. The erasure and the retention purge remove these rows.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select

from ats.db import dialect_insert
from ats.models import WhatsAppMessageSeen, WhatsAppSent, WhatsAppWindow
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.undelivered import record_undelivered

CHANNEL = "whatsapp"
STATUSES = ("sent", "delivered", "read", "failed")
WINDOW = timedelta(hours=24)  # Meta's customer-service window after a number last wrote


def message_key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode(errors="surrogateescape")).hexdigest()


async def first_time_seen(store: ATSStore, message_id: str) -> bool:
    """Record an incoming message id; False when it was recorded before (a redelivery)."""
    async with store.session() as session, session.begin():
        result = await session.execute(
            dialect_insert(store.engine)(WhatsAppMessageSeen)
            .values(message_key=message_key(message_id), received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["message_key"])
        )
        return bool(result.rowcount == 1)


async def remember_sent(
    store: ATSStore, message_ids: list[str], conversation: str, text: str
) -> None:
    """Keep what was sent under its message ids, until Meta says how it went."""
    now = utcnow()
    async with store.session() as session, session.begin():
        for message_id in filter(None, message_ids):
            await session.execute(
                dialect_insert(store.engine)(WhatsAppSent)
                .values(
                    message_key=message_key(message_id),
                    recipient_id=conversation,
                    text=text,
                    status="accepted",
                    sent_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["message_key"])
            )


async def record_status(
    store: ATSStore, message_id: str, status: str, conversation: str, error: str | None
) -> str | None:
    """Note Meta's status for a sent message. A failed one is kept as undelivered, with the
    text when it was remembered; returns the status recorded (None: not one we know)."""
    if status not in STATUSES:
        return None
    key = message_key(message_id)
    async with store.session() as session, session.begin():
        row = await session.scalar(select(WhatsAppSent).where(WhatsAppSent.message_key == key))
        already_failed = row is not None and row.status == "failed"
        text = row.text if row is not None else ""
        if row is not None and row.status != "failed":  # read after failed cannot happen
            row.status, row.error, row.updated_at = status, error, utcnow()
    if status == "failed" and not already_failed:
        await record_undelivered(
            store, CHANNEL, conversation, text or "(message not kept)", error or "failed"
        )
    return status


async def note_inbound(store: ATSStore, conversation: str, at: datetime | None = None) -> None:
    """A number wrote (its conversation, "wa-<wa_id>"): its 24-hour window (re)opens."""
    at = at or utcnow()
    async with store.session() as session, session.begin():
        await session.execute(
            dialect_insert(store.engine)(WhatsAppWindow)
            .values(conversation_id=conversation, last_inbound_at=at)
            .on_conflict_do_update(index_elements=["conversation_id"], set_={"last_inbound_at": at})
        )


async def window_open(store: ATSStore, conversation: str, now: datetime | None = None) -> bool:
    """Whether a free-form message may still be sent to the number (else only a template)."""
    async with store.session() as session:
        last = await session.scalar(
            select(WhatsAppWindow.last_inbound_at).where(
                WhatsAppWindow.conversation_id == conversation
            )
        )
    return last is not None and last > (now or utcnow()) - WINDOW
