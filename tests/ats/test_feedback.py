"""Asking for feedback (ats/feedback.py) on SQLite and PostgreSQL: an applicant is asked at most
once a week, also when two of their conversations close at the same moment, on two servers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from ats.db import create_engine
from ats.feedback import Asking, ask
from ats.models import CandidateFeedback
from ats.store import ATSStore
from ats.store_basics import utcnow

AISHA = "aisha.okafor@example.com"


async def questions(store: ATSStore) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count(CandidateFeedback.id))) or 0)


async def test_asked_at_most_once_a_week(store, db_settings) -> None:
    now = utcnow()
    assert await ask(store, db_settings, Asking("status", "web-1", AISHA), now=now) is not None
    # the same person in another conversation, in other capitals
    again = Asking("status", "telegram-2", AISHA.upper())
    assert await ask(store, db_settings, again, now=now + timedelta(days=6)) is None
    assert await ask(store, db_settings, again, now=now + timedelta(days=8)) is not None
    assert await questions(store) == 2


async def test_two_conversations_closing_at_once_on_two_servers_ask_once(
    store, db_settings, database_url
) -> None:
    other_server = ATSStore(create_engine(database_url))
    try:
        for round_number in range(5):  # the race is a matter of timing: several tries
            who = f"applicant{round_number}@example.com"
            asked = await asyncio.gather(
                *(
                    ask(server, db_settings, Asking("status", f"c{round_number}-{n}", who))
                    for n, server in enumerate([store, other_server, store, other_server])
                )
            )
            assert sum(1 for question in asked if question is not None) == 1, asked
        assert await questions(store) == 5
    finally:
        await other_server.close()
