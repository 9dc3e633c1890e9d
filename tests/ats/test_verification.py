"""One-time codes, what they prove, and the limits on guessing them, on SQLite and PostgreSQL."""

import asyncio
import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from ats.models import (
    ApplicantConversation,
    Candidate,
    ConversationProof,
    RateCounter,
    VerificationChallenge,
)
from ats.privacy.conversations import remember_conversation
from ats.verification import CodeRequest, Outcome, Verifier
from tests.ats.helpers import UTC, add, row

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SANNE = "sanne@example.nl"  # two applications: AP-7K3M-9XQ2, AP-4HD8-2MWR


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


async def ask(
    verifier: Verifier,
    conversation: str,
    email: str,
    reference: str | None = None,
    client: str = "client-1",
) -> CodeRequest:
    return await verifier.request_code(
        conversation, email, reference, channel="rest", client=client, language="en"
    )


async def check(verifier: Verifier, conversation: str, code: str, client: str = "client-1"):
    return await verifier.check_code(conversation, code, client=client)


def wrong(code: str | None) -> str:
    return "000000" if code != "000000" else "111111"


async def test_a_code_sent_for_an_email_unlocks_all_its_applications(verifier):
    request = await ask(verifier, "chat-1", "SANNE@example.nl")
    assert request.code is not None and len(request.code) == 6 and request.code.isdigit()
    assert {a.reference for a in request.applications} == {"AP-7K3M-9XQ2", "AP-4HD8-2MWR"}
    assert request.email == SANNE and request.link_token
    result = await check(verifier, "chat-1", f" {request.code} ")
    assert result.outcome is Outcome.VERIFIED
    assert set(result.references) == {"AP-7K3M-9XQ2", "AP-4HD8-2MWR"}
    assert result.email == SANNE
    # single use
    assert (await check(verifier, "chat-1", request.code)).outcome is Outcome.NO_CODE_PENDING
    # proven on the server, for this conversation and channel only
    assert set((await verifier.proven("chat-1", "rest", "client-1")).references) == {
        "AP-7K3M-9XQ2",
        "AP-4HD8-2MWR",
    }
    assert (await verifier.proven("chat-1", "telegram", "client-1")).references == ()
    assert (await verifier.proven("chat-2", "rest", "client-1")).references == ()
    # on REST the caller names the conversation: someone else naming it gets nothing
    assert (await verifier.proven("chat-1", "rest", "another-client")).references == ()


async def test_a_reference_needs_the_matching_email(verifier):
    request = await ask(verifier, "chat-1", SANNE, "ap7k3m9xq2")
    assert [a.reference for a in request.applications] == ["AP-7K3M-9XQ2"]
    result = await check(verifier, "chat-1", request.code)
    assert result.references == ("AP-7K3M-9XQ2",)

    wrong_email = await ask(verifier, "chat-2", "other@example.com", "AP-7K3M-9XQ2")
    unknown = await ask(verifier, "chat-3", SANNE, "AP-ZZZZ-ZZZZ")
    for request in (wrong_email, unknown):
        assert request.code is None and request.applications == () and request.link_token is None


async def test_the_code_is_only_valid_in_its_own_conversation(verifier):
    request = await ask(verifier, "chat-1", SANNE)
    assert (await check(verifier, "chat-2", request.code)).outcome is Outcome.NO_CODE_PENDING


async def test_codes_expire_after_ten_minutes(verifier):
    request = await ask(verifier, "chat-1", SANNE)
    verifier.clock.now = START + timedelta(minutes=10, seconds=1)
    assert (await check(verifier, "chat-1", request.code)).outcome is Outcome.EXPIRED


async def test_only_the_newest_code_counts(verifier):
    first = await ask(verifier, "chat-1", SANNE)
    second = await ask(verifier, "chat-1", SANNE)
    if first.code != second.code:
        assert (await check(verifier, "chat-1", first.code)).outcome is Outcome.WRONG_CODE
    assert (await check(verifier, "chat-1", second.code)).outcome is Outcome.VERIFIED


async def test_codes_and_links_are_stored_hashed(verifier, store):
    request = await ask(verifier, "chat-1", SANNE)
    async with store.session() as session:
        stored = (await session.scalars(select(VerificationChallenge))).all()
    assert stored and all(request.code not in c.code_hash for c in stored)
    assert all(len(c.code_hash) == 64 for c in stored)
    assert all(request.link_token not in (c.link_hash or "") for c in stored)


async def test_a_code_proves_what_it_was_issued_for_whatever_is_asked_after_it(verifier):
    """The attack of finding 1: a code for one's own address, then another address typed."""
    mine = await ask(verifier, "chat-1", "other@example.com")
    # a later request for someone else's address in the same conversation voids the first code
    # and, matching or not, issues one that only that address receives
    await ask(verifier, "chat-1", SANNE)
    assert (await check(verifier, "chat-1", mine.code)).outcome in (
        Outcome.WRONG_CODE,
        Outcome.VERIFIED,  # only if the two random codes happen to be equal
    )
    assert "AP-7K3M-9XQ2" not in (await verifier.proven("chat-1", "rest", "client-1")).references


async def test_forgetting_a_conversation_voids_its_codes_and_proofs(verifier):
    request = await ask(verifier, "chat-1", SANNE)
    await verifier.forget("chat-1")
    assert (await check(verifier, "chat-1", request.code)).outcome is Outcome.NO_CODE_PENDING

    again = await ask(verifier, "chat-1", SANNE)
    assert (await check(verifier, "chat-1", again.code)).outcome is Outcome.VERIFIED
    await verifier.forget("chat-1")
    assert (await verifier.proven("chat-1", "rest", "client-1")).references == ()


async def test_a_proof_lapses_after_the_idle_time_and_lasts_while_used(verifier):
    request = await ask(verifier, "chat-1", SANNE)
    await check(verifier, "chat-1", request.code)
    for minutes in (20, 40, 60):  # active every 20 minutes: still proven
        verifier.clock.now = START + timedelta(minutes=minutes)
        assert (await verifier.proven("chat-1", "rest", "client-1")).references
    verifier.clock.now = START + timedelta(minutes=60 + 31)
    assert (await verifier.proven("chat-1", "rest", "client-1")).references == ()


async def test_proving_again_renews_the_proof_and_the_conversation_is_the_applicants(
    verifier, store
):
    first = await ask(verifier, "chat-1", SANNE)
    assert (await check(verifier, "chat-1", first.code)).outcome is Outcome.VERIFIED
    verifier.clock.now = START + timedelta(minutes=5)
    again = await ask(verifier, "chat-1", SANNE, client="client-2")
    assert (await check(verifier, "chat-1", again.code, "client-2")).outcome is Outcome.VERIFIED
    # one proof per application, now the client's that proved last, proven anew
    assert (await verifier.proven("chat-1", "rest", "client-1")).references == ()
    assert len((await verifier.proven("chat-1", "rest", "client-2")).references) == 2
    async with store.session() as session:
        proofs = (await session.execute(select(ConversationProof))).scalars().all()
        assert sorted(p.reference for p in proofs) == ["AP-4HD8-2MWR", "AP-7K3M-9XQ2"]
        assert {(p.client, p.proven_at, p.last_seen_at, p.email) for p in proofs} == {
            ("client-2", START + timedelta(minutes=5), START + timedelta(minutes=5), SANNE)
        }
        # recorded once as the applicant's, for an erasure to find
        owned = (
            await session.execute(
                select(ApplicantConversation.conversation_id, Candidate.email).join(Candidate)
            )
        ).all()
        assert owned == [("chat-1", SANNE)]
        assert (await session.execute(select(ApplicantConversation))).scalars().one().channel == (
            "rest"
        )


async def test_no_conversation_is_recorded_for_an_address_that_is_no_applicants(store):
    async with store.session() as session, session.begin():
        await remember_conversation(session, "nobody@example.com", "rest", "chat-9", START)
    async with store.session() as session:
        assert (await session.execute(select(ApplicantConversation))).all() == []


async def test_five_wrong_codes_lock_the_conversation(verifier, store):
    request = await ask(verifier, "chat-1", SANNE, "AP-7K3M-9XQ2")
    results = [await check(verifier, "chat-1", wrong(request.code)) for _ in range(5)]
    assert [r.outcome for r in results] == [Outcome.WRONG_CODE] * 4 + [Outcome.LOCKED]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert results[-1].locked_until == START + timedelta(minutes=15)
    # even the right code is refused while locked, and no new code is issued here
    assert (await check(verifier, "chat-1", request.code)).outcome is Outcome.LOCKED
    assert await verifier.locked_until("chat-1") == START + timedelta(minutes=15)
    assert (await ask(verifier, "chat-1", SANNE)).locked_until == START + timedelta(minutes=15)
    # each wrong code was counted on the code itself, which the lock used up
    async with store.session() as session:
        code = (await session.scalars(select(VerificationChallenge))).one()
        assert (code.failed_attempts, code.used_at) == (5, START)
    # after 15 minutes all is open again, but not for the code guessed at
    verifier.clock.now = START + timedelta(minutes=15, seconds=1)
    assert await verifier.locked_until("chat-1") is None
    assert (await check(verifier, "chat-1", request.code)).outcome is Outcome.NO_CODE_PENDING
    again = await ask(verifier, "chat-1", SANNE, "AP-7K3M-9XQ2")
    assert (await check(verifier, "chat-1", again.code)).outcome is Outcome.VERIFIED


async def test_a_stranger_guessing_cannot_lock_the_applicant_out(verifier):
    """Finding 6: wrong codes from strangers' conversations against an application; its
    applicant, with their mailbox, still gets in."""
    for n in range(4):  # four conversations, four clients: 20 wrong codes in all
        conversation, client = f"stranger-{n}", f"stranger-client-{n}"
        request = await ask(verifier, conversation, SANNE, "AP-7K3M-9XQ2", client=client)
        for _ in range(5):
            await check(verifier, conversation, wrong(request.code), client=client)
    # the applicant asks in their own conversation and types the right code
    own = await ask(verifier, "applicant", SANNE, "AP-7K3M-9XQ2", client="home")
    assert own.code is not None
    first = await check(verifier, "applicant", own.code, client="home")
    # the application's guessing bound is spent: the code alone does not do, the link does
    assert first.outcome is Outcome.CONFIRM_BY_LINK
    assert await verifier.confirm_link(own.link_token) == "en"
    second = await check(verifier, "applicant", own.code, client="home")
    assert second.outcome is Outcome.VERIFIED and second.references == ("AP-7K3M-9XQ2",)


async def test_a_right_guess_counts_nothing_without_the_link_once_the_bound_is_spent(verifier):
    request = await ask(verifier, "stranger", SANNE, "AP-7K3M-9XQ2", client="s")
    # 10 wrong codes against the application from many conversations spend its bound
    for n in range(10):
        other = await ask(verifier, f"s-{n}", SANNE, "AP-7K3M-9XQ2", client=f"s-{n}")
        await check(verifier, f"s-{n}", wrong(other.code), client=f"s-{n}")
    # a stranger who guessed the right code still proves nothing
    assert (await check(verifier, "stranger", request.code, client="s")).outcome is (
        Outcome.CONFIRM_BY_LINK
    )
    assert (await verifier.proven("stranger", "rest", "s")).references == ()


async def test_a_link_is_single_purpose_and_expires(verifier):
    request = await ask(verifier, "chat-1", SANNE)
    assert await verifier.confirm_link("not-a-token") is None
    verifier.clock.now = START + timedelta(minutes=11)
    assert await verifier.confirm_link(request.link_token) is None


async def test_parallel_guesses_on_several_servers_cannot_pass_the_bound(verifier, store):
    """Finding 4: 30 guesses at once from 30 conversations and clients. The bound on wrong
    codes per application holds exactly, and the right codes typed meanwhile prove nothing
    once it is spent."""
    verifier.settings = dataclasses.replace(verifier.settings, code_mails_per_address_per_hour=100)
    limit = verifier.settings.wrong_codes_per_application
    requests = [
        await ask(verifier, f"c-{n}", SANNE, "AP-7K3M-9XQ2", client=f"client-{n}")
        for n in range(30)
    ]
    right = {0, 10, 20}
    results = await asyncio.gather(
        *(
            check(
                verifier,
                f"c-{n}",
                request.code if n in right else wrong(request.code),
                client=f"client-{n}",
            )
            for n, request in enumerate(requests)
        )
    )
    wrong_checked = [r for n, r in enumerate(results) if n not in right]
    assert sum(r.outcome is Outcome.WRONG_CODE for r in wrong_checked) == 27
    verified = sum(r.outcome is Outcome.VERIFIED for r in results)
    # every right code checked after the bound was spent needs the link
    assert verified + sum(r.outcome is Outcome.CONFIRM_BY_LINK for r in results) == 3
    async with store.session() as session:
        counted = await session.scalar(
            select(RateCounter.count).where(RateCounter.subject == "guess:application:AP-7K3M-9XQ2")
        )
    assert counted == limit  # never past it, however many servers guessed at once
    assert verified <= 3


async def test_guessing_codes_for_details_that_match_nothing_counts_the_same(verifier):
    request = await ask(verifier, "chat-1", "nobody@example.com")
    assert request.code is None
    results = [await check(verifier, "chat-1", f"{n:06d}") for n in range(5)]
    assert [r.outcome for r in results] == [Outcome.WRONG_CODE] * 4 + [Outcome.LOCKED]


async def test_one_client_is_bounded_across_its_conversations(verifier):
    limit = verifier.settings.wrong_codes_per_client  # 20
    outcomes = []
    for n in range(limit // 4 + 1):  # four wrong codes per conversation: never locked by one
        request = await ask(verifier, f"chat-{n}", SANNE, client="one-client")
        for _ in range(4):
            outcomes.append(
                (await check(verifier, f"chat-{n}", wrong(request.code), "one-client")).outcome
            )
    assert outcomes[: limit - 1] == [Outcome.WRONG_CODE] * (limit - 1)
    assert set(outcomes[limit - 1 :]) == {Outcome.LOCKED}
    # another client is not affected (for an application nobody guessed at)
    other = await ask(verifier, "elsewhere", "other@example.com", client="another-client")
    assert (await check(verifier, "elsewhere", other.code, "another-client")).outcome is (
        Outcome.VERIFIED
    )


async def test_codes_asked_are_bounded_per_client_and_per_address(verifier):
    settings = verifier.settings
    sent = [
        await ask(verifier, f"chat-{n}", SANNE, client="asker")
        for n in range(settings.code_mails_per_hour + 1)
    ]
    # at most HELPDESK_CODE_MAILS_PER_HOUR codes to one address for one client...
    assert [bool(r.code) for r in sent] == [True] * settings.code_mails_per_hour + [False]
    # ...and the reply to the last is the same as to a match (no lock, no hint)
    assert sent[-1].locked_until is None
    # a client asking for codes for many addresses is bounded as well
    many = [
        await ask(verifier, f"x-{n}", f"person{n}@example.com", client="collector")
        for n in range(settings.code_requests_per_client_per_hour + 1)
    ]
    assert [r.too_many for r in many] == [False] * settings.code_requests_per_client_per_hour + [
        True
    ]


async def test_an_address_gets_a_bounded_number_of_codes_whoever_asks(verifier):
    verifier.settings = dataclasses.replace(verifier.settings, code_mails_per_address_per_hour=3)
    sent = [await ask(verifier, f"chat-{n}", SANNE, client=f"client-{n}") for n in range(5)]
    assert [bool(r.code) for r in sent] == [True, True, True, False, False]
    # an hour later the address gets codes again
    verifier.clock.now = START + timedelta(hours=1, seconds=1)
    assert (await ask(verifier, "later", SANNE, client="client-9")).code
