"""The deadline monitor on SQLite and PostgreSQL: escalations, notices and digests, once each."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ats.db import create_engine
from ats.linking import ChatLinks
from ats.models import Escalation, Status
from ats.settings import WhatsAppSettings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.writeback.send import send
from ats.telegram_api import TelegramSettings, message_sender
from ats.whatsapp_notices import notice_sender
from ats.whatsapp_store import note_inbound
from monitor.sweep import describe
from tests.ats.helpers import add, row
from tests.ats.sync import fake_writes as fw
from tests.ats.sync.test_writeback import CASES, desk_sets
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_whatsapp import FakeWhatsApp
from tests.channels.test_whatsapp import settings_of
from tests.monitor.conftest import Clock, local, mails, sweeper


async def count_escalations(store: ATSStore) -> int:
    async with store.session() as session:
        return await session.scalar(select(func.count()).select_from(Escalation))


async def test_nothing_is_overdue_before_the_deadline_across_the_long_weekend(ats):
    store, settings = ats
    clock = Clock(local(2026, 4, 30, 11))  # Thursday: the update is not due until noon
    report = await sweeper(store, settings, clock).sweep()
    assert report.escalated == 0 and await mails(store) == []

    clock.now = local(2026, 5, 1, 9)  # Friday morning: the update is late, the acks not yet
    assert (await sweeper(store, settings, clock).sweep()).escalated == 1

    clock.now = local(2026, 5, 2, 12)  # Saturday: both acknowledgements are late too
    report = await sweeper(store, settings, clock).sweep()
    assert report.escalated == 2 and report.applicants_emailed == 2 and report.digests == 1
    # raised from the ATS's own dates, not on anyone's unproven word: verified in the desk
    async with store.session() as session:
        assert all((await session.scalars(select(Escalation.verified))).all())


async def test_the_applicant_is_told_in_their_language_and_the_recruiter_gets_one_digest(ats):
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))  # Saturday
    await sweeper(store, settings, clock).sweep()
    sent = await mails(store, settings)
    to_sanne = [m for m in sent if m.to_address == "sanne@example.nl"]
    assert len(to_sanne) == 1
    assert "we zijn te laat" in to_sanne[0].subject
    body = to_sanne[0].body
    assert "vrijdag 1 mei" in body  # the promise that was broken
    # raised on Saturday: respond by Monday, eight working hours later
    assert "Eva Jansen" in body and "maandag 4 mei om 17:00" in body
    to_james = [m for m in sent if m.to_address == "james@example.com"]
    assert "we are late" in to_james[0].subject
    digests = [m for m in sent if m.purpose == "sweep_digest"]
    assert sorted(m.to_address for m in digests) == ["daan@example.com", "eva@example.com"]
    [eva] = [m for m in digests if m.to_address == "eva@example.com"]
    assert "AP-7K3M-9XQ2" in eva.body and "AP-4HD8-2MWR" in eva.body  # one mail, both
    assert all(m.sent_at is not None for m in sent)  # delivered (to the outbox folder)

    # the next sweeps find them escalated already: nothing new, nobody told twice
    clock.now = local(2026, 5, 4, 9)
    report = await sweeper(store, settings, clock).sweep()
    assert report == type(report)(0, 0, 0, 0)
    assert len(await mails(store)) == len(sent)


async def test_a_sweep_killed_half_way_is_finished_by_the_next_one(ats):
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))
    first = sweeper(store, settings, clock)
    assert await first.escalate_overdue(clock.now) == 3  # ... and then it dies
    assert await mails(store) == []
    report = await sweeper(store, settings, clock).sweep()
    assert (report.escalated, report.applicants_emailed, report.digests) == (0, 3, 2)
    assert len(await mails(store)) == 5


async def test_a_sweep_killed_after_telling_the_applicants_leaves_only_the_digests(ats):
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))
    first = sweeper(store, settings, clock)
    await first.escalate_overdue(clock.now)
    assert await first.tell_applicants(clock.now) == (3, 0)  # ... and then it dies
    report = await sweeper(store, settings, clock).sweep()
    assert (report.applicants_emailed, report.digests) == (0, 2)
    sent = await mails(store, settings)
    assert sorted(m.purpose for m in sent) == ["late_notice"] * 3 + ["sweep_digest"] * 2


async def test_two_sweepers_at_once_escalate_and_notify_once(ats, database_url):
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))
    other = ATSStore(create_engine(database_url))
    try:
        reports = await asyncio.gather(
            sweeper(store, settings, clock).sweep(),
            sweeper(other, settings, clock).sweep(),
            sweeper(store, settings, clock).sweep(),
        )
    finally:
        await other.close()
    assert sum(r.escalated for r in reports) == 3
    assert await count_escalations(store) == 3
    sent = await mails(store, settings)
    assert sorted(m.to_address for m in sent) == sorted(
        [
            "sanne@example.nl",
            "james@example.com",
            "oliver@example.com",
            "eva@example.com",
            "daan@example.com",
        ]
    )


async def test_a_linked_telegram_chat_is_told_there(ats):
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))
    links = ChatLinks(store, b"k", clock=clock)
    assert await links.link("telegram", "7001", "james@example.com")
    fake = FakeTelegram().start()
    try:
        send = message_sender(TelegramSettings(fake.token, "s", None, fake.base_url))
        report = await sweeper(store, settings, clock, send).sweep()
        assert (report.applicants_on_telegram, report.applicants_emailed) == (1, 2)
        [notice] = fake.sent()
        assert str(notice["chat_id"]) == "7001" and "Eva Jansen" in notice["text"]
        assert not [m for m in await mails(store) if m.to_address == "james@example.com"]
        await sweeper(store, settings, clock, send).sweep()
        assert len(fake.sent()) == 1  # told once
    finally:
        fake.stop()


async def test_notices_go_over_real_smtp(ats, smtp_server):
    store, settings = ats
    inbox, port = smtp_server
    settings = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    await sweeper(store, settings, Clock(local(2026, 5, 2, 12))).sweep()
    received = sorted(to for _, tos in inbox.envelopes for to in tos)
    assert received == sorted(
        [
            "sanne@example.nl",
            "james@example.com",
            "oliver@example.com",
            "eva@example.com",
            "daan@example.com",
        ]
    )


async def test_receipts_for_new_applications_once_when_turned_on(ats):
    store, settings = ats
    settings = dataclasses.replace(settings, send_receipts=True, public_url="https://jobs.example")
    clock = Clock(local(2026, 4, 24, 12))  # the day after three of them applied
    monitor = sweeper(store, settings, clock)
    monitor.telegram_username = "hd_bot"
    assert (await monitor.sweep()).receipts == 3  # not Oliver's, from Monday: too old
    receipts = {m.to_address: m for m in await mails(store, settings) if m.purpose == "receipt"}
    assert set(receipts) == {"sanne@example.nl", "james@example.com", "lotte@example.nl"}
    sanne = receipts["sanne@example.nl"]
    assert "AP-7K3M-9XQ2" in sanne.subject and "vrijdag 1 mei" in sanne.body
    assert "https://jobs.example/careers/" in sanne.body
    assert "https://t.me/hd_bot?start=" in sanne.body
    assert "wa.me" not in sanne.body  # WhatsApp is off
    assert "We will confirm your application by Friday 1 May" in receipts["james@example.com"].body
    assert (await monitor.sweep()).receipts == 0


async def test_receipts_offer_a_whatsapp_chat_link_when_the_channel_is_on(ats):
    store, settings = ats
    whatsapp = WhatsAppSettings("token", "106540352242922", display_number="31201234567")
    settings = dataclasses.replace(settings, send_receipts=True, whatsapp=whatsapp)
    clock = Clock(local(2026, 4, 24, 12))
    assert (await sweeper(store, settings, clock).sweep()).receipts == 3
    receipts = {m.to_address: m for m in await mails(store, settings) if m.purpose == "receipt"}
    sanne = receipts["sanne@example.nl"].body
    assert "Op WhatsApp (stuur je referentie" in sanne
    assert "https://wa.me/31201234567?text=AP-7K3M-9XQ2" in sanne


@pytest.mark.parametrize("inside_window", [False, True])
async def test_a_linked_whatsapp_number_is_told_there_as_a_template_outside_the_window(
    ats, inside_window
):
    """A late notice is the monitor's initiative: unless the applicant wrote in the last 24
    hours, WhatsApp takes only the approved template, in their language."""
    store, settings = ats
    clock = Clock(local(2026, 5, 2, 12))
    links = ChatLinks(store, b"k", clock=clock)
    assert await links.link("whatsapp", "wa-447700900123", "james@example.com")
    if inside_window:
        await note_inbound(store, "wa-447700900123")
    fake = FakeWhatsApp().start()
    try:
        monitor = sweeper(store, settings, clock)
        monitor.send_whatsapp = notice_sender(settings_of(fake), store)
        report = await monitor.sweep()
        assert (report.applicants_on_telegram, report.applicants_emailed) == (1, 2)
        [notice] = fake.sent()
        assert notice["to"] == "447700900123"
        if inside_window:
            assert notice["type"] == "text" and "Eva Jansen" in notice["text"]["body"]
        else:
            template = notice["template"]
            assert (template["name"], template["language"]) == (
                "helpdesk_late_notice",
                {"code": "en"},
            )
            [body] = template["components"]
            values = [p["text"] for p in body["parameters"]]
            assert values[:4] == ["James", "Data Analyst", "AP-4HD8-2MWR", "Eva Jansen"]
        assert not [m for m in await mails(store) if m.to_address == "james@example.com"]
        await monitor.sweep()
        assert len(fake.sent()) == 1  # told once
    finally:
        fake.stop()


async def test_the_sweep_writes_back_a_desk_change_the_ats_could_not_take(store, db_settings):
    """Greenhouse was down when the recruiter changed the status; the next sweep after the
    pause writes it (tests/ats/sync/test_writeback.py has each ATS's calls)."""
    case = CASES["greenhouse"]
    fake = fw.FakeGreenhouse()
    async with fw.serving(fake) as url:
        settings = case.settings(db_settings, url)
        await add(
            store, settings, row(ats_system="greenhouse", ats_id="500001", vacancy_code="GH-3485")
        )
        fake.add("500001")
        [app] = await store.find_applications_by_email("sanne@example.nl")
        fake.fail_next = [503, 503, 503]
        await send(
            store, settings, await desk_sets(store, settings, app.reference, Status.OFFER), pause=0
        )
        assert fake.writes() == []
        report = await sweeper(store, settings, Clock(utcnow() + timedelta(minutes=2))).sweep()
    assert report.written_back == 1
    assert fake.applications["500001"]["current_stage"]["name"] == "Offer"
    assert "1 desk change(s) written to the ATS" in describe(report)
