"""The retention purge: a closed application's applicant is gone everywhere once the period is
over and not before; open ones are untouched; the figures stay; running it twice, or two at once,
is harmless."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy import func, select

from ats.db import explain
from ats.mail import Mailer
from ats.models import Application, AuditEntry, ErasureAnnouncement, Status, TrackerErasure
from ats.privacy.consent import record_consent
from ats.privacy.retention import RetentionPurge, months_before
from desk.figures import dashboard
from desk.sessions import DeskUser
from tests.ats.privacy.conftest import (
    START,
    Clock,
    build_history,
    everything,
    folder_text,
    tracker_senders,
)

ADMIN = DeskUser(0, 0, "Admin", "admin@example.com", True, "")
SANNE = ("Sanne de Vries", "sanne@example.nl", "tg-777", "web-sanne", "123456")


async def test_a_closed_application_is_erased_after_the_period_and_not_before(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    await Mailer(store, privacy_settings).deliver_pending()  # the outbox folder has them too
    figures_before = await dashboard(store, ADMIN, START + timedelta(days=40))
    purge = RetentionPurge(store, privacy_settings, clock)

    clock.now = START + timedelta(weeks=4) - timedelta(minutes=1)
    assert (await purge.run()).applications == 0
    held = await everything(store)
    assert all(needle in held for needle in ("Sanne de Vries", "sanne@example.nl", refs["sanne"]))

    clock.now = START + timedelta(weeks=4, minutes=1)
    report = await purge.run()
    assert (report.applications, report.applicants) == (1, 1)
    held = await everything(store)
    for needle in (*SANNE, refs["sanne"], "lacks SQL", "Not enough SQL"):
        assert needle not in held, needle
    assert "web-sanne" not in tracker_senders(tracker_url)
    assert "tg-777" not in tracker_senders(tracker_url)
    outbox = folder_text(privacy_settings.outbox_dir)
    assert "sanne@example.nl" not in outbox and "Sanne de Vries" not in outbox
    # James's application is open: everything of his is kept, conversation included
    assert "james@example.com" in held and refs["james"] in held
    assert "web-james" in tracker_senders(tracker_url)
    [james] = await store.find_applications_by_email("james@example.com")
    assert james.reference == refs["james"]
    # what stays is anonymous and the dashboard counts the same
    async with store.session() as session:
        erased = await session.scalar(select(Application).where(Application.erased_at.isnot(None)))
        assert erased.status == "rejected" and erased.candidate_id is None
        assert erased.reference is None and erased.vacancy_id is not None
        [audit] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "purge"))
        ).all()
        assert "1 application(s)" in audit.detail and "Sanne" not in audit.detail
        # every Rasa server is asked to drop the conversations from memory (by hash only)
        hashes = (await session.scalars(select(TrackerErasure.conversation_hash))).all()
        assert len(hashes) >= 2 and not any("sanne" in h for h in hashes)
    assert await dashboard(store, ADMIN, START + timedelta(days=40)) == figures_before

    # the next run finds nothing more to do
    again = await purge.run()
    assert (again.applications, again.applicants) == (0, 0)


async def test_consent_keeps_the_data_for_the_consent_period(store, privacy_settings, tracker_url):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    await record_consent(
        store,
        "sanne@example.nl",
        source="conversation",
        wording="Mogen we je gegevens 12 maanden bewaren?",
        at=START,
    )
    purge = RetentionPurge(store, privacy_settings, clock)
    clock.now = START + timedelta(weeks=30)
    assert (await purge.run()).applications == 0
    assert refs["sanne"] in await everything(store)
    clock.now = months_before(START, -12) + timedelta(minutes=1)
    assert (await purge.run()).applications == 1
    assert "sanne@example.nl" not in await everything(store)


async def test_a_dry_run_counts_and_erases_nothing(store, privacy_settings, tracker_url):
    clock = Clock(START)
    await build_history(store, privacy_settings, tracker_url, clock)
    clock.now = START + timedelta(weeks=5)
    before = await everything(store)
    report = await RetentionPurge(store, privacy_settings, clock).run(dry_run=True)
    assert (report.applications, report.applicants, report.dry_run) == (1, 1, True)
    assert "would erase 1 closed application" in report.describe()
    assert await everything(store) == before
    assert "web-sanne" in tracker_senders(tracker_url)


async def test_two_purges_at_once_erase_each_applicant_once(store, privacy_settings, tracker_url):
    clock = Clock(START)
    await build_history(store, privacy_settings, tracker_url, clock)
    clock.now = START + timedelta(weeks=5)
    first, second = await asyncio.gather(
        RetentionPurge(store, privacy_settings, clock).run(),
        RetentionPurge(store, privacy_settings, clock).run(),
    )
    assert first.applications + second.applications == 1
    assert first.applicants + second.applicants == 1
    assert "sanne@example.nl" not in await everything(store)
    async with store.session() as session:
        retention = select(func.count()).where(AuditEntry.detail.like("retention:%"))
        assert await session.scalar(retention) == 1


async def test_conversations_that_never_verified_go_after_the_shorter_period(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    settings = dataclasses.replace(privacy_settings, unverified_retention_days=14)
    purge = RetentionPurge(store, settings, clock)
    clock.now = START + timedelta(days=13)
    assert (await purge.run()).idle_conversations == 0
    assert "pim@nowhere.example" in await everything(store)

    clock.now = START + timedelta(days=15)
    report = await purge.run()
    assert report.idle_conversations == 1 and report.idle_escalations == 1
    assert tracker_senders(tracker_url) == ["tg-777", "web-james", "web-sanne"]
    held = await everything(store)
    assert "pim@nowhere.example" not in held and "Pim" not in held  # his feedback's words too
    # Sanne's application closed two weeks ago: hers are kept until its own period is over
    assert refs["sanne"] in held


async def test_erasure_events_wait_without_a_broker_and_are_dropped(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    await build_history(store, privacy_settings, tracker_url, clock)
    clock.now = START + timedelta(weeks=5)
    report = await RetentionPurge(store, privacy_settings, clock).run()
    assert report.announced == 0  # no broker configured: nobody to tell
    async with store.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErasureAnnouncement)) == 0


async def test_consent_does_not_keep_a_hired_applicant_longer(store, privacy_settings, tracker_url):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    await store.record_status_change(
        refs["james"], Status.HIRED, actor="Eva", source="desk", at=START
    )
    await record_consent(store, "james@example.com", source="ats", wording="talent pool", at=START)
    clock.now = START + timedelta(weeks=4, minutes=1)
    report = await RetentionPurge(store, privacy_settings, clock).run()
    assert report.applications == 2  # Sanne (rejected) and James (hired), consent or not
    assert "james@example.com" not in await everything(store)


async def test_the_purge_reads_the_partial_index_of_closed_applications_not_the_table(
    store, privacy_settings, tracker_url
):
    await build_history(store, privacy_settings, tracker_url, Clock(START))
    purge = RetentionPurge(store, privacy_settings, Clock(START + timedelta(weeks=5)))
    async with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # a tiny table is cheapest to scan: forbid that, to see whether the index applies
            await connection.exec_driver_sql("SET enable_seqscan = off")
        plan = await explain(connection, purge.selection(START + timedelta(weeks=5)))
    assert "ix_applications_closed_unerased_closed_at" in plan, plan
    assert "SCAN applications" not in plan and "Seq Scan on applications" not in plan
