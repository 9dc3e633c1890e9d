"""The dashboard's figures: does the employer acknowledge applications within its deadline?

`dashboard()` counts, over the applications a recruiter may see, how many were acknowledged
within the deadline, late or not at all, how long an acknowledgement takes, how that develops
week by week, per vacancy and per recruiter, and where the escalations stand. The counting is
done by the database (GROUP BY over a few columns), so it stays quick for a large ATS. The
figures are plain data; desk/dashboard.py puts them into words and charts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import Integer, String, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from ats.models import (
    Application,
    Escalation,
    EscalationReason,
    EscalationState,
    Recruiter,
    Vacancy,
)
from ats.store import ATSStore
from desk.sessions import DeskUser

UTC = timezone.utc

WITHIN, LATE, NOT_AT_ALL = "within", "late", "not_at_all"
DECIDED = (WITHIN, LATE, NOT_AT_ALL)  # in the order they are stacked and listed
# Open escalations younger than each age go in its bucket; the rest in the oldest.
AGE_BUCKETS = (
    (timedelta(days=1), "under_1_day"),
    (timedelta(days=3), "1_to_3_days"),
    (timedelta(days=7), "3_to_7_days"),
)
OLDEST_BUCKET = "7_days_or_more"


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """How many applications were acknowledged within the deadline, late, not at all (overdue),
    and how many still have time (pending, left out of the shares)."""

    within: int = 0
    late: int = 0
    not_at_all: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.within + self.late + self.not_at_all

    @property
    def applications(self) -> int:
        return self.decided + self.pending

    def count_of(self, outcome: str) -> int:
        """The number of applications with this outcome: WITHIN, LATE or NOT_AT_ALL."""
        return {WITHIN: self.within, LATE: self.late, NOT_AT_ALL: self.not_at_all}[outcome]

    def share(self, count: int) -> float | None:
        return count / self.decided if self.decided else None

    @property
    def share_within(self) -> float | None:
        return self.share(self.within)

    @property
    def share_late(self) -> float | None:
        return self.share(self.late)

    @property
    def share_not_at_all(self) -> float | None:
        return self.share(self.not_at_all)

    def __add__(self, other: Outcomes) -> Outcomes:
        pairs = zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
        return Outcomes(*(a + b for a, b in pairs))


@dataclass(frozen=True)
class Count:
    """How many escalations are in an age bucket or have a reason (by its code)."""

    key: str
    count: int


@dataclass(frozen=True)
class VacancyFigures:
    vacancy_id: int
    code: str
    title: str
    recruiter_id: int
    recruiter_name: str
    outcomes: Outcomes


@dataclass(frozen=True)
class RecruiterFigures:
    """The figures of the vacancies of which this recruiter is the (main) recruiter."""

    recruiter_id: int
    name: str
    outcomes: Outcomes


@dataclass(frozen=True)
class WeekFigures:
    """Applications made in the week starting on Monday `start`, by outcome (none pending)."""

    start: date
    outcomes: Outcomes

    @property
    def iso_week(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows; the outcomes and the median are over all time."""

    now: datetime
    outcomes: Outcomes
    median_to_acknowledge: timedelta | None
    open_escalations_by_age: tuple[Count, ...]  # every bucket, youngest first; claimed is open
    escalations_by_reason: tuple[Count, ...]  # every reason, in EscalationReason's order
    vacancies: tuple[VacancyFigures, ...]  # by code
    recruiters: tuple[RecruiterFigures, ...]  # by name
    weeks: tuple[WeekFigures, ...]  # oldest first, the current week last


# -- queries ---------------------------------------------------------------------------------


def _sql_text(value: str) -> ColumnElement:
    # An inline constant rather than a bound parameter: PostgreSQL cannot type a parameter that
    # is only a CASE result. The values are this module's own constants.
    return literal_column(f"'{value}'", String)


def _number_of(condition: ColumnElement) -> ColumnElement:
    """COUNT of the rows that meet `condition` (a CASE without ELSE is NULL otherwise)."""
    return func.count(case((condition, literal_column("1", Integer))))


def _outcome_counts(
    acknowledged: ColumnElement, due: ColumnElement, now: datetime
) -> list[ColumnElement]:
    """Columns within, late, not_at_all: the outcomes of applications with these columns."""
    return [
        _number_of(acknowledged <= due).label(WITHIN),
        _number_of(acknowledged > due).label(LATE),
        _number_of(and_(acknowledged.is_(None), due < now)).label(NOT_AT_ALL),
    ]


def _applications(user: DeskUser, *columns: ColumnElement) -> Select:
    query = select(*columns).select_from(Application)
    if user.is_admin:
        return query
    return query.join(Vacancy, Vacancy.id == Application.vacancy_id).where(
        or_(
            Vacancy.recruiter_id == user.recruiter_id,
            Vacancy.backup_recruiter_id == user.recruiter_id,
        )
    )


def _escalations(user: DeskUser, *columns: ColumnElement) -> Select:
    """The escalations the desk's queue shows this user: theirs and their vacancies'."""
    query = select(*columns).select_from(Escalation)
    if user.is_admin:
        return query
    return (
        query.outerjoin(Application, Application.id == Escalation.application_id)
        .outerjoin(Vacancy, Vacancy.id == Application.vacancy_id)
        .where(
            or_(
                Escalation.recruiter_id == user.recruiter_id,
                Vacancy.recruiter_id == user.recruiter_id,
                Vacancy.backup_recruiter_id == user.recruiter_id,
            )
        )
    )


async def _vacancy_figures(
    session: AsyncSession, user: DeskUser, now: datetime
) -> tuple[VacancyFigures, ...]:
    counted = (
        _applications(
            user,
            Application.vacancy_id,
            *_outcome_counts(Application.acknowledged_at, Application.ack_due_at, now),
            func.count().label("applications"),
        )
        .group_by(Application.vacancy_id)
        .subquery()
    )
    # The names are joined to the grouped rows, one per vacancy, not to every application.
    query = (
        select(Vacancy.code, Vacancy.title, Vacancy.recruiter_id, Recruiter.name, counted)
        .select_from(counted)
        .join(Vacancy, Vacancy.id == counted.c.vacancy_id)
        .join(Recruiter, Recruiter.id == Vacancy.recruiter_id)
    )
    figures = [
        VacancyFigures(
            row.vacancy_id,
            row.code,
            row.title,
            row.recruiter_id,
            row.name,
            Outcomes(
                row.within,
                row.late,
                row.not_at_all,
                row.applications - row.within - row.late - row.not_at_all,
            ),
        )
        for row in await session.execute(query)
    ]
    return tuple(sorted(figures, key=lambda v: (v.code.casefold(), v.code)))


def _recruiter_figures(vacancies: Iterable[VacancyFigures]) -> tuple[RecruiterFigures, ...]:
    figures: dict[int, RecruiterFigures] = {}
    for vacancy in vacancies:
        found = figures.get(vacancy.recruiter_id)
        outcomes = found.outcomes + vacancy.outcomes if found else vacancy.outcomes
        figures[vacancy.recruiter_id] = RecruiterFigures(
            vacancy.recruiter_id, vacancy.recruiter_name, outcomes
        )
    return tuple(sorted(figures.values(), key=lambda r: (r.name.casefold(), r.recruiter_id)))


def _week_starts(now: datetime, weeks: int, tz: tzinfo = UTC) -> list[datetime]:
    """The Mondays 00:00 (in `tz`) of the last `weeks` weeks, the current one last, and the
    Monday after: `weeks + 1` boundaries."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=weeks - 1 - i), time(), tzinfo=tz)
        for i in range(weeks + 1)
    ]


async def _weekly(
    session: AsyncSession, user: DeskUser, now: datetime, weeks: int, tz: tzinfo
) -> tuple[WeekFigures, ...]:
    starts = _week_starts(now, weeks, tz)
    # The week's index by comparing with its start, newest first: the same SQL on both databases.
    week = case(
        *(
            (Application.applied_at >= starts[i], literal_column(str(i), Integer))
            for i in reversed(range(weeks))
        ),
    )
    rows = (
        _applications(user, week.label("week"), Application.acknowledged_at, Application.ack_due_at)
        .where(Application.applied_at >= starts[0], Application.applied_at < starts[-1])
        .subquery()
    )
    # Grouped in an outer query: PostgreSQL does not see a CASE with bound parameters in the
    # select list and in GROUP BY as the same expression.
    query = select(
        rows.c.week, *_outcome_counts(rows.c.acknowledged_at, rows.c.ack_due_at, now)
    ).group_by(rows.c.week)
    counts = [Outcomes() for _ in range(weeks)]
    for row in await session.execute(query):
        counts[int(row.week)] = Outcomes(row.within, row.late, row.not_at_all)
    return tuple(
        WeekFigures(start.date(), outcomes)
        for start, outcomes in zip(starts[:-1], counts, strict=True)
    )


def _time_to_acknowledge(dialect: str) -> ColumnElement:
    if dialect == "sqlite":  # stored as text: compare Julian day numbers
        return func.julianday(Application.acknowledged_at) - func.julianday(Application.applied_at)
    return Application.acknowledged_at - Application.applied_at


async def _median(session: AsyncSession, user: DeskUser, dialect: str) -> timedelta | None:
    """The middle (or the mean of the two middle) times to acknowledge, found by sorting in the
    database and fetching only those rows."""
    acknowledged = Application.acknowledged_at.isnot(None)
    count = await session.scalar(_applications(user, func.count()).where(acknowledged))
    if not count:
        return None
    query = (
        _applications(user, Application.applied_at, Application.acknowledged_at)
        .where(acknowledged)
        .order_by(_time_to_acknowledge(dialect), Application.id)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    )
    middle = [row.acknowledged_at - row.applied_at for row in await session.execute(query)]
    return sum(middle, timedelta()) / len(middle)


def _age_bucket(now: datetime) -> ColumnElement:
    return case(
        *((Escalation.created_at > now - age, _sql_text(bucket)) for age, bucket in AGE_BUCKETS),
        else_=_sql_text(OLDEST_BUCKET),
    )


async def _escalations_by_age(
    session: AsyncSession, user: DeskUser, now: datetime
) -> tuple[Count, ...]:
    rows = (
        _escalations(user, _age_bucket(now).label("bucket"))
        .where(Escalation.state != EscalationState.RESOLVED.value)
        .subquery()
    )
    query = select(rows.c.bucket, func.count().label("n")).group_by(rows.c.bucket)
    found = {row.bucket: row.n for row in await session.execute(query)}
    buckets = [bucket for _, bucket in AGE_BUCKETS] + [OLDEST_BUCKET]
    return tuple(Count(bucket, found.get(bucket, 0)) for bucket in buckets)


async def _escalations_by_reason(session: AsyncSession, user: DeskUser) -> tuple[Count, ...]:
    query = _escalations(user, Escalation.reason, func.count().label("n")).group_by(
        Escalation.reason
    )
    found = {row.reason: row.n for row in await session.execute(query)}
    known = [reason.value for reason in EscalationReason]
    # A reason this version does not know (from a newer one) is still counted, at the end.
    reasons = known + sorted(set(found) - set(known))
    return tuple(Count(reason, found.get(reason, 0)) for reason in reasons)


async def dashboard(
    store: ATSStore, user: DeskUser, now: datetime, weeks: int = 12, *, tz: tzinfo = UTC
) -> Dashboard:
    """The dashboard's figures over the vacancies `user` may see (an admin: all).

    Weeks run from Monday 00:00 in `tz` (UTC unless the employer's zone is given).
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    dialect = store.engine.dialect.name
    async with store.session() as session:
        vacancies = await _vacancy_figures(session, user, now)
        return Dashboard(
            now=now,
            outcomes=sum((v.outcomes for v in vacancies), Outcomes()),
            median_to_acknowledge=await _median(session, user, dialect),
            open_escalations_by_age=await _escalations_by_age(session, user, now),
            escalations_by_reason=await _escalations_by_reason(session, user),
            vacancies=vacancies,
            recruiters=_recruiter_figures(vacancies),
            weeks=await _weekly(session, user, now, weeks, tz),
        )
