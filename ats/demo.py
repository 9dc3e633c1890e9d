"""A realistic demo ATS: Dutch and English applicants in every status, some of them let down.

Dates are relative to today, so the demo always has fresh applications, ack-overdue ones and
on-hold ones past their promised update, whenever it is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ats.import_report import ImportSummary
from ats.importer import import_rows
from ats.models import Status
from ats.rows import ImportRow
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

RECRUITERS = {
    "eva": ("Eva Jansen", "eva.jansen@example.com"),
    "daan": ("Daan Bakker", "daan.bakker@example.com"),
    "priya": ("Priya Sharma", "priya.sharma@example.com"),
}
VACANCIES = {
    "DATA-2611": ("Data Analyst", "eva"),
    "ICU-NURSE-07": ("Verpleegkundige Intensive Care", "daan"),
    "BE-DEV-31": ("Backend Developer (Python)", "priya"),
    "KS-MDW-12": ("Klantenservicemedewerker", "daan"),
    "FIN-CTRL-04": ("Finance Controller", "eva"),
}


@dataclass(frozen=True)
class DemoApplicant:
    reference: str
    name: str
    email: str
    language: str
    vacancy: str
    days_ago: int
    status: Status
    stage: str | None = None
    acknowledged_days_ago: int | None = None
    next_update_in_days: int | None = None  # negative: the promised date has passed
    note: str = ""


APPLICANTS = (
    DemoApplicant("AP-7K3M-9XQ2", "Sanne de Vries", "sanne.devries@example.nl", "nl",
                  "DATA-2611", 12, Status.APPLIED, note="nl, ack-overdue"),
    DemoApplicant("AP-4HD8-2MWR", "James Carter", "james.carter@example.com", "en",
                  "BE-DEV-31", 10, Status.APPLIED, note="en, ack-overdue"),
    DemoApplicant("AP-Q8ZT-5NVC", "Fatima El Amrani", "fatima.elamrani@example.nl", "nl",
                  "KS-MDW-12", 30, Status.ON_HOLD, "Vacature tijdelijk aangehouden", 27, -3,
                  "nl, on hold, promised update 3 days late"),
    DemoApplicant("AP-9TRB-X2KE", "Oliver Bennett", "oliver.bennett@example.com", "en",
                  "FIN-CTRL-04", 25, Status.ON_HOLD, "Budget approval pending", 22, -1,
                  "en, on hold, promised update 1 day late"),
    DemoApplicant("AP-3M6P-H7WD", "Lotte Visser", "lotte.visser@example.nl", "nl",
                  "ICU-NURSE-07", 1, Status.APPLIED, note="nl, fresh"),
    DemoApplicant("AP-8YJS-4GQA", "Emily Clarke", "emily.clarke@example.com", "en",
                  "DATA-2611", 0, Status.APPLIED, note="en, fresh"),
    DemoApplicant("AP-5CWN-ZH3T", "Thijs Mulder", "thijs.mulder@example.nl", "nl",
                  "BE-DEV-31", 6, Status.ACKNOWLEDGED, "Ontvangen", 4, note="nl, acknowledged"),
    DemoApplicant("AP-6VFK-8RMB", "Aisha Okafor", "aisha.okafor@example.com", "en",
                  "DATA-2611", 9, Status.SCREENING, "CV screening", 7, note="en, screening"),
    DemoApplicant("AP-2XGE-9PSJ", "Bram Hendriks", "bram.hendriks@example.nl", "nl",
                  "FIN-CTRL-04", 18, Status.INTERVIEW, "Tweede gesprek", 15, 4,
                  "nl, interview with a promised update"),
    DemoApplicant("AP-H4NT-6KYD", "Sophie Turner", "sophie.turner@example.com", "en",
                  "ICU-NURSE-07", 35, Status.OFFER, "Offer sent", 31, note="en, offer"),
    DemoApplicant("AP-K7RZ-3WXF", "Noah Jacobs", "noah.jacobs@example.nl", "nl",
                  "KS-MDW-12", 60, Status.HIRED, "Gestart", 56, note="nl, hired"),
    DemoApplicant("AP-M2DQ-8TVA", "Liam O'Connor", "liam.oconnor@example.com", "en",
                  "BE-DEV-31", 40, Status.REJECTED, "After first interview", 37,
                  note="en, rejected"),
    DemoApplicant("AP-P9BC-5JHE", "Julia de Groot", "julia.degroot@example.nl", "nl",
                  "DATA-2611", 20, Status.WITHDRAWN, None, 17, note="nl, withdrawn"),
    # One person, two applications: the bot asks which one is meant.
    DemoApplicant("AP-R6GW-2MZN", "Daniel Kim", "daniel.kim@example.com", "en",
                  "DATA-2611", 14, Status.INTERVIEW, "First interview", 11, note="en, interview"),
    DemoApplicant("AP-T3XH-7QCP", "Daniel Kim", "daniel.kim@example.com", "en",
                  "FIN-CTRL-04", 8, Status.APPLIED, note="en, ack-overdue, 2nd application"),
)  # fmt: skip


def demo_rows(settings: Settings, now: datetime | None = None) -> list[ImportRow]:
    now = now or utcnow()
    today = now.astimezone(settings.timezone).date()

    def local(days_ago: int, hour: int) -> datetime:
        moment = datetime.combine(today - timedelta(days=days_ago), time(hour, 0))
        return min(moment.replace(tzinfo=settings.timezone), now)

    rows = []
    for line, applicant in enumerate(APPLICANTS, start=2):
        title, recruiter_key = VACANCIES[applicant.vacancy]
        recruiter_name, recruiter_email = RECRUITERS[recruiter_key]
        next_update = (
            local(-applicant.next_update_in_days, 12)
            if applicant.next_update_in_days is not None and applicant.next_update_in_days < 0
            else None
        )
        if applicant.next_update_in_days is not None and applicant.next_update_in_days >= 0:
            next_update = datetime.combine(
                today + timedelta(days=applicant.next_update_in_days), time(12, 0)
            ).replace(tzinfo=settings.timezone)
        rows.append(
            ImportRow(
                line=line,
                reference=applicant.reference,
                candidate_name=applicant.name,
                candidate_email=applicant.email,
                candidate_language=applicant.language,
                candidate_phone=None,
                vacancy_code=applicant.vacancy,
                vacancy_title=title,
                recruiter_name=recruiter_name,
                recruiter_email=recruiter_email,
                applied_at=local(applicant.days_ago, 9 + line % 8),
                acknowledged_at=local(applicant.acknowledged_days_ago, 11)
                if applicant.acknowledged_days_ago is not None
                else None,
                status=applicant.status,
                stage=applicant.stage,
                next_update_due_at=next_update,
                ats_system="demo",
                ats_id=applicant.reference,
            )
        )
    return rows


async def seed_demo(store: ATSStore, settings: Settings) -> ImportSummary:
    return await import_rows(store, demo_rows(settings), settings, actor="demo")
