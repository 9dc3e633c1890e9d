"""The desk's dashboard: acknowledgement figures, escalations, rendering; on both databases.

The ATS below (deadlines: 5 working days after applying, no holidays in November 2026):

    vacancy  recruiter  application               acknowledged         outcome
    DATA-1   Eva        1  Mon 2 Nov 09:00        after 1 day          within
    DATA-1   Eva        2  Mon 2 Nov 09:00        after 3 days 4 h     within
    DATA-1   Eva        3  Tue 3 Nov 09:00        after 17 days        late
    DATA-1   Eva        4  Mon 9 Nov 09:00        never                not at all
    DATA-1   Eva        5  Tue 24 Nov 09:00       never                pending
    DATA-1   Eva        8  Mon 1 Jun 09:00        after 1 day          within (before the weeks)
    OPS-2    Bram       6  Mon 16 Nov 09:00       after 1 day 6 h      within
    OPS-2    Bram       7  Wed 11 Nov 09:00       never                not at all
    OPS-2    Bram       9  Thu 12 Nov 09:00       after 7 days 1 h     late (by an hour)
    HR-3     Eva        10 Tue 17 Nov 09:00       after 6 h            within
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from markupsafe import Markup
from sqlalchemy import select, update

from ats.models import Escalation, EscalationReason, Recruiter, Vacancy
from ats.records import EscalationRequest
from desk.dashboard import duration, percent, render_dashboard
from desk.figures import Count, Dashboard, Outcomes, dashboard
from desk.sessions import DeskUser
from tests.ats.helpers import UTC, add, days, row

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday of ISO week 48
SCRIPT_TITLE = "<script>alert(1)</script> & Ops"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


EVA = {"recruiter_name": "Eva Jansen", "recruiter_email": "eva@example.com"}
BRAM = {"recruiter_name": "Bram Visser", "recruiter_email": "bram@example.com"}
DATA = {"vacancy_code": "DATA-1", "vacancy_title": "Data Analyst", **EVA}
OPS = {"vacancy_code": "OPS-2", "vacancy_title": SCRIPT_TITLE, **BRAM}
HR = {"vacancy_code": "HR-3", "vacancy_title": "HR Advisor", **EVA}

APPLICATIONS = {
    # number: (vacancy, applied_at, acknowledged_at)
    1: (DATA, at(11, 2), at(11, 3)),
    2: (DATA, at(11, 2), at(11, 5, 13)),
    3: (DATA, at(11, 3), at(11, 20)),
    4: (DATA, at(11, 9), None),
    5: (DATA, at(11, 24), None),
    6: (OPS, at(11, 16), at(11, 17, 15)),
    7: (OPS, at(11, 11), None),
    8: (DATA, at(6, 1), at(6, 2)),
    9: (OPS, at(11, 12), at(11, 19, 10)),
    10: (HR, at(11, 17), at(11, 17, 15)),
}


def email(number: int) -> str:
    return f"applicant{number}@example.com"


def user(recruiter_id: int, *, admin: bool = False) -> DeskUser:
    return DeskUser(
        account_id=1,
        recruiter_id=recruiter_id,
        name="Someone",
        email="someone@example.com",
        is_admin=admin,
        csrf_token="x",
    )


async def recruiter_id(store, address: str) -> int:
    async with store.session() as session:
        return await session.scalar(select(Recruiter.id).where(Recruiter.email == address))


async def escalate(
    store, reason: EscalationReason, number: int | None, *, age: timedelta, state: str = "open"
) -> None:
    """An escalation about application `number` (None: an unknown applicant, for Bram)."""
    reference = None
    if number is not None:
        (application,) = await store.find_applications_by_email(email(number))
        reference = application.reference
    escalation, _, _ = await store.open_escalation(
        EscalationRequest(
            reason=reason,
            respond_by=NOW,
            application_reference=reference,
            recruiter_email=None if reference else BRAM["recruiter_email"],
            applicant_name=None if reference else "Stranger",
        )
    )
    async with store.session() as session, session.begin():
        await session.execute(
            update(Escalation)
            .where(Escalation.id == escalation.id)
            .values(created_at=NOW - age, state=state)
        )


@pytest.fixture
async def ats(store, db_settings):
    rows = [
        row(
            number + 1,
            candidate_name=f"Applicant {number}",
            candidate_email=email(number),
            applied_at=applied,
            acknowledged_at=acknowledged,
            **vacancy,
        )
        for number, (vacancy, applied, acknowledged) in APPLICATIONS.items()
    ]
    await add(store, db_settings, *rows, now=NOW - days(1))
    await escalate(store, EscalationReason.ACK_OVERDUE, 4, age=hours(2))
    await escalate(store, EscalationReason.ACK_OVERDUE, 7, age=days(2))
    await escalate(store, EscalationReason.APPLICANT_REQUEST, 1, age=days(10), state="claimed")
    await escalate(store, EscalationReason.PRIVACY_REQUEST, 6, age=days(5), state="resolved")
    # exactly three days old: the 3-7 days bucket
    await escalate(store, EscalationReason.UNKNOWN_APPLICANT, None, age=days(3))
    return store


@pytest.fixture
async def admin_view(ats) -> Dashboard:
    return await dashboard(ats, user(999, admin=True), NOW)


def counts(items: tuple[Count, ...]) -> dict[str, int]:
    return {item.key: item.count for item in items}


def figures(outcomes: Outcomes) -> tuple[int, int, int, int]:
    return (outcomes.within, outcomes.late, outcomes.not_at_all, outcomes.pending)


async def test_the_shares_count_what_was_decided_and_leave_pending_out(admin_view):
    outcomes = admin_view.outcomes
    assert figures(outcomes) == (5, 2, 2, 1)
    assert outcomes.applications == 10
    assert outcomes.decided == 9
    assert outcomes.share_within == pytest.approx(5 / 9)
    assert outcomes.share_late == pytest.approx(2 / 9)
    assert outcomes.share_not_at_all == pytest.approx(2 / 9)


async def test_the_median_time_to_acknowledge(admin_view):
    # 6 h, 24 h, 24 h, 30 h, 76 h, 169 h, 408 h: the middle one
    assert admin_view.median_to_acknowledge == hours(30)


async def test_an_even_number_of_acknowledgements_has_the_mean_of_the_middle_two(ats):
    bram = await dashboard(ats, user(await recruiter_id(ats, "bram@example.com")), NOW)
    # 30 h and 169 h
    assert bram.median_to_acknowledge == hours(99.5)


async def test_open_escalations_by_age_and_all_escalations_by_reason(admin_view):
    assert counts(admin_view.open_escalations_by_age) == {
        "under_1_day": 1,
        "1_to_3_days": 1,
        "3_to_7_days": 1,
        "7_days_or_more": 1,  # claimed is not resolved
    }
    assert [c.key for c in admin_view.escalations_by_reason] == [r.value for r in EscalationReason]
    assert counts(admin_view.escalations_by_reason) == {
        "ack_overdue": 2,
        "update_overdue": 0,
        "applicant_request": 1,
        "withdrawal": 0,
        "privacy_request": 1,  # resolved, still counted by reason
        "unknown_applicant": 1,
    }


async def test_figures_per_vacancy_and_per_recruiter(admin_view):
    vacancies = {v.code: v for v in admin_view.vacancies}
    assert list(vacancies) == ["DATA-1", "HR-3", "OPS-2"]
    assert figures(vacancies["DATA-1"].outcomes) == (3, 1, 1, 1)
    assert vacancies["DATA-1"].outcomes.applications == 6
    assert vacancies["DATA-1"].outcomes.share_within == pytest.approx(3 / 5)
    assert vacancies["DATA-1"].recruiter_name == "Eva Jansen"
    assert figures(vacancies["OPS-2"].outcomes) == (1, 1, 1, 0)
    assert vacancies["OPS-2"].title == SCRIPT_TITLE
    assert vacancies["OPS-2"].outcomes.share_within == pytest.approx(1 / 3)
    assert figures(vacancies["HR-3"].outcomes) == (1, 0, 0, 0)
    assert vacancies["HR-3"].outcomes.share_within == 1

    recruiters = {r.name: r for r in admin_view.recruiters}
    assert list(recruiters) == ["Bram Visser", "Eva Jansen"]
    assert figures(recruiters["Eva Jansen"].outcomes) == (4, 1, 1, 1)  # DATA-1 and HR-3
    assert recruiters["Eva Jansen"].outcomes.share_within == pytest.approx(4 / 6)
    assert figures(recruiters["Bram Visser"].outcomes) == (1, 1, 1, 0)


async def test_the_weekly_series_covers_the_last_weeks_without_pending(admin_view):
    weeks = admin_view.weeks
    assert len(weeks) == 12
    assert weeks[0].start == date(2026, 9, 7)
    assert weeks[-1].start == date(2026, 11, 23)
    assert weeks[-1].iso_week == "2026-W48"
    by_week = {w.iso_week: figures(w.outcomes) for w in weeks}
    assert by_week["2026-W45"] == (2, 1, 0, 0)
    assert by_week["2026-W46"] == (0, 1, 2, 0)
    assert by_week["2026-W47"] == (2, 0, 0, 0)
    assert by_week["2026-W48"] == (0, 0, 0, 0)  # only a pending application
    # June's application is counted in the totals but lies before the weeks shown
    assert sum(w.outcomes.decided for w in weeks) == admin_view.outcomes.decided - 1


async def test_a_recruiter_sees_only_their_vacancies_and_escalations(ats):
    bram_id = await recruiter_id(ats, "bram@example.com")
    eva_id = await recruiter_id(ats, "eva@example.com")

    bram = await dashboard(ats, user(bram_id), NOW)
    assert [v.code for v in bram.vacancies] == ["OPS-2"]
    assert [r.name for r in bram.recruiters] == ["Bram Visser"]
    assert figures(bram.outcomes) == (1, 1, 1, 0)
    assert sum(w.outcomes.decided for w in bram.weeks) == 3
    # OPS-2's two and the unknown applicant assigned to Bram
    assert counts(bram.escalations_by_reason)["ack_overdue"] == 1
    assert counts(bram.escalations_by_reason)["privacy_request"] == 1
    assert counts(bram.escalations_by_reason)["unknown_applicant"] == 1
    assert counts(bram.escalations_by_reason)["applicant_request"] == 0
    assert counts(bram.open_escalations_by_age) == {
        "under_1_day": 0,
        "1_to_3_days": 1,
        "3_to_7_days": 1,
        "7_days_or_more": 0,
    }

    eva = await dashboard(ats, user(eva_id), NOW)
    assert [v.code for v in eva.vacancies] == ["DATA-1", "HR-3"]
    assert figures(eva.outcomes) == (4, 1, 1, 1)
    assert eva.median_to_acknowledge == hours(24)  # 6, 24, 24, 76, 408
    assert counts(eva.open_escalations_by_age)["7_days_or_more"] == 1
    assert sum(c.count for c in eva.escalations_by_reason) == 2


async def test_a_backup_recruiter_sees_the_vacancy_too(ats):
    bram_id = await recruiter_id(ats, "bram@example.com")
    eva_id = await recruiter_id(ats, "eva@example.com")
    async with ats.session() as session, session.begin():
        await session.execute(
            update(Vacancy).where(Vacancy.code == "OPS-2").values(backup_recruiter_id=eva_id)
        )
    eva = await dashboard(ats, user(eva_id), NOW)
    assert [v.code for v in eva.vacancies] == ["DATA-1", "HR-3", "OPS-2"]
    # per recruiter is by the vacancy's own recruiter, not the backup
    assert [r.recruiter_id for r in eva.recruiters] == [bram_id, eva_id]
    assert figures(eva.outcomes) == (5, 2, 2, 1)


async def test_a_recruiter_without_vacancies_sees_an_empty_dashboard(ats):
    empty = await dashboard(ats, user(12345), NOW, weeks=4)
    assert figures(empty.outcomes) == (0, 0, 0, 0)
    assert empty.outcomes.share_within is None
    assert empty.median_to_acknowledge is None
    assert empty.vacancies == empty.recruiters == ()
    assert [w.outcomes.decided for w in empty.weeks] == [0, 0, 0, 0]
    assert sum(c.count for c in empty.open_escalations_by_age) == 0
    html = render_dashboard(empty, "en")
    assert "No applications yet." in html
    assert "no acknowledgements yet" in html
    parse(html)


async def test_weeks_start_on_monday_in_the_given_time_zone(store, db_settings):
    # Sunday 23:30 in UTC is already Monday in Amsterdam
    applied = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    await add(store, db_settings, row(applied_at=applied, acknowledged_at=applied + hours(1)))
    admin = user(1, admin=True)
    in_utc = await dashboard(store, admin, NOW, weeks=2)
    assert [(w.start, w.outcomes.within) for w in in_utc.weeks] == [
        (date(2026, 11, 16), 1),
        (date(2026, 11, 23), 0),
    ]
    in_amsterdam = await dashboard(store, admin, NOW, weeks=2, tz=ZoneInfo("Europe/Amsterdam"))
    assert [(w.start, w.outcomes.within) for w in in_amsterdam.weeks] == [
        (date(2026, 11, 16), 0),
        (date(2026, 11, 23), 1),
    ]


async def test_a_reason_this_version_does_not_know_is_still_counted_at_the_end(ats):
    # as a newer version of the help desk, sharing the database, would have written it
    async with ats.session() as session, session.begin():
        await session.execute(
            update(Escalation)
            .where(Escalation.reason == EscalationReason.UNKNOWN_APPLICANT.value)
            .values(reason="salary_question")
        )
    admin = await dashboard(ats, user(999, admin=True), NOW)
    known = [reason.value for reason in EscalationReason]
    assert [c.key for c in admin.escalations_by_reason] == [*known, "salary_question"]
    assert counts(admin.escalations_by_reason)["salary_question"] == 1
    assert counts(admin.escalations_by_reason)["unknown_applicant"] == 0
    # shown by its code, having no name in this version
    assert ["salary_question", "1"] in table(
        parse(render_dashboard(admin, "en")), "Escalations by reason"
    )


async def test_weeks_must_be_positive(store):
    with pytest.raises(ValueError):
        await dashboard(store, user(1, admin=True), NOW, weeks=0)


# -- rendering -------------------------------------------------------------------------------


def parse(html: Markup) -> ET.Element:
    """The fragment is well-formed XML too, which lets the tests look at its structure."""
    return ET.fromstring(str(html))


def text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def table(root: ET.Element, caption: str) -> list[list[str]]:
    for found in root.iter("table"):
        if text(found.find("caption")) == caption:
            return [[text(cell) for cell in tr] for tr in found.iter("tr")]
    raise AssertionError(f"no table {caption!r}")


async def test_the_rendered_dashboard_shows_the_figures(admin_view):
    html = render_dashboard(admin_view, "en")
    assert isinstance(html, Markup)
    root = parse(html)
    headline = {text(d.find("dt")): text(d.find("dd")) for d in root.iter("div")}
    assert headline["Within the deadline"] == "56% 5 of 9"
    assert headline["Late"] == "22% 2 of 9"
    assert headline["Not at all (overdue)"] == "22% 2 of 9"
    assert headline["Median time to acknowledge"] == "1 day 6 hours"
    assert "One application still within its deadline is not counted." in html

    assert table(root, "Per vacancy") == [
        [
            "Vacancy",
            "Recruiter",
            "Applications",
            "Within the deadline",
            "Late",
            "Not at all (overdue)",
            "Share within the deadline",
        ],
        ["DATA-1 – Data Analyst", "Eva Jansen", "6", "3", "1", "1", "60%"],
        ["HR-3 – HR Advisor", "Eva Jansen", "1", "1", "0", "0", "100%"],
        [f"OPS-2 – {SCRIPT_TITLE}", "Bram Visser", "3", "1", "1", "1", "33%"],
    ]
    assert table(root, "Per recruiter")[1:] == [
        ["Bram Visser", "3", "1", "1", "1", "33%"],
        ["Eva Jansen", "7", "4", "1", "1", "67%"],
    ]
    weekly = table(root, "Acknowledgement by week of application, last 12 weeks")
    assert ["2026-W46 (from 2026-11-09)", "0", "1", "2"] in weekly
    assert table(root, "Open escalations by age")[1:] == [
        ["Under 1 day", "1"],
        ["1–3 days", "1"],
        ["3–7 days", "1"],
        ["7 days or more", "1"],
    ]
    assert ["Privacy request", "1"] in table(root, "Escalations by reason")


async def test_every_chart_is_labelled_and_the_stacks_have_a_legend(admin_view):
    root = parse(render_dashboard(admin_view, "en"))
    charts = [svg for svg in root.iter("svg") if svg.get("role") == "img"]
    assert len(charts) == 3
    for chart in charts:
        assert chart.get("aria-label")
        assert text(chart.find("title")) == chart.get("aria-label")
    legend = [text(li) for li in root.iter("li")]
    assert legend == ["Within the deadline", "Late", "Not at all (overdue)"]
    # the weekly stacks: one rect per non-empty outcome and week, each with its own pattern
    weekly = charts[0]
    bars = {text(rect.find("title")): rect.get("fill") for rect in weekly.iter("rect")}
    assert bars["2026-W46: Not at all (overdue) 2"] == "url(#dash-fill-not-at-all)"
    assert bars["2026-W46: Late 1"] == "url(#dash-fill-late)"
    assert bars["2026-W45: Within the deadline 2"] == "url(#dash-fill-within)"
    assert len(bars) == 5


async def test_bars_and_stacks_are_as_long_as_their_counts(admin_view):
    weekly, ages, reasons = [
        svg for svg in parse(render_dashboard(admin_view, "en")).iter("svg") if svg.get("role")
    ]
    # the busiest weeks (3) reach the top of the axis (y 12), its bottom is at y 172
    assert [text(label) for label in weekly.iter("text")][:3] == ["0", "1", "3"]
    segments = {
        text(rect.find("title")): (rect.get("y"), rect.get("height"))
        for rect in weekly.iter("rect")
    }
    assert segments["2026-W45: Within the deadline 2"] == ("65.3", "106.7")
    assert segments["2026-W45: Late 1"] == ("12", "53.3")  # stacked on top
    assert segments["2026-W46: Late 1"] == ("118.7", "53.3")  # at the bottom: none within
    assert segments["2026-W47: Within the deadline 2"] == ("65.3", "106.7")
    # the longest bar is 240 wide and stands for the highest count
    assert {text(r.find("title")): r.get("width") for r in ages.iter("rect")} == {
        "Under 1 day: 1": "240",
        "1–3 days: 1": "240",
        "3–7 days: 1": "240",
        "7 days or more: 1": "240",
    }
    widths = {text(r.find("title")): r.get("width") for r in reasons.iter("rect")}
    assert widths["Acknowledgement overdue: 2"] == "240"
    assert widths["Privacy request: 1"] == "120"
    assert widths["Update overdue: 0"] == "0"


async def test_the_rendered_dashboard_escapes_the_data(admin_view):
    html = str(render_dashboard(admin_view, "en"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Ops" in html


async def test_the_dashboard_in_dutch(admin_view):
    html = render_dashboard(admin_view, "nl")
    root = parse(html)
    headline = {text(d.find("dt")): text(d.find("dd")) for d in root.iter("div")}
    assert headline["Binnen de termijn"] == "56% 5 van 9"
    assert headline["Mediane tijd tot bevestiging"] == "1 dag 6 uur"
    assert ["Privacyverzoek", "1"] in table(root, "Escalaties naar reden")
    assert ["7 dagen of langer", "1"] in table(root, "Openstaande escalaties naar leeftijd")
    assert "Per vacature" in html
    assert not re.search(r"Within|Late\b|Escalations", html)


# -- the page --------------------------------------------------------------------------------


def fragment_of(page: str) -> ET.Element:
    """The dashboard's section of a desk page, up to the tag that closes it (the page around it
    is HTML, not XML, and other sections follow it)."""
    start = page.index('<section class="dash"')
    depth = 0
    for tag in re.finditer(r"<section\b|</section>", page[start:]):
        depth += -1 if tag.group().startswith("</") else 1
        if depth == 0:
            return parse(Markup(page[start : start + tag.end()]))
    raise AssertionError("the dashboard's section is not closed")


async def test_the_dashboard_page_shows_a_recruiter_their_figures(ats, desk, monkeypatch):
    monkeypatch.setattr("desk.views.utcnow", lambda: NOW)
    await desk.account(BRAM["recruiter_email"], BRAM["recruiter_name"])
    browser = desk.browser()
    try:
        await browser.log_in(BRAM["recruiter_email"])
        page = await browser.get("/desk/dashboard")
        assert page.status_code == 200
        root = fragment_of(page.text)
        headline = {text(d.find("dt")): text(d.find("dd")) for d in root.iter("div")}
        assert headline["Within the deadline"] == "33% 1 of 3"
        assert headline["Median time to acknowledge"] == "4 days 4 hours"  # 99.5 hours
        assert table(root, "Per vacancy")[1:] == [
            [f"OPS-2 – {SCRIPT_TITLE}", "Bram Visser", "3", "1", "1", "1", "33%"]
        ]
        assert ["Unknown applicant", "1"] in table(root, "Escalations by reason")

        dutch = fragment_of((await browser.get("/desk/dashboard?lang=nl")).text)
        headline = {text(d.find("dt")): text(d.find("dd")) for d in dutch.iter("div")}
        assert headline["Binnen de termijn"] == "33% 1 van 3"
        assert table(dutch, "Per recruiter")[1:] == [["Bram Visser", "3", "1", "1", "1", "33%"]]

        # the tables that repeat the charts for screen readers are hidden from view by the
        # desk's stylesheet, which the page links
        assert '<link rel="stylesheet" href="/desk/static/desk.css">' in page.text
        stylesheet = (await browser.get("/desk/static/desk.css")).text
        assert re.search(r"\.dash-sr-only \{[^}]*position: absolute;[^}]*clip:", stylesheet)
    finally:
        await browser.close()


def test_percentages_never_round_a_miss_or_a_hit_away():
    assert percent(None) == "–"
    assert percent(1) == "100%"
    assert percent(0.996) == ">99%"
    assert percent(0.004) == "<1%"
    assert percent(0) == "0%"
    assert percent(5 / 9) == "56%"


def test_durations_in_days_and_hours():
    assert duration(hours(53), "en") == "2 days 5 hours"
    assert duration(hours(48), "en") == "2 days"
    assert duration(hours(25), "nl") == "1 dag 1 uur"
    assert duration(hours(3), "nl") == "3 uur"
    assert duration(timedelta(minutes=20), "en") == "20 minutes"
    assert duration(None, "nl") == "nog geen bevestigingen"
