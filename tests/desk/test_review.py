"""The review inbox in the desk, in process on SQLite and PostgreSQL: admins see masked
messages the assistant may have misread, confirm or correct them in one click, and the
dashboard counts them per intent and per week; an erasure takes their text away."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from ats.models import ReviewMessage
from ats.privacy.erasure_steps import request_tracker_erasures
from ats.privacy.keys import ErasureKeys
from ats.review import Noticed, examples, keep_for_review, review_item
from ats.store_basics import utcnow
from desk.review_pages import around
from tests.desk.conftest import InProcessDesk

ADMIN, EVA = "admin@example.com", "eva@example.com"
SENT = datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc)


async def noticed(
    desk: InProcessDesk, text: str, intent: str, confidence: float, sender: str = "chat-1"
) -> int:
    keys = ErasureKeys.of(desk.settings)
    message = Noticed(
        conversation_id=sender,
        conversation_hash=keys.conversation(sender),
        message_at=SENT,
        text=text,
        intent=intent,
        confidence=confidence,
        reason="low_confidence",
        channel="webchat",
        language="en",
    )
    assert await keep_for_review(desk.store, message, utcnow())
    assert not await keep_for_review(desk.store, message, utcnow())  # once per message
    async with desk.store.session() as session:
        from sqlalchemy import select

        return int(
            await session.scalar(
                select(ReviewMessage.id).where(
                    ReviewMessage.conversation_hash == message.conversation_hash
                )
            )
        )


async def test_admins_confirm_or_correct_masked_messages_in_one_click(desk: InProcessDesk):
    first = await noticed(desk, "can I change my cv? my code is 123456", "ask_process", 0.41)
    second = await noticed(
        desk, "AP-7K3M-9XQ2 any news, call 06-12345678", "greet", 0.32, sender="chat-2"
    )
    await desk.account(ADMIN, "Alex Admin", admin=True)
    await desk.account(EVA, "Eva Jansen")
    admin, eva = desk.browser(), desk.browser()
    await admin.log_in(ADMIN)
    await eva.log_in(EVA)

    assert (await eva.get("/desk/review")).status_code == 403
    assert "/desk/review" not in (await eva.get("/desk/")).text
    page = (await admin.get("/desk/review")).text
    assert "can I change my cv? my code is 000000" in page
    assert "AP-XXXX-XXXX any news, call +31 6 00000000" in page
    assert "123456" not in page and "7K3M" not in page and "12345678" not in page
    assert "ask_process (41%)" in page and "Unsure" in page

    token = await admin.csrf("/desk/review")
    # one click: what the model thought was right
    confirmed = await admin.post(f"/desk/review/{first}", csrf_token=token, verdict="confirm")
    assert confirmed.status_code == 302
    # corrected to one of the assistant's intents, and only to one of those
    refused = await admin.post(
        f"/desk/review/{second}", csrf_token=token, verdict="correct", intent="made_up"
    )
    assert refused.status_code == 400 and "Pick one of the assistant&#39;s intents" in refused.text
    forged = await admin.post(f"/desk/review/{second}", verdict="correct", intent="check_status")
    assert forged.status_code == 403
    assert (
        await eva.post(f"/desk/review/{second}", csrf_token=await eva.csrf(), verdict="discard")
    ).status_code == 403
    corrected = await admin.post(
        f"/desk/review/{second}", csrf_token=token, verdict="correct", intent="check_status"
    )
    assert corrected.status_code == 302

    page = (await admin.get("/desk/review")).text
    assert "Nothing to review." in page
    assert "2 reviewed message(s) wait for" in page
    assert [(e.intent, e.text) for e in await examples(desk.store)] == [
        ("ask_process", "can I change my cv? my code is 000000"),
        ("check_status", "AP-XXXX-XXXX any news, call +31 6 00000000"),
    ]
    audit = (await admin.get("/desk/audit")).text
    assert "Confirmed an intent in the review inbox" in audit
    assert "Corrected an intent in the review inbox" in audit

    # what applicants ask that the bot does not understand, on the dashboard
    dashboard = (await eva.get("/desk/dashboard")).text
    assert "What applicants ask that the bot does not understand" in dashboard
    assert '<tr><th scope="row">check_status</th><td class="dash-num">1</td></tr>' in dashboard
    assert '<tr><th scope="row">ask_process</th><td class="dash-num">1</td></tr>' in dashboard
    monday = (utcnow() - timedelta(days=utcnow().weekday())).date()
    year, week, _ = monday.isocalendar()
    this_week = f"{year}-W{week:02d} (from {monday.isoformat()})"
    assert f'<tr><th scope="row">{this_week}</th><td class="dash-num">2</td></tr>' in dashboard


async def test_an_erased_conversation_leaves_the_inbox_and_keeps_its_count(desk: InProcessDesk):
    item = await noticed(desk, "wanneer hoor ik iets van jullie", "ask_timeline", 0.3)
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    assert "wanneer hoor ik iets" in (await admin.get("/desk/review")).text

    async with desk.store.session() as session, session.begin():
        keys = ErasureKeys.of(desk.settings)
        await request_tracker_erasures(session, [keys.conversation("chat-1")], utcnow())

    assert await review_item(desk.store, item) is None
    assert "wanneer hoor ik iets" not in (await admin.get("/desk/review")).text
    assert (await admin.get(f"/desk/review/{item}")).status_code == 404
    dashboard = (await admin.get("/desk/dashboard")).text
    assert '<tr><th scope="row">ask_timeline</th><td class="dash-num">1</td></tr>' in dashboard
    async with desk.store.session() as session:
        row = await session.get(ReviewMessage, item)
        assert row.text is None and row.conversation_id is None


async def test_the_conversation_around_a_message_is_read_from_the_tracker_masked(
    desk: InProcessDesk,
):
    item_id = await noticed(desk, "where is it, mail me at jan@example.nl", "check_status", 0.4)
    store = InMemoryTrackerStore(Domain.empty())
    tracker = DialogueStateTracker.from_events(
        "chat-1",
        [
            UserUttered("hi", timestamp=SENT.timestamp() - 20),
            BotUttered("Hello! I am the automated assistant.", timestamp=SENT.timestamp() - 19),
            UserUttered("where is it, mail me at jan@example.nl", timestamp=SENT.timestamp()),
            BotUttered("What is your reference?", timestamp=SENT.timestamp() + 1),
            UserUttered("AP-7K3M-9XQ2", timestamp=SENT.timestamp() + 30),
        ],
    )
    await store.save(tracker)
    item = await review_item(desk.store, item_id)
    assert item is not None
    turns = await around(SimpleNamespace(tracker_store=store), item)
    assert [(t.kind, t.text, t.reviewed) for t in turns] == [
        ("applicant", "hi", False),
        ("bot", "Hello! I am the automated assistant.", False),
        ("applicant", "where is it, mail me at name@example.com", True),
        ("bot", "What is your reference?", False),
        ("applicant", "AP-XXXX-XXXX", False),
    ]
    # without the conversation held here (the desk in process has no Rasa agent)
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    page = (await admin.get(f"/desk/review/{item_id}")).text
    assert "where is it, mail me at name@example.com" in page
    assert "The conversation is no longer held" in page


async def test_an_id_beyond_any_is_not_found_rather_than_an_error(desk: InProcessDesk):
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    token = await admin.csrf("/desk/review")
    for item in (2**31, 2**63):
        assert (await admin.get(f"/desk/review/{item}")).status_code == 404
        answer = await admin.post(f"/desk/review/{item}", csrf_token=token, verdict="discard")
        assert answer.status_code == 404
