"""What applicants ask that the bot does not understand: the review inbox's messages
(ats/review.py) counted per intent and per week for the dashboard, with charts in words.

A message counts under the intent an admin gave it, else the one the model thought; discarded
messages (no example: gibberish) are left out. Erased conversations keep their counts: the
rows keep their intent and week without any text. Counted by the database, grouped by week
as the dashboard's other weekly figures (Mondays in the employer's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy import Integer, case, func, literal_column, or_, select

from ats.models import ReviewMessage
from ats.review import DISCARDED
from ats.store import ATSStore
from desk.charts import Bar, BarChart, coord
from desk.dashboard import words
from desk.figures import _week_starts

templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)
templates.filters["coord"] = coord


@dataclass(frozen=True)
class ReviewFigures:
    weeks: int
    by_intent: tuple[tuple[str, int], ...]  # most first
    by_week: tuple[tuple[date, int], ...]  # oldest first, the current week last
    waiting: int  # not reviewed yet, of all time


async def review_figures(
    store: ATSStore, now: datetime, weeks: int = 12, *, tz: tzinfo = timezone.utc
) -> ReviewFigures:
    starts = _week_starts(now, weeks, tz)
    counted = [
        ReviewMessage.noticed_at >= starts[0],
        ReviewMessage.noticed_at < starts[-1],
        or_(ReviewMessage.verdict.is_(None), ReviewMessage.verdict != DISCARDED),
    ]
    intent = func.coalesce(ReviewMessage.reviewed_intent, ReviewMessage.intent)
    week = case(
        *(
            (ReviewMessage.noticed_at >= starts[i], literal_column(str(i), Integer))
            for i in reversed(range(weeks))
        ),
    )
    async with store.session() as session:
        intents = (
            select(intent.label("intent")).where(*counted).subquery()  # grouped outside
        )
        by_intent = [
            (row.intent, int(row.count))
            for row in await session.execute(
                select(intents.c.intent, func.count().label("count")).group_by(intents.c.intent)
            )
        ]
        weekly = select(week.label("week")).where(*counted).subquery()
        counts = [0] * weeks
        for row in await session.execute(
            select(weekly.c.week, func.count().label("count")).group_by(weekly.c.week)
        ):
            counts[int(row.week)] = int(row.count)
        waiting = await session.scalar(
            select(func.count()).where(
                ReviewMessage.verdict.is_(None), ReviewMessage.erased_at.is_(None)
            )
        )
    by_intent.sort(key=lambda pair: (-pair[1], pair[0]))
    return ReviewFigures(
        weeks=weeks,
        by_intent=tuple(by_intent),
        by_week=tuple(
            (start.date(), count) for start, count in zip(starts[:-1], counts, strict=True)
        ),
        waiting=int(waiting or 0),
    )


def render_review_figures(figures: ReviewFigures, language: str) -> Markup:
    """The dashboard's section on the review inbox, as an HTML fragment."""
    t = words(language)
    by_intent = BarChart(
        t("review_by_intent", weeks=figures.weeks),
        t("review_intent"),
        t("review_messages"),
        tuple(Bar(name, count) for name, count in figures.by_intent),
    )
    by_week = BarChart(
        t("review_by_week", weeks=figures.weeks),
        t("review_week"),
        t("review_messages"),
        tuple(
            Bar(t("week_from", week=_iso_week(monday), monday=monday.isoformat()), count)
            for monday, count in figures.by_week
        ),
    )
    return Markup(
        templates.get_template("dashboard_review.html").render(
            t=t, figures=figures, by_intent=by_intent, by_week=by_week
        )
    )


def _iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"
