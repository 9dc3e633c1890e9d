"""Erasure on request: everything about the applicant goes at once, open applications too; a
tombstone keeps the next import from bringing them back; the confirmation goes out and its
recipient is forgotten; consumers of the event broker are told (a real RabbitMQ)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import uuid

import aio_pika
from sqlalchemy import select

from ats.models import (
    Application,
    AuditEntry,
    CandidateFeedback,
    ErasureTombstone,
    OutgoingMail,
    Status,
)
from ats.privacy.announcements import publish_pending
from ats.privacy.erasure import Eraser
from ats.privacy.keys import ErasureKeys
from ats.records import Mail
from tests.ats.helpers import add, row
from tests.ats.privacy.conftest import (
    START,
    Clock,
    build_history,
    everything,
    tracker_senders,
)
from tests.server.conftest import RABBITMQ_PORT, REQUIRE_SERVICES, require

GOODBYE = Mail(
    "james@example.com",
    "Your data has been erased",
    "Dear James, we have erased everything the help desk held about you.",
    "erasure_confirmation",
)


async def test_an_applicant_erased_on_request_is_gone_with_their_open_application(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    erased = await Eraser(store, privacy_settings, clock).erase_applicant(
        "James@Example.com", actor="admin@example.com", goodbye=GOODBYE
    )
    assert (erased.applications, erased.applicants) == (1, 1)
    held = await everything(store)
    for needle in ("James Smith", "james@example.com", refs["james"], "web-james"):
        assert needle not in held, needle
    assert "web-james" not in tracker_senders(tracker_url)
    # James's feedback stays a score without words or a way back to him
    async with store.session() as session:
        scores = (await session.execute(select(CandidateFeedback.score))).scalars().all()
    assert sorted(scores) == [4, 4]
    # Sanne is untouched
    assert refs["sanne"] in held and "web-sanne" in tracker_senders(tracker_url)
    # the confirmation reached the outbox folder; the table forgot to whom, and what
    [path] = privacy_settings.outbox_dir.glob("*erasure_confirmation.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "james@example.com" and "erased everything" in message.get_content()
    async with store.session() as session:
        [mail] = (
            await session.scalars(
                select(OutgoingMail).where(OutgoingMail.purpose == "erasure_confirmation")
            )
        ).all()
        assert mail.sent_at is not None and (mail.to_address, mail.subject, mail.body) == (
            "",
            "",
            "",
        )
        [audit] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "erase"))
        ).all()
        assert audit.actor == "admin@example.com" and "James" not in audit.detail
    assert (
        await Eraser(store, privacy_settings, clock).erase_applicant("james@example.com", actor="a")
        is None
    )


async def test_the_next_import_does_not_bring_an_erased_applicant_back(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    await build_history(store, privacy_settings, tracker_url, clock)
    await Eraser(store, privacy_settings, clock).erase_applicant("sanne@example.nl", actor="admin")
    keys = ErasureKeys.of(privacy_settings)
    async with store.session() as session:
        stored = set(await session.scalars(select(ErasureTombstone.key_hash)))
    # by the ATS's id, and by the applicant's address: never the values themselves
    assert (
        keys.application(
            reference=None, ats_system="greenhouse", ats_id="gh-1", email=None, vacancy_code=None
        )[0]
        in stored
    )
    assert keys.applicant("sanne@example.nl") in stored
    assert "sanne" not in " ".join(stored) and "gh-1" not in " ".join(stored)


async def test_a_retention_erasure_keeps_other_applications_of_the_same_applicant(
    store, privacy_settings, tracker_url
):
    clock = Clock(START)
    refs = await build_history(store, privacy_settings, tracker_url, clock)
    await add(store, privacy_settings, row(9, vacancy_code="OPS-3", vacancy_title="Ops"), now=START)
    erased = await Eraser(store, privacy_settings, clock).erase_applications(
        await _ids(store, refs["sanne"]), actor="t"
    )
    assert (erased.applications, erased.applicants) == (1, 0)
    [kept] = await store.find_applications_by_email("sanne@example.nl")
    assert kept.reference != refs["sanne"] and kept.status is Status.APPLIED
    held = await everything(store)
    assert refs["sanne"] not in held and "sanne@example.nl" in held
    # her conversations stay while she has an application the help desk keeps
    assert "web-sanne" in tracker_senders(tracker_url)


async def _ids(store, reference):
    async with store.session() as session:
        return list(
            await session.scalars(select(Application.id).where(Application.reference == reference))
        )


async def test_consumers_of_the_event_broker_are_told_of_each_erasure(
    store, privacy_settings, tracker_url
):
    require(
        "RabbitMQ",
        "127.0.0.1",
        RABBITMQ_PORT,
        flag="HELPDESK_REQUIRE_SERVICES",
        required=REQUIRE_SERVICES,
    )
    queue = f"helpdesk_test_erasure_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(
        privacy_settings,
        servers=dataclasses.replace(
            privacy_settings.servers,
            event_broker_url=f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/",
            event_queue=queue,
        ),
    )
    clock = Clock(START)
    refs = await build_history(store, settings, tracker_url, clock)
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    try:
        # RabbitMQ away at the moment of the erasure: the event waits in the database
        away = dataclasses.replace(
            settings,
            servers=dataclasses.replace(
                settings.servers, event_broker_url="amqp://guest:guest@127.0.0.1:1/"
            ),
        )
        await Eraser(store, away, clock).erase_applicant("sanne@example.nl", actor="admin")
        assert await publish_pending(store, away) == 0
        assert await publish_pending(store, settings) == 1
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        message = await declared.get(timeout=5)
        event = json.loads(message.body)
        assert event["event"] == "erasure" and event["reason"] == "request"
        assert refs["sanne"] in event["references"]
        assert {"web-sanne", "tg-777"} <= set(event["sender_ids"])
        assert await publish_pending(store, settings) == 0  # published once
        await declared.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(f"{queue}-exchange")
    finally:
        await connection.close()
