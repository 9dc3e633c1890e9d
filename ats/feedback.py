"""Candidate feedback: one question, "how helpful was this?" (1-5), after a status answer or a
resolved hand-over, and an optional comment.

An applicant is asked at most once a week (`ask` says whether to ask, and records the asking
in the same transaction), keyed by a keyed hash of their address (else of the conversation),
so the table never holds who they are. Their answer is taken from the conversation it was asked
in: the newest question there still open (`record_score`), then the comment on it
(`record_comment`), masked of addresses, references, phone numbers and codes. The erasure of a
conversation (`forget_conversations`) drops the comment and what ties the row to anyone; the
score stays, an anonymous figure for the dashboard (desk/feedback_figures.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.direct_statements import Statements, on_postgresql
from ats.keys import derived_key, secret_key
from ats.masking import mask_personal
from ats.models import CandidateFeedback
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

ASK_EVERY = timedelta(days=7)  # an applicant is asked at most once in this time
ANSWER_WITHIN = timedelta(days=1)  # a score given later is not taken for this question
COMMENT_WITHIN = timedelta(hours=1)  # the comment follows the score
MAX_COMMENT = 1000
KINDS = ("status", "handover")
CHUNK = 500


# Whether the applicant was asked lately, run for every answer that may ask: built once (see
# ats/limits.py).
_ASKED_SINCE = (
    select(CandidateFeedback.id)
    .where(
        CandidateFeedback.applicant_key == bindparam("key"),
        CandidateFeedback.asked_at > bindparam("since"),
    )
    .limit(1)
)
_ASK = insert(CandidateFeedback)
# PostgreSQL gives the new question's id back in the same statement (SQLAlchemy 1.4 has no
# RETURNING on SQLite, where the driver's last row id serves)
_ASK_RETURNING_ID = _ASK.returning(CandidateFeedback.id)
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:number)")


@dataclass(frozen=True)
class Asking:
    """Where and of whom the question is asked."""

    kind: str  # "status" or "handover"
    conversation_id: str
    who: str  # the applicant's address, else the conversation
    channel: str | None = None
    language: str | None = None
    escalation_id: int | None = None
    recruiter_id: int | None = None


def applicant_key(settings: Settings, who: str) -> str:
    """A keyed hash of an address (any case) or a conversation id: the same person the same
    key, and no way back to them."""
    key = bytes.fromhex(derived_key(secret_key(settings), "feedback"))
    return hmac.new(key, who.strip().lower().encode(), hashlib.sha256).hexdigest()


async def ask(
    store: ATSStore, settings: Settings, asking: Asking, now: datetime | None = None
) -> int | None:
    """Record that the question is asked now and return its id, or None when this applicant
    was asked in the past week (then it is not asked)."""
    if asking.kind not in KINDS:
        raise ValueError(f"unknown kind of feedback: {asking.kind}")
    now = now or utcnow()
    key = applicant_key(settings, asking.who)
    question = {
        "asked_at": now,
        "kind": asking.kind,
        "channel": asking.channel,
        "language": asking.language,
        "conversation_id": asking.conversation_id,
        "applicant_key": key,
        "escalation_id": asking.escalation_id,
        "recruiter_id": asking.recruiter_id,
    }
    async with store.transaction() as session:
        await _one_asking_at_a_time(session, key)
        recent = await session.scalar(_ASKED_SINCE, {"key": key, "since": now - ASK_EVERY})
        if recent is not None:
            return None
        if isinstance(session, AsyncSession) and not on_postgresql(session):
            asked = await session.execute(_ASK, question)
            return int(asked.inserted_primary_key[0])
        return int((await session.execute(_ASK_RETURNING_ID, question)).scalar())


async def _one_asking_at_a_time(session: Statements, key: str) -> None:
    """Orders the askings of one applicant across servers, as the transaction's first
    statement: two conversations of theirs closing at the same moment would otherwise both find
    no question this week and both ask. PostgreSQL: a transaction lock on the key's number;
    SQLite: a write first, so the second asking waits for the first one's commit and then sees
    its question."""
    if on_postgresql(session):
        digest = hashlib.sha256(f"feedback:{key}".encode()).digest()
        number = int.from_bytes(digest[:8], "big", signed=True)  # a bigint, as the lock takes
        await session.execute(_ADVISORY_LOCK, {"number": number})
    else:
        await session.execute(
            update(CandidateFeedback)
            .where(CandidateFeedback.applicant_key == key, CandidateFeedback.id < 0)
            .values(applicant_key=key)
            .execution_options(synchronize_session=False)
        )


async def record_score(
    store: ATSStore, conversation_id: str, score: int, now: datetime | None = None
) -> bool:
    """The applicant's 1-5 for the newest open question of their conversation; False when
    there is none (asked over a day ago, or answered already)."""
    if not 1 <= score <= 5:
        raise ValueError("a score is 1 to 5")
    now = now or utcnow()
    async with store.session() as session, session.begin():
        question = await session.scalar(
            select(CandidateFeedback)
            .where(
                CandidateFeedback.conversation_id == conversation_id,
                CandidateFeedback.score.is_(None),
                CandidateFeedback.asked_at > now - ANSWER_WITHIN,
            )
            .order_by(CandidateFeedback.asked_at.desc())
            .limit(1)
        )
        if question is None:
            return False
        question.score, question.answered_at = score, now
        return True


async def record_comment(
    store: ATSStore, conversation_id: str, comment: str, now: datetime | None = None
) -> bool:
    """The comment on the score just given in this conversation, masked; False when there is
    no score without a comment from the past hour."""
    now = now or utcnow()
    text = mask_personal(" ".join(comment.split()))[:MAX_COMMENT]
    if not text:
        return False
    async with store.session() as session, session.begin():
        answered = await session.scalar(
            select(CandidateFeedback)
            .where(
                CandidateFeedback.conversation_id == conversation_id,
                CandidateFeedback.score.isnot(None),
                CandidateFeedback.comment.is_(None),
                CandidateFeedback.answered_at > now - COMMENT_WITHIN,
            )
            .order_by(CandidateFeedback.answered_at.desc())
            .limit(1)
        )
        if answered is None:
            return False
        answered.comment = text
        return True


async def forget_conversations(session: AsyncSession, conversation_ids: Sequence[str]) -> None:
    """Erased conversations: their comments go, and nothing ties their scores to anyone."""
    ids = list(conversation_ids)
    for start in range(0, len(ids), CHUNK):
        await session.execute(
            update(CandidateFeedback)
            .where(CandidateFeedback.conversation_id.in_(ids[start : start + CHUNK]))
            .values(comment=None, conversation_id=None, applicant_key=None)
            .execution_options(synchronize_session=False)
        )
