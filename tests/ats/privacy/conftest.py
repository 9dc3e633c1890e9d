"""A help desk's database with two applicants' whole history, a tracker store beside it, and a
way to search every table and the tracker for what names someone."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text

from ats.escalation_store import EscalationStore  # noqa: F401  (the store's base)
from ats.feedback import Asking, ask, record_comment, record_score
from ats.linking import ChatLinks
from ats.models import (
    ConversationProof,
    EscalationReason,
    LinkedChat,
    OutgoingMail,
    Status,
    VerificationChallenge,
    metadata,
)
from ats.privacy.conversations import remember_conversation
from ats.records import EscalationRequest, Mail
from ats.settings import ServerSettings, Settings
from ats.store import ATSStore
from tests.ats.helpers import add, row
from tests.conftest import POSTGRES_URL, create_database

UTC = timezone.utc
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def tracker_url(store: ATSStore, tmp_path: Path) -> AsyncIterator[str]:
    """Rasa's `events` table, in PostgreSQL beside a PostgreSQL ATS database, else SQLite."""
    if store.engine.dialect.name == "postgresql":
        url = f"{POSTGRES_URL}_trackers"
        await create_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'trackers.db'}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS events"))
        connection.execute(
            sa.text(
                "CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
                " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
                " action_name VARCHAR(255), data TEXT)"
                if engine.dialect.name == "postgresql"
                else "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,"
                " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),"
                " data TEXT)"
            )
        )
    engine.dispose()
    yield url


def say(url: str, sender: str, at: datetime, *lines: tuple[str, str]) -> None:
    """Store a conversation's messages as Rasa's SQL tracker store does."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as connection:
        for offset, (kind, words) in enumerate(lines):
            event = {"event": kind, "text": words, "timestamp": at.timestamp() + offset}
            connection.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data)"
                    " VALUES (:s, :t, :ts, :d)"
                ),
                {"s": sender, "t": kind, "ts": at.timestamp() + offset, "d": json.dumps(event)},
            )
    engine.dispose()


def tracker_senders(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as connection:
        senders = list(
            connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars()
        )
    engine.dispose()
    return sorted(senders)


@pytest.fixture
def privacy_settings(
    settings: Settings, database_url: str, tracker_url: str, tmp_path: Path
) -> Settings:
    return dataclasses.replace(
        settings,
        ats_database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        secret_key="privacy-test-key",
        servers=ServerSettings(tracker_store_url=tracker_url),
    )


async def everything(store: ATSStore) -> str:
    """Every row of every table the help desk owns, as one text to search."""
    parts = []
    async with store.session() as session:
        for table in metadata.sorted_tables:
            for found in (await session.execute(select(table))).all():
                parts.append(f"{table.name}: {tuple(found)!r}")
    return "\n".join(parts)


def folder_text(folder: Path) -> str:
    if not folder.exists():
        return ""
    return "\n".join(path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*"))


async def build_history(
    store: ATSStore, settings: Settings, tracker: str, clock: Clock
) -> dict[str, Any]:
    """Sanne (rejected, with a conversation, a linked Telegram chat, a code, an escalation and
    mails) and James (open), and a stranger who never verified."""
    await add(
        store,
        settings,
        row(2, ats_system="greenhouse", ats_id="gh-1"),
        row(
            3,
            candidate_name="James Smith",
            candidate_email="james@example.com",
            candidate_language="en",
            vacancy_code="DEV-2",
            vacancy_title="Developer",
        ),
        now=clock.now,
    )
    [sanne] = await store.find_applications_by_email("sanne@example.nl")
    [james] = await store.find_applications_by_email("james@example.com")
    async with store.session() as session, session.begin():
        await remember_conversation(session, "sanne@example.nl", "webchat", "web-sanne", clock.now)
        session.add(
            ConversationProof(
                conversation_id="web-sanne",
                channel="webchat",
                reference=sanne.reference,
                email="sanne@example.nl",
                client="c1",
                proven_at=clock.now,
                last_seen_at=clock.now,
            )
        )
        session.add(
            VerificationChallenge(
                conversation_id="web-sanne",
                code_hash="x" * 64,
                references=sanne.reference,
                created_at=clock.now,
                expires_at=clock.now + timedelta(minutes=10),
                channel="webchat",
                email="sanne@example.nl",
            )
        )
        await remember_conversation(session, "james@example.com", "webchat", "web-james", clock.now)
    await ChatLinks(store, b"links", clock=clock).link("telegram", "tg-777", "sanne@example.nl")
    say(
        tracker,
        "web-sanne",
        clock.now,
        ("user", "Ik ben Sanne de Vries, waar staat mijn sollicitatie?"),
        ("bot", "Je sollicitatie AP is afgewezen."),
    )
    say(tracker, "tg-777", clock.now, ("user", "sanne@example.nl"))
    say(tracker, "web-james", clock.now, ("user", "Status please, James Smith here"))
    say(tracker, "web-stranger", clock.now, ("user", "hello, I am Pim, pim@nowhere.example"))
    escalation, _, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=clock.now + timedelta(hours=8),
            application_reference=sanne.reference,
            applicant_name="Sanne de Vries",
            applicant_email="sanne@example.nl",
            channel="webchat",
            conversation_id="web-sanne",
            summary="Sanne de Vries wants to talk about the rejection",
        ),
        lambda e: [
            Mail(
                "eva@example.com", "Sanne de Vries needs you", "Sanne de Vries wrote", "escalation"
            )
        ],
    )
    stranger, _, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.UNKNOWN_APPLICANT,
            respond_by=clock.now + timedelta(hours=8),
            recruiter_email="eva@example.com",
            applicant_name="Pim",
            applicant_email="pim@nowhere.example",
            channel="webchat",
            conversation_id="web-stranger",
        )
    )
    async with store.session() as session, session.begin():
        session.add(
            OutgoingMail(
                to_address="sanne@example.nl",
                subject=f"Je code voor {sanne.reference}",
                body="Je code is 123456",
                purpose="verification_code",
                created_at=clock.now,
                attempts=0,
            )
        )
        await session.execute(
            text("UPDATE escalations SET state = 'resolved', resolved_at = :at"),
            {
                "at": clock.now
                if store.engine.dialect.name == "postgresql"
                else clock.now.replace(tzinfo=None)
            },
        )
    await store.record_status_change(
        sanne.reference,
        Status.REJECTED,
        actor="Eva Jansen",
        source="desk",
        note="Sanne de Vries lacks SQL",
        close_reason="Not enough SQL, told Sanne de Vries",
        at=clock.now,
    )
    # each said how helpful it was, with words that name them (ats/feedback.py)
    for conversation, who, comment in (
        ("web-james", "james@example.com", "James Smith here: quick and clear"),
        ("web-stranger", "web-stranger", "Pim says thanks"),
    ):
        await ask(
            store, settings, Asking("status", conversation, who, channel="webchat"), clock.now
        )
        await record_score(store, conversation, 4, clock.now)
        await record_comment(store, conversation, comment, clock.now)
    return {
        "sanne": sanne.reference,
        "james": james.reference,
        "escalation": escalation.id,
        "stranger": stranger.id,
    }


__all__ = [
    "START",
    "Clock",
    "LinkedChat",
    "build_history",
    "everything",
    "folder_text",
    "say",
    "tracker_senders",
]
