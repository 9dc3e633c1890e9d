"""The demo data set: something to try for every situation the help desk handles."""

from datetime import timedelta

from ats.demo import APPLICANTS, seed_demo
from ats.models import EscalationReason, Status
from ats.store_basics import utcnow


async def test_the_demo_covers_every_status_language_and_deadline_situation(store, db_settings):
    summary = await seed_demo(store, db_settings)
    assert summary.created == len(APPLICANTS)
    now = utcnow()
    applications = [await store.find_application(a.reference) for a in APPLICANTS]
    assert {a.status for a in applications} == set(Status)
    assert {a.candidate.language for a in applications} == {"en", "nl"}
    assert len({a.recruiter.email for a in applications}) >= 3
    reasons = [a.overdue_reason(now) for a in applications]
    assert reasons.count(EscalationReason.ACK_OVERDUE) >= 2
    assert reasons.count(EscalationReason.UPDATE_OVERDUE) >= 2
    fresh = [a for a in applications if a.status is Status.APPLIED and now < a.ack_due_at]
    assert fresh and all(now - a.applied_at < timedelta(days=3) for a in fresh)
    overdue = await store.list_overdue(now)
    assert {o.application.reference for o in overdue} == {
        a.reference for a, r in zip(applications, reasons, strict=True) if r
    }
    # one applicant with two applications, for the "which one?" question
    assert len(await store.find_applications_by_email("daniel.kim@example.com")) == 2


async def test_seeding_again_adds_nothing(store, db_settings):
    await seed_demo(store, db_settings)
    again = await seed_demo(store, db_settings)
    assert again.created == 0
    assert await store.count_applications() == len(APPLICANTS)
