"""The dashboard in words and charts: the figures of desk/figures.py as an HTML fragment for the
desk's dashboard page, in English or Dutch, without JavaScript.

The fragment is the template dashboard_figures.html: the headline figures, the weeks as stacked
bars by outcome, the escalations by age and by reason as bars, and tables per vacancy and per
recruiter. Its charts are the macros of charts.html, drawn from the chart data made here
(desk/charts.py), each with a text equivalent for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from desk.charts import Bar, BarChart, Series, Stack, StackedBars, coord
from desk.figures import DECIDED, LATE, NOT_AT_ALL, WITHIN, Count, Dashboard, WeekFigures
from speech.catalogue import catalogue

# The fragment's own environment (the page around it is desk/views.py's): blocks take their line
# breaks along, so that a template's layout does not add blank lines to the markup.
templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)
templates.filters["coord"] = coord

# Each outcome's fill: the ids of the patterns dashboard_figures.html defines.
PATTERNS = {
    WITHIN: "dash-fill-within",
    LATE: "dash-fill-late",
    NOT_AT_ALL: "dash-fill-not-at-all",
}


def words(language: str) -> Callable[..., str]:
    """The dashboard's words in `language` (the catalogue's dashboard area):
    words(language)("title")."""
    return catalogue().area("dashboard", language)


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


def duration(value: timedelta | None, language: str) -> str:
    """Days and hours (minutes below an hour), e.g. "2 days 5 hours", "2 dagen 5 uur"."""
    t = words(language)
    if value is None:
        return t("no_median")

    def quantity(count: int, one: str, many: str) -> str:
        return f"{count} {t(one) if count == 1 else t(many)}"

    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return quantity(minutes, "minute", "minutes")
    days, hours = divmod(round(minutes / 60), 24)
    parts = [quantity(days, "day", "days")] if days else []
    if hours or not days:
        parts.append(quantity(hours, "hour", "hours"))
    return " ".join(parts)


def weekly_chart(weeks: Sequence[WeekFigures], language: str) -> StackedBars:
    """The weeks as stacked bars: within the deadline at the bottom, not at all on top."""
    t = words(language)
    return StackedBars(
        title=t("weekly", weeks=len(weeks)),
        heading=t("week"),
        legend=t("legend"),
        series=tuple(Series(t(outcome), PATTERNS[outcome]) for outcome in DECIDED),
        stacks=tuple(
            Stack(
                name=week.iso_week,
                tick=f"W{week.start.isocalendar()[1]:02d}",
                row=t("week_from", week=week.iso_week, monday=week.start.isoformat()),
                counts=tuple(week.outcomes.count_of(outcome) for outcome in DECIDED),
            )
            for week in weeks
        ),
    )


def escalation_charts(data: Dashboard, language: str) -> tuple[BarChart, BarChart]:
    """The open escalations by age and all escalations by reason, as bars."""
    t = words(language)

    def bars(counts: Sequence[Count], names: str) -> tuple[Bar, ...]:
        name_of = catalogue().name_of
        return tuple(Bar(name_of(names, count.key, language), count.count) for count in counts)

    ages = bars(data.open_escalations_by_age, "dashboard")
    reasons = bars(data.escalations_by_reason, "dashboard.reason_names")
    return (
        BarChart(t("ages"), t("age"), t("escalations"), ages),
        BarChart(t("reasons"), t("reason"), t("escalations"), reasons),
    )


def render_dashboard(data: Dashboard, language: str) -> Markup:
    """The dashboard as an HTML fragment (English or Dutch) to place in a desk page."""
    ages, reasons = escalation_charts(data, language)
    return Markup(
        templates.get_template("dashboard_figures.html").render(
            data=data,
            outcomes=DECIDED,
            t=words(language),
            percent=percent,
            duration=partial(duration, language=language),
            weekly=weekly_chart(data.weeks, language),
            ages=ages,
            reasons=reasons,
        )
    )
