"""The review inbox's store: applicants' messages the language model may have misread, kept
masked, reviewed by an admin in the desk, and exported as training examples.

A message comes in from the action server as it is answered (dialogue/review.py says which:
little confidence, a fallback, a person asked for right after the bot's answer, the applicant
saying it again). Only its masked text is kept (ats/masking.py), with what the model thought
and the conversation it came from, once per message. An admin confirms the intent, corrects it
or discards the message (not an example: gibberish, or personal data the masking missed);
`helpdesk nlu export` writes the confirmed and corrected ones as Rasa NLU examples.

Erasing a conversation (an applicant's erasure, the retention purge, a Rasa server dropping an
idle conversation from memory) calls `forget_review_messages` with its keyed hash: the text and
the conversation go, the intent, reason and time stay as anonymous figures for the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.masking import mask_personal_data
from ats.models import ReviewMessage
from ats.store import ATSStore

LOW_CONFIDENCE, FALLBACK = "low_confidence", "fallback"
HUMAN_AFTER_ANSWER, REPEATED = "human_after_answer", "repeated"
REASONS = (LOW_CONFIDENCE, FALLBACK, HUMAN_AFTER_ANSWER, REPEATED)
CONFIRMED, CORRECTED, DISCARDED = "confirmed", "corrected", "discarded"
VERDICTS = (CONFIRMED, CORRECTED, DISCARDED)
TEXT_CHARS = 2000  # a review needs the question, not a pasted letter
CHUNK = 500


@dataclass(frozen=True)
class Noticed:
    """A message the action server noticed, before it is masked and kept."""

    conversation_id: str
    conversation_hash: str
    message_at: datetime  # the message's time in the conversation
    text: str
    intent: str  # what the model thought (under a fallback: its best guess)
    confidence: float
    reason: str
    channel: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    """A kept message as the desk shows it (its text is masked)."""

    id: int
    noticed_at: datetime
    message_at: datetime
    text: str
    intent: str
    confidence: float
    reason: str
    channel: str | None
    language: str | None
    verdict: str | None
    reviewed_intent: str | None
    # to read the turns around it from the tracker; never shown
    conversation_id: str | None


@dataclass(frozen=True)
class Example:
    """A reviewed message as a training example."""

    id: int
    intent: str
    text: str


async def keep_for_review(store: ATSStore, noticed: Noticed, now: datetime) -> bool:
    """Keeps the message, masked; False when it was kept already (another reason, a retry)."""
    text = " ".join(mask_personal_data(noticed.text).split())[:TEXT_CHARS]
    if not text:
        return False
    async with store.session() as session, session.begin():
        statement = dialect_insert(session.bind)(ReviewMessage).values(
            noticed_at=now,
            message_at=noticed.message_at,
            conversation_id=noticed.conversation_id,
            conversation_hash=noticed.conversation_hash,
            channel=noticed.channel,
            language=noticed.language,
            text=text,
            intent=noticed.intent,
            confidence=noticed.confidence,
            reason=noticed.reason,
        )
        result = await session.execute(
            statement.on_conflict_do_nothing(index_elements=["conversation_hash", "message_at"])
        )
        return bool(result.rowcount)


def _item(row: ReviewMessage) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        noticed_at=row.noticed_at,
        message_at=row.message_at,
        text=row.text or "",
        intent=row.intent,
        confidence=row.confidence,
        reason=row.reason,
        channel=row.channel,
        language=row.language,
        verdict=row.verdict,
        reviewed_intent=row.reviewed_intent,
        conversation_id=row.conversation_id,
    )


async def waiting_for_review(store: ATSStore, limit: int = 100) -> list[ReviewItem]:
    """The messages not reviewed yet, newest first."""
    async with store.session() as session:
        rows = await session.scalars(
            select(ReviewMessage)
            .where(ReviewMessage.verdict.is_(None), ReviewMessage.erased_at.is_(None))
            .order_by(ReviewMessage.noticed_at.desc(), ReviewMessage.id.desc())
            .limit(limit)
        )
        return [_item(row) for row in rows]


async def review_item(store: ATSStore, item_id: int) -> ReviewItem | None:
    """One kept message (None when there is none, or its conversation was erased)."""
    if not 0 < item_id < 2**31:  # beyond any id (a URL typed by hand): not found, not a 500
        return None
    async with store.session() as session:
        row = await session.get(ReviewMessage, item_id)
        return _item(row) if row is not None and row.erased_at is None else None


async def set_verdict(
    store: ATSStore, item_id: int, verdict: str, intent: str | None, now: datetime
) -> bool:
    """An admin's review: the intent confirmed or corrected (to `intent`), or the message
    discarded. A message reviewed again is exported again. False when it is gone."""
    if verdict not in VERDICTS:
        raise ValueError(f"not a verdict: {verdict}")
    if verdict != DISCARDED and not intent:
        raise ValueError("a confirmed or corrected message needs its intent")
    if not 0 < item_id < 2**31:
        return False
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(ReviewMessage)
            .where(ReviewMessage.id == item_id, ReviewMessage.erased_at.is_(None))
            .values(
                verdict=verdict,
                reviewed_intent=None if verdict == DISCARDED else intent,
                reviewed_at=now,
                exported_at=None,
            )
        )
        return bool(result.rowcount)


async def reviewed_not_exported(store: ATSStore) -> int:
    """How many confirmed or corrected messages `helpdesk nlu export` has not written yet."""
    async with store.session() as session:
        count = await session.scalar(select(func.count()).where(*_examples(include_exported=False)))
        return int(count or 0)


def _examples(include_exported: bool) -> list[object]:
    conditions: list[object] = [
        ReviewMessage.verdict.in_((CONFIRMED, CORRECTED)),
        ReviewMessage.erased_at.is_(None),
        ReviewMessage.text.isnot(None),
        ReviewMessage.reviewed_intent.isnot(None),
    ]
    if not include_exported:
        conditions.append(ReviewMessage.exported_at.is_(None))
    return conditions


async def examples(store: ATSStore, *, include_exported: bool = False) -> list[Example]:
    """The confirmed and corrected messages as examples, by intent, oldest first."""
    async with store.session() as session:
        rows = await session.execute(
            select(ReviewMessage.id, ReviewMessage.reviewed_intent, ReviewMessage.text)
            .where(*_examples(include_exported))
            .order_by(ReviewMessage.reviewed_intent, ReviewMessage.id)
        )
        return [Example(row.id, row.reviewed_intent, row.text) for row in rows]


async def mark_exported(store: ATSStore, ids: Sequence[int], now: datetime) -> None:
    async with store.session() as session, session.begin():
        for start in range(0, len(ids), CHUNK):
            await session.execute(
                update(ReviewMessage)
                .where(ReviewMessage.id.in_(ids[start : start + CHUNK]))
                .values(exported_at=now)
            )


async def forget_review_messages(
    session: AsyncSession, conversation_hashes: Iterable[str], now: datetime
) -> None:
    """In the erasure's transaction: the erased conversations' messages lose their text and
    conversation; what the model thought, why, and when stay for the dashboard."""
    hashes = sorted(set(conversation_hashes))
    for start in range(0, len(hashes), CHUNK):
        await session.execute(
            update(ReviewMessage)
            .where(ReviewMessage.conversation_hash.in_(hashes[start : start + CHUNK]))
            .values(text=None, conversation_id=None, conversation_hash=None, erased_at=now)
            .execution_options(synchronize_session=False)
        )
