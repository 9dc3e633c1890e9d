"""Who a conversation has proven to be: a careers-site login (the checked token stands in for
a code, for that message), a code typed in it (kept on the server), never its slots."""

import time

from tests.actions.conftest import Chat, last_code, outbox, verify_by_email

AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # English, in screening
DANIEL = "daniel.kim@example.com"  # two applications


def identity(subject: str) -> dict:
    return {"webchat_identity": {"subject": subject}}


async def test_a_logged_in_applicant_gets_the_status_without_a_code(desk):
    chat = Chat(sender="web-1", channel="socketio")
    reply = Chat.text(
        await chat.send("where is my application?", "check_status", metadata=identity(AISHA[1]))
    )
    assert "your CV and motivation are being reviewed" in reply
    assert outbox(desk) == []  # no code was needed


async def test_a_reference_subject_verifies_that_application_only(desk):
    chat = Chat(sender="web-2", channel="socketio")
    reply = Chat.text(await chat.send("status?", "check_status", metadata=identity("ap-r6gw-2mzn")))
    assert "AP-R6GW-2MZN" in reply and "reference" not in reply.lower()
    assert outbox(desk) == []


async def test_a_login_counts_for_its_own_messages_only(desk):
    """A shared computer: once the careers site's token is gone (logged out, expired), the
    chat no longer knows the applicant."""
    chat = Chat(sender="web-5", channel="socketio")
    await chat.send("status?", "check_status", metadata=identity(AISHA[1]))
    reply = Chat.text(await chat.send("where is my application?", "check_status"))
    assert "screening" not in reply and "reference" in reply


async def test_an_expired_login_counts_for_nothing(desk):
    chat = Chat(sender="web-6", channel="socketio")
    expired = {"webchat_identity": {"subject": AISHA[1], "expires_at": int(time.time()) - 5}}
    reply = Chat.text(await chat.send("status?", "check_status", metadata=expired))
    assert "screening" not in reply and "reference" in reply


async def test_slots_sent_in_prove_nothing(desk):
    """The action server is sent the conversation's slots by its caller: a verified list or a
    chosen reference there discloses nothing."""
    chat = Chat(sender="forged-1")
    chat.slots.update(
        verified_references=["AP-6VFK-8RMB"],
        selected_reference="AP-6VFK-8RMB",
        pending_email=AISHA[1],
    )
    reply = Chat.text(await chat.send("status", "check_status"))
    assert "screening" not in reply.lower() and "Data Analyst" not in reply
    chat.slots["awaiting"] = "withdraw_confirm"
    reply = Chat.text(await chat.send("yes", "affirm"))
    assert "withdrawn" not in reply.lower()
    application = await desk.store.find_application("AP-6VFK-8RMB")
    assert application.status.value == "screening"


async def test_a_code_proves_only_in_the_channel_it_was_typed_in(desk):
    rest = Chat(sender="12345", channel="rest")
    await verify_by_email(rest, desk, AISHA[1])
    same_id_on_telegram = Chat(sender="12345", channel="telegram")
    reply = Chat.text(await same_id_on_telegram.send("status", "check_status"))
    assert "screening" not in reply.lower()


async def test_an_email_subject_verifies_all_the_applications(desk):
    chat = Chat(sender="web-3", channel="socketio")
    reply = await chat.send("status?", "check_status", metadata=identity(DANIEL))
    buttons = [b["title"] for m in reply for b in m.get("buttons") or []]
    assert len(buttons) == 2


async def test_a_refused_token_is_said_once_and_a_code_is_asked(desk):
    chat = Chat(sender="web-4", channel="socketio")
    refused = {"webchat_token_refused": "expired"}
    first = Chat.text(await chat.send("status please", "check_status", metadata=refused))
    assert "couldn't confirm your login" in first and "reference" in first
    second = Chat.text(await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]}, refused))
    assert "couldn't confirm" not in second and "code" in second


async def test_identity_metadata_counts_only_from_the_web_chat_channel(desk):
    # the REST channel passes the client's metadata through as it is: never trusted
    chat = Chat(sender="rest-1", channel="rest")
    reply = Chat.text(await chat.send("status", "check_status", metadata=identity(AISHA[1])))
    assert "screening" not in reply


async def test_a_rest_conversation_named_by_someone_else_proves_nothing(desk):
    """On REST the caller chooses the conversation id: another client using the same id
    ("me", as in the README's example) gets nothing of what the first proved."""
    mine = Chat(sender="me", channel="rest")
    first = {"helpdesk_client": "first-client"}
    await mine.send("status", "check_status", metadata=first)
    await mine.send(AISHA[1], "provide_email", {"email": AISHA[1]}, first)
    code = last_code(desk, AISHA[1])
    assert "screening" in Chat.text(await mine.send(code, "provide_code", {"code": code}, first))
    assert "Data Analyst" in Chat.text(await mine.send("status?", "check_status", metadata=first))
    other = Chat(sender="me", channel="rest")
    reply = Chat.text(
        await other.send("status?", "check_status", metadata={"helpdesk_client": "second"})
    )
    assert "Data Analyst" not in reply and "reference" in reply
