"""The deadline monitor's tests share an ATS with a clock: four applicants of two recruiters
(Eva Jansen's Data Analyst, Daan Bakker's Nurse), and the mails the sweeps sent."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import datetime

import pytest
from sqlalchemy import select

from ats.linking import ChatLinks
from ats.mail import Mailer
from ats.models import OutgoingMail, Status
from ats.settings import Settings
from ats.store import ATSStore
from monitor.sweep import Sweeper
from tests.ats.helpers import AMSTERDAM, UTC, add, row


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM).astimezone(UTC)


@pytest.fixture
async def ats(store, db_settings, tmp_path):
    settings = dataclasses.replace(db_settings, secret_key="k", outbox_dir=tmp_path / "outbox")
    await four_applicants(store, settings)
    return store, settings


async def four_applicants(store: ATSStore, settings: Settings) -> None:
    """Applied on Thursday 23 April 2026: five working days, with King's Day (Monday 27 April)
    in between, make the acknowledgement due on Friday 1 May (same time of day)."""
    await add(
        store,
        settings,
        row(2, reference="AP-7K3M-9XQ2", applied_at=local(2026, 4, 23, 10)),  # Dutch, Eva
        row(
            3,
            reference="AP-4HD8-2MWR",
            candidate_name="James Carter",
            candidate_email="james@example.com",
            candidate_language="en",
            applied_at=local(2026, 4, 23, 11),
        ),
        row(  # acknowledged: an update promised for Thursday 30 April
            4,
            reference="AP-9TRB-X2KE",
            candidate_name="Oliver Bennett",
            candidate_email="oliver@example.com",
            candidate_language="en",
            vacancy_code="NURSE",
            vacancy_title="Nurse",
            recruiter_name="Daan Bakker",
            recruiter_email="daan@example.com",
            applied_at=local(2026, 4, 20, 9),
            acknowledged_at=local(2026, 4, 21, 9),
            status=Status.SCREENING,
            next_update_due_at=local(2026, 4, 30, 12),
        ),
        row(  # acknowledged, nothing promised: never overdue
            5,
            reference="AP-3M6P-H7WD",
            candidate_name="Lotte Visser",
            candidate_email="lotte@example.nl",
            applied_at=local(2026, 4, 23, 9),
            acknowledged_at=local(2026, 4, 24, 9),
            status=Status.SCREENING,
        ),
        now=local(2026, 4, 23, 12),
    )


def sweeper(store: ATSStore, settings, clock: Clock, send_telegram=None) -> Sweeper:
    links = ChatLinks(store, b"k", clock=clock)
    return Sweeper(store, settings, Mailer(store, settings), links, send_telegram, clock)


@dataclasses.dataclass
class Sent:
    """A mail as the outbox table keeps it, with the body its recipient got (the table drops
    bodies once sent: what the applicant read is in the outbox folder)."""

    id: int
    to_address: str
    subject: str
    purpose: str
    sent_at: datetime | None
    body: str


async def mails(store: ATSStore, settings: Settings | None = None) -> list[Sent]:
    async with store.session() as session:
        rows = list(await session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
    found = []
    for mail in rows:
        body = mail.body
        if settings is not None and mail.sent_at is not None:
            [path] = settings.outbox_dir.glob(f"*-{mail.id:06d}-*.eml")
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",)).get_content()
        found.append(Sent(mail.id, mail.to_address, mail.subject, mail.purpose, mail.sent_at, body))
    return found
