"""A careers-site login in the web chat: the checked token stands in for a code."""

from tests.actions.conftest import Chat, outbox

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
    await chat.send("hello", "greet", metadata=identity("ap-r6gw-2mzn"))
    assert chat.slots["verified_references"] == ["AP-R6GW-2MZN"]


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
    assert not chat.slots.get("verified_references")
    second = Chat.text(await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]}, refused))
    assert "couldn't confirm" not in second and "code" in second


async def test_identity_metadata_counts_only_from_the_web_chat_channel(desk):
    # the REST channel passes the client's metadata through as it is: never trusted
    chat = Chat(sender="rest-1", channel="rest")
    reply = Chat.text(await chat.send("status", "check_status", metadata=identity(AISHA[1])))
    assert "screening" not in reply and not chat.slots.get("verified_references")
