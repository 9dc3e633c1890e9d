"""The desk's dashboard: does the employer acknowledge applications within its deadline?

`dashboard()` counts, over the applications a recruiter may see, how many were acknowledged
within the deadline, late or not at all, how long an acknowledgement takes, how that develops
week by week, per vacancy and per recruiter, and where the escalations stand. The counting is
done by the database (GROUP BY over a few columns), so it stays quick for a large ATS.
`render_dashboard()` turns the figures into an HTML fragment with inline SVG charts, each with a
text equivalent for screen readers, in English or Dutch, without JavaScript.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from markupsafe import Markup
from sqlalchemy import Integer, String, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from actions.ats.models import (
    Application,
    Escalation,
    EscalationReason,
    EscalationState,
    Recruiter,
    Vacancy,
)
from actions.ats.store import ATSStore
from desk.accounts import DeskUser

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
    """One bar of a chart: a bucket or reason code and its number."""

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


# -- rendering -------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Acknowledgements",
        "question": "Are applications acknowledged within the deadline?",
        WITHIN: "Within the deadline",
        LATE: "Late",
        NOT_AT_ALL: "Not at all (overdue)",
        "of": "{count} of {total}",
        "median": "Median time to acknowledge",
        "no_median": "no acknowledgements yet",
        "pending": "{count} applications still within their deadline are not counted.",
        "no_data": "No applications yet.",
        "weekly": "Acknowledgement by week of application, last {weeks} weeks",
        "week": "Week",
        "from": "from",
        "legend": "Legend",
        "total": "Total",
        "ages": "Open escalations by age",
        "age": "Age",
        "reasons": "Escalations by reason",
        "reason": "Reason",
        "escalations": "Escalations",
        "per_vacancy": "Per vacancy",
        "vacancy": "Vacancy",
        "per_recruiter": "Per recruiter",
        "recruiter": "Recruiter",
        "applications": "Applications",
        "share_within": "Share within the deadline",
        "under_1_day": "Under 1 day",
        "1_to_3_days": "1–3 days",
        "3_to_7_days": "3–7 days",
        "7_days_or_more": "7 days or more",
        "minute": "minute",
        "minutes": "minutes",
        "hour": "hour",
        "hours": "hours",
        "day": "day",
        "days": "days",
    },
    "nl": {
        "title": "Ontvangstbevestigingen",
        "question": "Worden sollicitaties binnen de termijn bevestigd?",
        WITHIN: "Binnen de termijn",
        LATE: "Te laat",
        NOT_AT_ALL: "Helemaal niet (termijn verstreken)",
        "of": "{count} van {total}",
        "median": "Mediane tijd tot bevestiging",
        "no_median": "nog geen bevestigingen",
        "pending": "{count} sollicitaties die nog binnen hun termijn vallen, tellen niet mee.",
        "no_data": "Nog geen sollicitaties.",
        "weekly": "Bevestiging per week van sollicitatie, laatste {weeks} weken",
        "week": "Week",
        "from": "vanaf",
        "legend": "Legenda",
        "total": "Totaal",
        "ages": "Openstaande escalaties naar leeftijd",
        "age": "Leeftijd",
        "reasons": "Escalaties naar reden",
        "reason": "Reden",
        "escalations": "Escalaties",
        "per_vacancy": "Per vacature",
        "vacancy": "Vacature",
        "per_recruiter": "Per recruiter",
        "recruiter": "Recruiter",
        "applications": "Sollicitaties",
        "share_within": "Aandeel binnen de termijn",
        "under_1_day": "Korter dan 1 dag",
        "1_to_3_days": "1–3 dagen",
        "3_to_7_days": "3–7 dagen",
        "7_days_or_more": "7 dagen of langer",
        "minute": "minuut",
        "minutes": "minuten",
        "hour": "uur",
        "hours": "uur",
        "day": "dag",
        "days": "dagen",
    },
}

REASON_LABELS: dict[str, dict[str, str]] = {
    "en": {
        EscalationReason.ACK_OVERDUE.value: "Acknowledgement overdue",
        EscalationReason.UPDATE_OVERDUE.value: "Update overdue",
        EscalationReason.APPLICANT_REQUEST.value: "Applicant asked for a person",
        EscalationReason.WITHDRAWAL.value: "Withdrawal",
        EscalationReason.PRIVACY_REQUEST.value: "Privacy request",
        EscalationReason.UNKNOWN_APPLICANT.value: "Unknown applicant",
    },
    "nl": {
        EscalationReason.ACK_OVERDUE.value: "Bevestiging te laat",
        EscalationReason.UPDATE_OVERDUE.value: "Update te laat",
        EscalationReason.APPLICANT_REQUEST.value: "Wil een medewerker",
        EscalationReason.WITHDRAWAL.value: "Terugtrekking",
        EscalationReason.PRIVACY_REQUEST.value: "Privacyverzoek",
        EscalationReason.UNKNOWN_APPLICANT.value: "Onbekende sollicitant",
    },
}

# Each outcome has its own pattern as well as its own colour, so they differ without colour.
FILLS = {
    WITHIN: "url(#dash-fill-within)",
    LATE: "url(#dash-fill-late)",
    NOT_AT_ALL: "url(#dash-fill-not-at-all)",
}

STYLE = Markup(
    "<style>"
    ".dash-defs{position:absolute;width:0;height:0;overflow:hidden}"
    ".dash-sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;"
    "overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}"
    ".dash-figures{display:flex;flex-wrap:wrap;gap:1rem 2rem;margin:0 0 1rem}"
    ".dash-figure dd{margin:0;font-size:1.6rem;font-weight:bold}"
    ".dash-figure .dash-detail{display:block;font-size:.85rem;font-weight:normal}"
    ".dash-chart{display:block;max-width:100%;height:auto}"
    ".dash-chart text{font-size:11px;fill:currentColor}"
    ".dash-legend{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;list-style:none;padding:0}"
    ".dash-swatch{vertical-align:middle;margin-right:.35rem}"
    ".dash-table{border-collapse:collapse;margin:0 0 1rem}"
    ".dash-table th,.dash-table td{padding:.25rem .6rem;text-align:left;"
    "border-bottom:1px solid #ccc}"
    ".dash-table .dash-num{text-align:right;font-variant-numeric:tabular-nums}"
    "</style>"
)

# Patterns for the outcomes, referenced by id from every chart and legend swatch.
DEFS = Markup(
    '<svg class="dash-defs" aria-hidden="true" focusable="false" width="0" height="0">'
    "<defs>"
    '<pattern id="dash-fill-within" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#1b7837"/></pattern>'
    '<pattern id="dash-fill-late" width="8" height="8" patternUnits="userSpaceOnUse"'
    ' patternTransform="rotate(45)">'
    '<rect width="8" height="8" fill="#f1a340"/>'
    '<rect width="3" height="8" fill="#7f3b08"/></pattern>'
    '<pattern id="dash-fill-not-at-all" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#b2182b"/>'
    '<circle cx="4" cy="4" r="1.8" fill="#ffffff"/></pattern>'
    "</defs></svg>"
)


def _labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def percent(share: float | None) -> str:
    """A share as a whole percentage that never rounds a miss away (99.6% is not 100%)."""
    if share is None:
        return "–"
    value = round(share * 100)
    if value == 100 and share < 1:
        return ">99%"
    if value == 0 and share > 0:
        return "<1%"
    return f"{value}%"


def _quantity(count: int, one: str, many: str, t: dict[str, str]) -> str:
    return f"{count} {t[one] if count == 1 else t[many]}"


def duration(value: timedelta | None, language: str) -> str:
    """Days and hours (minutes below an hour), e.g. "2 days 5 hours", "2 dagen 5 uur"."""
    t = _labels(language)
    if value is None:
        return t["no_median"]
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return _quantity(minutes, "minute", "minutes", t)
    days, hours = divmod(round(minutes / 60), 24)
    parts = [_quantity(days, "day", "days", t)] if days else []
    if hours or not days:
        parts.append(_quantity(hours, "hour", "hours", t))
    return " ".join(parts)


def _join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


def _figure(label: str, value: str, detail: str = "") -> Markup:
    # The space keeps the two apart in text (read aloud, copied) where CSS puts them on two lines.
    extra = Markup(' <span class="dash-detail">{}</span>').format(detail) if detail else ""
    return Markup('<div class="dash-figure"><dt>{}</dt><dd>{}{}</dd></div>').format(
        label, value, extra
    )


def _headline(outcomes: Outcomes, median: timedelta | None, language: str) -> Markup:
    t = _labels(language)
    figures = [
        _figure(
            t[outcome],
            percent(outcomes.share(getattr(outcomes, outcome))),
            t["of"].format(count=getattr(outcomes, outcome), total=outcomes.decided),
        )
        for outcome in DECIDED
    ]
    figures.append(_figure(t["median"], duration(median, language)))
    html = Markup('<dl class="dash-figures">{}</dl>').format(_join(figures))
    if outcomes.pending:
        note = t["pending"].format(count=outcomes.pending)
        html += Markup('<p class="dash-note">{}</p>').format(note)
    if not outcomes.applications:
        html += Markup('<p class="dash-note">{}</p>').format(t["no_data"])
    return html


def _coord(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(label: str, width: int, height: int, body: Markup) -> Markup:
    return Markup(
        '<svg class="dash-chart" role="img" aria-label="{label}" width="{w}" height="{h}"'
        ' viewBox="0 0 {w} {h}"><title>{label}</title>'
        "{body}</svg>"
    ).format(label=label, w=width, h=height, body=body)


def _swatch(outcome: str) -> Markup:
    return Markup(
        '<svg class="dash-swatch" aria-hidden="true" focusable="false" width="14" height="14">'
        '<rect width="14" height="14" fill="{}" stroke="#333333"/></svg>'
    ).format(FILLS[outcome])


def _legend(language: str) -> Markup:
    t = _labels(language)
    items = [Markup("<li>{}{}</li>").format(_swatch(outcome), t[outcome]) for outcome in DECIDED]
    return Markup('<ul class="dash-legend" aria-label="{}">{}</ul>').format(
        t["legend"], _join(items)
    )


WEEK_SLOT, PLOT_TOP, PLOT_HEIGHT, AXIS_LEFT = 44, 12, 160, 34


def _week_bar(index: int, week: WeekFigures, scale: float, language: str) -> Markup:
    t = _labels(language)
    x = AXIS_LEFT + index * WEEK_SLOT + 8
    bottom = float(PLOT_TOP + PLOT_HEIGHT)
    parts = []
    for outcome in DECIDED:
        count = getattr(week.outcomes, outcome)
        if not count:
            continue
        height = count * scale
        bottom -= height
        parts.append(
            Markup(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#333333"'
                ' stroke-width="0.5"><title>{}: {} {}</title></rect>'
            ).format(
                x,
                _coord(bottom),
                WEEK_SLOT - 16,
                _coord(height),
                FILLS[outcome],
                week.iso_week,
                t[outcome],
                count,
            )
        )
    parts.append(
        Markup('<text x="{}" y="{}" text-anchor="middle">W{:02d}</text>').format(
            x + (WEEK_SLOT - 16) / 2, PLOT_TOP + PLOT_HEIGHT + 16, week.start.isocalendar()[1]
        )
    )
    return _join(parts)


def _week_axis(top: int, width: int) -> Markup:
    ticks = sorted({0, top // 2, top})
    lines = []
    for tick in ticks:
        y = _coord(PLOT_TOP + PLOT_HEIGHT - tick * PLOT_HEIGHT / top)
        lines.append(
            Markup(
                '<line x1="{x}" x2="{end}" y1="{y}" y2="{y}" stroke="#bbbbbb"/>'
                '<text x="{tx}" y="{y}" dy="4" text-anchor="end">{tick}</text>'
            ).format(x=AXIS_LEFT, end=width - 4, y=y, tx=AXIS_LEFT - 6, tick=tick)
        )
    return _join(lines)


def _weekly_chart(weeks: Sequence[WeekFigures], language: str) -> Markup:
    t = _labels(language)
    top = max([w.outcomes.decided for w in weeks] + [1])
    scale = PLOT_HEIGHT / top
    width = AXIS_LEFT + WEEK_SLOT * len(weeks) + 8
    body = _week_axis(top, width) + _join(
        _week_bar(i, week, scale, language) for i, week in enumerate(weeks)
    )
    label = t["weekly"].format(weeks=len(weeks))
    return _svg(label, width, PLOT_TOP + PLOT_HEIGHT + 24, body) + _legend(language)


def _weekly_table(weeks: Sequence[WeekFigures], language: str) -> Markup:
    t = _labels(language)
    head = _join(Markup('<th scope="col">{}</th>').format(t[o]) for o in DECIDED)
    rows = _join(
        Markup('<tr><th scope="row">{} ({} {})</th>{}</tr>').format(
            week.iso_week,
            t["from"],
            week.start.isoformat(),
            _number_cells(getattr(week.outcomes, o) for o in DECIDED),
        )
        for week in weeks
    )
    return Markup(
        '<table class="dash-table dash-sr-only"><caption>{}</caption>'
        '<thead><tr><th scope="col">{}</th>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(t["weekly"].format(weeks=len(weeks)), t["week"], head, rows)


def _number_cells(values: Iterable[object]) -> Markup:
    return _join(Markup('<td class="dash-num">{}</td>').format(value) for value in values)


BAR_LABEL_WIDTH, BAR_WIDTH, BAR_ROW = 190, 240, 24


def _bar_chart(title: str, bars: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, each labelled with its name and number (so no legend is needed)."""
    top = max([count for _, count in bars] + [1])
    parts = []
    for i, (label, count) in enumerate(bars):
        y = 4 + i * BAR_ROW
        length = count * BAR_WIDTH / top
        parts.append(
            Markup(
                '<text x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
                '<rect x="{x}" y="{y}" width="{len}" height="16" fill="#4a6fa5">'
                "<title>{label}: {count}</title></rect>"
                '<text x="{cx}" y="{ty}">{count}</text>'
            ).format(
                lx=BAR_LABEL_WIDTH - 8,
                ty=y + 12,
                label=label,
                x=BAR_LABEL_WIDTH,
                y=y,
                len=_coord(length),
                count=count,
                cx=_coord(BAR_LABEL_WIDTH + length + 6),
            )
        )
    width = BAR_LABEL_WIDTH + BAR_WIDTH + 40
    return _svg(title, width, 8 + BAR_ROW * len(bars), _join(parts))


def _bar_table(
    title: str, heading: str, bars: Sequence[tuple[str, int]], t: dict[str, str]
) -> Markup:
    rows = _join(
        Markup('<tr><th scope="row">{}</th>{}</tr>').format(label, _number_cells([count]))
        for label, count in bars
    )
    return Markup(
        '<table class="dash-table dash-sr-only"><caption>{}</caption><thead><tr>'
        '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>'
    ).format(title, heading, t["escalations"], rows)


def _escalation_charts(data: Dashboard, language: str) -> Markup:
    t = _labels(language)
    reasons = REASON_LABELS.get(language, REASON_LABELS["en"])
    ages = [(t[c.key], c.count) for c in data.open_escalations_by_age]
    by_reason = [(reasons.get(c.key, c.key), c.count) for c in data.escalations_by_reason]
    sections = [(t["ages"], t["age"], ages), (t["reasons"], t["reason"], by_reason)]
    return _join(
        _section(title, _bar_chart(title, bars) + _bar_table(title, heading, bars, t))
        for title, heading, bars in sections
    )


def _outcome_cells(outcomes: Outcomes) -> Markup:
    values = [outcomes.applications, outcomes.within, outcomes.late, outcomes.not_at_all]
    return _number_cells([*values, percent(outcomes.share_within)])


def _figures_table(title: str, leading: Sequence[str], rows: Markup, language: str) -> Markup:
    t = _labels(language)
    numeric = [t["applications"], t[WITHIN], t[LATE], t[NOT_AT_ALL], t["share_within"]]
    head = _join(Markup('<th scope="col">{}</th>').format(c) for c in leading) + _join(
        Markup('<th scope="col" class="dash-num">{}</th>').format(c) for c in numeric
    )
    # The section's heading shows the title; the caption names the table for screen readers.
    return Markup(
        '<table class="dash-table"><caption class="dash-sr-only">{}</caption>'
        "<thead><tr>{}</tr></thead><tbody>{}</tbody></table>"
    ).format(title, head, rows)


def _vacancy_table(vacancies: Sequence[VacancyFigures], language: str) -> Markup:
    t = _labels(language)
    rows = _join(
        Markup('<tr><th scope="row">{} – {}</th><td>{}</td>{}</tr>').format(
            v.code, v.title, v.recruiter_name, _outcome_cells(v.outcomes)
        )
        for v in vacancies
    )
    title = t["per_vacancy"]
    leading = [t["vacancy"], t["recruiter"]]
    return _section(title, _figures_table(title, leading, rows, language))


def _recruiter_table(recruiters: Sequence[RecruiterFigures], language: str) -> Markup:
    t = _labels(language)
    rows = _join(
        Markup('<tr><th scope="row">{}</th>{}</tr>').format(r.name, _outcome_cells(r.outcomes))
        for r in recruiters
    )
    title = t["per_recruiter"]
    return _section(title, _figures_table(title, [t["recruiter"]], rows, language))


def _section(title: str, body: Markup) -> Markup:
    return Markup('<section class="dash-section"><h3>{}</h3>{}</section>').format(title, body)


def render_dashboard(data: Dashboard, language: str) -> Markup:
    """The dashboard as an HTML fragment (English or Dutch) to place in a desk page."""
    t = _labels(language)
    weekly_title = t["weekly"].format(weeks=len(data.weeks))
    parts = [
        STYLE,
        DEFS,
        Markup('<h2 id="dash-title">{}</h2><p class="dash-question">{}</p>').format(
            t["title"], t["question"]
        ),
        _headline(data.outcomes, data.median_to_acknowledge, language),
        _section(
            weekly_title,
            _weekly_chart(data.weeks, language) + _weekly_table(data.weeks, language),
        ),
        _escalation_charts(data, language),
        _vacancy_table(data.vacancies, language),
        _recruiter_table(data.recruiters, language),
    ]
    return Markup('<section class="dash" aria-labelledby="dash-title">{}</section>').format(
        _join(parts)
    )
