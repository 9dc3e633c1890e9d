"""The escalation chain with a clock, on SQLite and PostgreSQL: an escalation nobody took in
time reaches someone new (the backup, else the team lead, else the admins), each once, and the
applicant hears truthfully that a person is on it by the new time.

The calendar: escalated on Saturday 2 May 2026 at noon, respond by Monday 17:00; raised on
Tuesday at 09:00, respond by Tuesday 17:00; raised again on Wednesday at 09:00, respond by
Wednesday 17:00 (eight working hours each)."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select, update

from ats.db import create_engine
from ats.linking import ChatLinks
from ats.models import AuditEntry, Escalation, EscalationCopy, Recruiter, Vacancy
from ats.settings import Settings
from ats.store import ATSStore
from ats.whatsapp_notices import notice_sender
from desk.accounts import DeskAccounts
from monitor.sweep import describe
from tests.channels.fake_whatsapp import FakeWhatsApp
from tests.channels.test_whatsapp import settings_of
from tests.monitor.conftest import Clock, Sent, local, mails, sweeper

SATURDAY, MONDAY = local(2026, 5, 2, 12), local(2026, 5, 4, 16)
TUESDAY, WEDNESDAY, THURSDAY = local(2026, 5, 5, 9), local(2026, 5, 6, 9), local(2026, 5, 7, 9)
APPLICANTS = ["james@example.com", "oliver@example.com", "sanne@example.nl"]


async def admins(store: ATSStore, *people: tuple[str, str]) -> None:
    accounts = DeskAccounts(store, b"k")
    for address, name in people:
        await accounts.add_recruiter(address, name, admin=True)


async def backup(store: ATSStore, vacancy: str, address: str) -> None:
    async with store.session() as session, session.begin():
        recruiter = select(Recruiter.id).where(Recruiter.email == address).scalar_subquery()
        await session.execute(
            update(Vacancy).where(Vacancy.code == vacancy).values(backup_recruiter_id=recruiter)
        )


async def holders(store: ATSStore) -> list[tuple[int, str]]:
    """Each escalation's level and who has it, in the order they were opened."""
    async with store.session() as session:
        rows = await session.execute(
            select(Escalation.level, Recruiter.email)
            .join(Recruiter, Recruiter.id == Escalation.recruiter_id)
            .order_by(Escalation.id)
        )
        return [(level, address) for level, address in rows]


async def sweep_at(store, settings, moment) -> tuple[object, list[Sent]]:
    """Sweep at `moment`; its report and the mails it sent."""
    before = len(await mails(store))
    report = await sweeper(store, settings, Clock(moment)).sweep()
    return report, (await mails(store, settings))[before:]


def to(sent: list[Sent], address: str) -> list[Sent]:
    return [m for m in sent if m.to_address == address]


async def test_a_backup_who_is_the_same_recruiter_is_skipped_for_the_team_lead(ats):
    store, settings = ats
    lead = Settings.from_env(
        {"HELPDESK_TEAM_LEAD_EMAIL": " Tara@Example.com ", "HELPDESK_TEAM_LEAD_NAME": "Tara"}
    )
    settings = dataclasses.replace(
        settings, team_lead_email=lead.team_lead_email, team_lead_name=lead.team_lead_name
    )
    await backup(store, "DATA-1", "eva@example.com")  # Eva is her own vacancy's backup
    await sweep_at(store, settings, SATURDAY)
    report, sent = await sweep_at(store, settings, MONDAY)  # still in time
    assert report.raised == 0 and sent == []

    report, sent = await sweep_at(store, settings, TUESDAY)
    assert report.raised == 3 and report.applicants_emailed == 3
    assert await holders(store) == [(2, "tara@example.com")] * 3
    [digest] = [m for m in sent if m.purpose == "sweep_digest"]
    assert digest.to_address == "tara@example.com" and digest.body.startswith("Hello Tara,")
    assert digest.body.count("second level: nobody took it by its respond-by time") == 3
    assert not to(sent, "eva@example.com") and not to(sent, "daan@example.com")
    assert sorted(m.to_address for m in sent if m.purpose == "late_notice") == APPLICANTS

    # told truthfully: someone new, by the new time, and no name nobody has promised
    [sanne] = to(sent, "sanne@example.nl")
    assert "uiterlijk dinsdag 5 mei om 17:00 neemt iemand contact met je op" in sanne.subject
    assert "een andere collega bij Northwind" in sanne.body
    assert "dinsdag 5 mei om 17:00 persoonlijk contact" in sanne.body
    assert "Tara" not in sanne.body and "Eva" not in sanne.body
    [james] = to(sent, "james@example.com")
    assert "a person is on it by Tuesday 5 May at 17:00" in james.subject
    assert (
        "another colleague at Northwind, who will contact you personally by Tuesday 5 May at"
        in (james.body.replace("\n", " "))
    )

    report, sent = await sweep_at(store, settings, TUESDAY)  # the same sweep again
    assert report.raised == 0 and sent == []


async def test_a_backup_who_is_someone_else_gets_it_before_the_team_lead(ats):
    store, settings = ats
    settings = dataclasses.replace(settings, team_lead_email="tara@example.com")
    await backup(store, "DATA-1", "daan@example.com")
    await sweep_at(store, settings, SATURDAY)
    report, sent = await sweep_at(store, settings, TUESDAY)
    assert report.raised == 3
    # Eva's two go to Daan, her backup; Daan's own one to the team lead
    assert await holders(store) == [
        (2, "daan@example.com"),
        (2, "daan@example.com"),
        (2, "tara@example.com"),
    ]
    digests = sorted(m.to_address for m in sent if m.purpose == "sweep_digest")
    assert digests == ["daan@example.com", "tara@example.com"]


async def test_without_a_team_lead_it_goes_to_the_admins_each_told_once(ats):
    store, settings = ats
    await admins(store, ("ada@example.com", "Ada Admiraal"), ("bram@example.com", "Bram Beheer"))
    await sweep_at(store, settings, SATURDAY)
    report, sent = await sweep_at(store, settings, TUESDAY)
    assert report.raised == 3
    assert await holders(store) == [(3, "ada@example.com")] * 3  # with one, the other a copy
    digests = [m for m in sent if m.purpose == "sweep_digest"]
    assert sorted(m.to_address for m in digests) == ["ada@example.com", "bram@example.com"]
    for digest in digests:
        assert digest.body.count("to the admins: nobody before them took it") == 3
        assert all(r in digest.body for r in ("AP-7K3M-9XQ2", "AP-4HD8-2MWR", "AP-9TRB-X2KE"))
    [james] = to(sent, "james@example.com")
    assert "one of the people who run Northwind's recruitment desk" in james.body
    assert "Tuesday 5 May at 17:00" in james.body

    # the admins are the end of the chain: nobody is raised again, or told again
    report, sent = await sweep_at(store, settings, WEDNESDAY)
    assert report.raised == 0 and sent == []
    async with store.session() as session:
        lines = (await session.execute(select(AuditEntry.action, AuditEntry.detail))).all()
    assert lines == [("raise_to_admins", "Ada Admiraal, Bram Beheer")] * 3


async def test_the_second_level_lapsing_goes_to_the_admins_each_mailed_once(ats):
    store, settings = ats
    settings = dataclasses.replace(settings, team_lead_email="tara@example.com")
    await admins(store, ("ada@example.com", "Ada Admiraal"), ("bram@example.com", "Bram Beheer"))
    await sweep_at(store, settings, SATURDAY)
    await sweep_at(store, settings, TUESDAY)  # to the team lead
    report, sent = await sweep_at(store, settings, local(2026, 5, 5, 16))  # Tara has till 17:00
    assert report.raised == 0 and sent == []

    report, sent = await sweep_at(store, settings, WEDNESDAY)
    assert report.raised == 3 and describe(report).startswith("0 escalated, 3 raised")
    assert await holders(store) == [(3, "ada@example.com")] * 3
    digests = [m for m in sent if m.purpose == "sweep_digest"]
    assert sorted(m.to_address for m in digests) == ["ada@example.com", "bram@example.com"]
    assert not to(sent, "tara@example.com")
    [sanne] = to(sent, "sanne@example.nl")
    assert "een van de mensen die de recruitmentdesk van Northwind leiden" in sanne.body
    assert "woensdag 6 mei om 17:00" in sanne.body

    for moment in (WEDNESDAY, THURSDAY):
        report, sent = await sweep_at(store, settings, moment)
        assert report.raised == 0 and sent == []


async def test_a_team_lead_who_is_an_admin_is_not_told_again_at_the_admins_level(ats):
    store, settings = ats
    settings = dataclasses.replace(settings, team_lead_email="ada@example.com")
    await admins(store, ("ada@example.com", "Ada Admiraal"), ("bram@example.com", "Bram Beheer"))
    await sweep_at(store, settings, SATURDAY)
    await sweep_at(store, settings, TUESDAY)
    report, sent = await sweep_at(store, settings, WEDNESDAY)
    assert report.raised == 3
    assert await holders(store) == [(3, "bram@example.com")] * 3
    assert [m.to_address for m in sent if m.purpose == "sweep_digest"] == ["bram@example.com"]


async def test_with_nobody_new_to_reach_the_same_recruiter_is_not_told_again(ats, caplog):
    store, settings = ats
    await backup(store, "DATA-1", "eva@example.com")
    await sweep_at(store, settings, SATURDAY)
    report, sent = await sweep_at(store, settings, TUESDAY)
    assert report.raised == 0 and sent == []
    assert await holders(store) == [
        (1, "eva@example.com"),
        (1, "eva@example.com"),
        (1, "daan@example.com"),
    ]
    assert "3 overdue escalation(s) have nobody new to go to" in caplog.text


async def test_two_sweepers_at_once_raise_each_escalation_once(ats, database_url):
    store, settings = ats
    settings = dataclasses.replace(settings, team_lead_email="tara@example.com")
    await admins(store, ("ada@example.com", "Ada Admiraal"), ("bram@example.com", "Bram Beheer"))
    await sweep_at(store, settings, SATURDAY)
    await sweep_at(store, settings, TUESDAY)
    before = len(await mails(store))
    other = ATSStore(create_engine(database_url))
    try:
        reports = await asyncio.gather(
            sweeper(store, settings, Clock(WEDNESDAY)).sweep(),
            sweeper(other, settings, Clock(WEDNESDAY)).sweep(),
            sweeper(store, settings, Clock(WEDNESDAY)).sweep(),
        )
    finally:
        await other.close()
    assert sum(r.raised for r in reports) == 3
    sent = (await mails(store, settings))[before:]
    assert sorted(m.to_address for m in sent if m.purpose != "sweep_digest") == APPLICANTS
    # Each admin reads of each escalation once. Two sweepers that raised some each may each
    # send a digest: one sweeper's digest cannot wait for rows another has not committed.
    for admin in ("ada@example.com", "bram@example.com"):
        digests = [m.body for m in to(sent, admin)]
        assert 1 <= len(digests) <= 2
        for reference in ("AP-7K3M-9XQ2", "AP-4HD8-2MWR", "AP-9TRB-X2KE"):
            assert sum(body.count(reference) for body in digests) == 1, (admin, reference)
    async with store.session() as session:
        copies = list(await session.scalars(select(EscalationCopy.recruiter_id)))
        raised = list(await session.scalars(select(AuditEntry.action)))
    assert len(copies) == 3 and raised.count("raise_to_admins") == 3


async def test_on_whatsapp_the_raised_notice_names_nobody_in_the_late_notice_template(ats):
    """Outside the 24-hour window WhatsApp takes only the approved late-notice template: its
    recruiter's place ({{4}}) says who has it now without a name, and the time is the new one."""
    store, settings = ats
    settings = dataclasses.replace(settings, team_lead_email="tara@example.com")
    links = ChatLinks(store, b"k", clock=Clock(SATURDAY))
    assert await links.link("whatsapp", "wa-447700900123", "james@example.com")
    fake = FakeWhatsApp().start()
    try:
        for moment in (SATURDAY, TUESDAY):
            monitor = sweeper(store, settings, Clock(moment))
            monitor.send_whatsapp = notice_sender(settings_of(fake), store)
            await monitor.sweep()
        late, raised = fake.sent()
        assert late["template"]["name"] == raised["template"]["name"] == "helpdesk_late_notice"
        [body] = raised["template"]["components"]
        values = [p["text"] for p in body["parameters"]]
        assert values == [
            "James",
            "Data Analyst",
            "AP-4HD8-2MWR",
            "Another colleague at Northwind",
            "Tuesday 5 May at 17:00",
        ]
    finally:
        fake.stop()
