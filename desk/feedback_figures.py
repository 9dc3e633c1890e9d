"""What applicants said of the help desk (ats/feedback.py), for the dashboard: how many were
asked and answered, the average score per week, per channel and, for hand-overs, per recruiter,
and the latest comments (masked when they were kept).

Admins see all of it; a recruiter sees only what applicants said of their own hand-overs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select

from ats.models import CandidateFeedback, Recruiter
from ats.store import ATSStore
from desk.sessions import DeskUser

WEEKS = 8  # the weeks shown, this one included
COMMENTS = 20  # the latest comments shown


@dataclass(frozen=True)
class Scores:
    """One line of a table: what it is about, how many were asked, answered, their mean."""

    label: str
    asked: int
    answered: int
    average: float | None


@dataclass(frozen=True)
class Comment:
    at: datetime
    score: int
    kind: str  # "status" or "handover"
    channel: str | None
    recruiter: str | None
    text: str


@dataclass(frozen=True)
class FeedbackFigures:
    weeks: list[Scores]  # label: the week's Monday, ISO date
    channels: list[Scores]
    recruiters: list[Scores]
    comments: list[Comment]

    @property
    def asked(self) -> int:
        return sum(w.asked for w in self.weeks)


def _scores(label: str, scores: list[int | None]) -> Scores:
    given = [s for s in scores if s is not None]
    return Scores(label, len(scores), len(given), sum(given) / len(given) if given else None)


def _monday(moment: datetime, tz: tzinfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


async def feedback_figures(
    store: ATSStore, user: DeskUser, now: datetime, tz: tzinfo
) -> FeedbackFigures:
    first = _monday(now, tz) - timedelta(weeks=WEEKS - 1)
    since = now - timedelta(weeks=WEEKS)
    query = (
        select(
            CandidateFeedback.asked_at,
            CandidateFeedback.score,
            CandidateFeedback.kind,
            CandidateFeedback.channel,
            CandidateFeedback.comment,
            CandidateFeedback.answered_at,
            Recruiter.name,
        )
        .outerjoin(Recruiter, Recruiter.id == CandidateFeedback.recruiter_id)
        .where(CandidateFeedback.asked_at >= since)
        .order_by(CandidateFeedback.asked_at)
    )
    if not user.is_admin:
        query = query.where(
            CandidateFeedback.kind == "handover",
            CandidateFeedback.recruiter_id == user.recruiter_id,
        )
    async with store.session() as session:
        rows = (await session.execute(query)).all()
    weeks: dict[date, list[int | None]] = {first + timedelta(weeks=n): [] for n in range(WEEKS)}
    channels: dict[str, list[int | None]] = defaultdict(list)
    recruiters: dict[str, list[int | None]] = defaultdict(list)
    for row in rows:
        week = _monday(row.asked_at, tz)
        if week in weeks:
            weeks[week].append(row.score)
        channels[row.channel or "-"].append(row.score)
        if row.kind == "handover":
            recruiters[row.name or "-"].append(row.score)
    comments = [
        Comment(
            row.answered_at or row.asked_at, row.score, row.kind, row.channel, row.name, row.comment
        )
        for row in reversed(rows)
        if row.comment
    ][:COMMENTS]
    return FeedbackFigures(
        weeks=[_scores(week.isoformat(), scores) for week, scores in weeks.items()],
        channels=_table(channels.items()),
        recruiters=_table(recruiters.items()),
        comments=comments,
    )


def _table(groups: Iterable[tuple[str, list[int | None]]]) -> list[Scores]:
    return sorted((_scores(label, scores) for label, scores in groups), key=lambda s: s.label)
