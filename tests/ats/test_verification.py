"""One-time codes and lockouts, on SQLite and PostgreSQL."""

import dataclasses
from datetime import datetime, timedelta

import pytest

from actions.ats.verification import Outcome, Verifier
from tests.ats.helpers import UTC, add, row

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def verifier(store, db_settings):
    await add(
        store,
        db_settings,
        row(2, reference="AP-7K3M-9XQ2", vacancy_code="A"),
        row(3, reference="AP-4HD8-2MWR", vacancy_code="B", vacancy_title="Nurse"),
        row(4, reference="AP-9TRB-X2KE", candidate_email="other@example.com", vacancy_code="A"),
    )
    settings = dataclasses.replace(db_settings, secret_key="test-key")
    return Verifier(store, settings, clock=Clock())


async def test_a_code_sent_for_an_email_unlocks_all_its_applications(verifier):
    request = await verifier.request_code("chat-1", "SANNE@example.nl")
    assert request.code is not None and len(request.code) == 6 and request.code.isdigit()
    assert {a.reference for a in request.applications} == {"AP-7K3M-9XQ2", "AP-4HD8-2MWR"}
    check = await verifier.check_code("chat-1", f" {request.code} ")
    assert check.outcome is Outcome.VERIFIED
    assert set(check.references) == {"AP-7K3M-9XQ2", "AP-4HD8-2MWR"}
    # single use
    assert (await verifier.check_code("chat-1", request.code)).outcome is Outcome.NO_CODE_PENDING


async def test_a_reference_needs_the_matching_email(verifier):
    request = await verifier.request_code("chat-1", "sanne@example.nl", "ap7k3m9xq2")
    assert [a.reference for a in request.applications] == ["AP-7K3M-9XQ2"]
    check = await verifier.check_code("chat-1", request.code)
    assert check.references == ("AP-7K3M-9XQ2",)

    wrong_email = await verifier.request_code("chat-2", "other@example.com", "AP-7K3M-9XQ2")
    unknown = await verifier.request_code("chat-3", "sanne@example.nl", "AP-ZZZZ-ZZZZ")
    for request in (wrong_email, unknown):
        assert request.code is None and request.applications == ()


async def test_the_code_is_only_valid_in_its_own_conversation(verifier):
    request = await verifier.request_code("chat-1", "sanne@example.nl")
    assert (await verifier.check_code("chat-2", request.code)).outcome is Outcome.NO_CODE_PENDING


async def test_codes_expire_after_ten_minutes(verifier):
    request = await verifier.request_code("chat-1", "sanne@example.nl")
    verifier.clock.now = START + timedelta(minutes=10, seconds=1)
    assert (await verifier.check_code("chat-1", request.code)).outcome is Outcome.EXPIRED


async def test_only_the_newest_code_counts(verifier):
    first = await verifier.request_code("chat-1", "sanne@example.nl")
    second = await verifier.request_code("chat-1", "sanne@example.nl")
    if first.code != second.code:
        assert (await verifier.check_code("chat-1", first.code)).outcome is Outcome.WRONG_CODE
    assert (await verifier.check_code("chat-1", second.code)).outcome is Outcome.VERIFIED


async def test_codes_are_stored_hashed(verifier, store):
    from sqlalchemy import select

    from actions.ats.models import VerificationChallenge

    request = await verifier.request_code("chat-1", "sanne@example.nl")
    async with store.session() as session:
        stored = (await session.scalars(select(VerificationChallenge))).all()
    assert stored and all(request.code not in c.code_hash for c in stored)
    assert all(len(c.code_hash) == 64 for c in stored)


async def test_five_wrong_codes_lock_the_conversation_and_the_application(verifier):
    request = await verifier.request_code("chat-1", "sanne@example.nl", "AP-7K3M-9XQ2")
    wrong = "000000" if request.code != "000000" else "111111"
    results = [await verifier.check_code("chat-1", wrong) for _ in range(5)]
    assert [r.outcome for r in results] == [Outcome.WRONG_CODE] * 4 + [Outcome.LOCKED]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert results[-1].locked_until == START + timedelta(minutes=15)
    # even the right code is refused while locked
    assert (await verifier.check_code("chat-1", request.code)).outcome is Outcome.LOCKED
    assert await verifier.locked_until("chat-1") == START + timedelta(minutes=15)
    # the application is locked too: another conversation gets no code for it
    other = await verifier.request_code("chat-2", "sanne@example.nl", "AP-7K3M-9XQ2")
    assert other.code is None and other.applications == ()
    # after 15 minutes all is open again
    verifier.clock.now = START + timedelta(minutes=15, seconds=1)
    assert await verifier.locked_until("chat-1") is None
    again = await verifier.request_code("chat-1", "sanne@example.nl", "AP-7K3M-9XQ2")
    assert (await verifier.check_code("chat-1", again.code)).outcome is Outcome.VERIFIED


async def test_guessing_codes_for_details_that_match_nothing_counts_the_same(verifier):
    request = await verifier.request_code("chat-1", "nobody@example.com")
    assert request.code is None
    results = [await verifier.check_code("chat-1", f"{n:06d}") for n in range(5)]
    assert [r.outcome for r in results] == [Outcome.WRONG_CODE] * 4 + [Outcome.LOCKED]
