"""Deep-link tokens and linked chats, on SQLite and PostgreSQL."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from ats.linking import ChatLinks
from ats.models import LinkToken
from tests.ats.helpers import add, row
from tests.ats.test_verification import Clock


@pytest.fixture
async def links(store, db_settings):
    await add(
        store,
        db_settings,
        row(2, reference="AP-7K3M-9XQ2", vacancy_code="A"),
        row(3, reference="AP-4HD8-2MWR", vacancy_code="B", vacancy_title="Nurse"),
        row(4, reference="AP-9TRB-X2KE", candidate_email="other@example.com", candidate_name="Jo"),
    )
    return ChatLinks(store, b"test-key", valid_for=timedelta(hours=72), clock=Clock())


async def test_a_token_links_a_chat_to_all_the_applicants_applications(links):
    token = await links.create_token("Sanne@Example.nl")
    assert token and len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    applicant = await links.redeem(token, "telegram", "9001")
    assert applicant.name == "Sanne"
    assert set(applicant.references) == {"AP-7K3M-9XQ2", "AP-4HD8-2MWR"}
    assert await links.linked_applicant("telegram", "9001") == applicant
    assert await links.linked_applicant("telegram", "9002") is None
    assert await links.chats_for(["sanne@example.nl"], "telegram") == {"sanne@example.nl": ["9001"]}


async def test_a_token_works_once(links):
    token = await links.create_token("sanne@example.nl")
    assert await links.redeem(token, "telegram", "9001")
    assert await links.redeem(token, "telegram", "9002") is None
    assert await links.linked_applicant("telegram", "9002") is None


async def test_a_token_expires(links):
    token = await links.create_token("sanne@example.nl")
    links.clock.now += timedelta(hours=72, seconds=1)
    assert await links.redeem(token, "telegram", "9001") is None


async def test_two_chats_racing_with_one_token_link_one(links):
    token = await links.create_token("sanne@example.nl")
    results = await asyncio.gather(
        *(links.redeem(token, "telegram", str(chat)) for chat in range(9000, 9010))
    )
    assert sum(result is not None for result in results) == 1


async def test_unknown_tokens_and_unknown_addresses_give_nothing(links):
    assert await links.create_token("nobody@example.com") is None
    assert await links.redeem("not-a-token-at-all-xxxxxxxx", "telegram", "9001") is None


async def test_only_a_hash_of_the_token_is_stored(links, store):
    token = await links.create_token("sanne@example.nl")
    async with store.session() as session:
        stored = list(await session.scalars(select(LinkToken.token_hash)))
    assert stored and token not in stored and all(len(h) == 64 for h in stored)


async def test_forget_unlinks_and_linking_again_moves_the_chat(links):
    assert await links.link("telegram", "9001", "sanne@example.nl")
    assert await links.link("telegram", "9001", "other@example.com")
    assert (await links.linked_applicant("telegram", "9001")).references == ("AP-9TRB-X2KE",)
    assert await links.chats_for(["sanne@example.nl"], "telegram") == {}
    assert await links.forget("telegram", "9001")
    assert await links.linked_applicant("telegram", "9001") is None
    assert not await links.forget("telegram", "9001")
    assert not await links.link("telegram", "9001", "nobody@example.com")
