"""Withdrawing: verified applicants only, after confirming; recorded and told to the recruiter."""

from ats import desk_changes
from ats.models import Status
from tests.actions.conftest import Chat, last_code, outbox


async def test_withdrawal_needs_verification_and_a_yes(desk):
    chat = Chat()
    asked = Chat.text(await chat.send("I want to withdraw my application", "withdraw_application"))
    assert "reference" in asked  # verify first
    await chat.send(
        "thijs.mulder@example.nl", "provide_email", {"email": "thijs.mulder@example.nl"}
    )
    code = last_code(desk, "thijs.mulder@example.nl")
    confirm = await chat.send(code, "provide_code", {"code": code})
    assert "withdraw your application for Backend Developer (Python)" in Chat.text(confirm)
    assert [b["payload"] for b in confirm[-1]["buttons"]] == ["/affirm", "/deny"]
    done = Chat.text(await chat.send("yes", "affirm"))
    assert "withdrawn" in done and "Priya Sharma" in done
    application = await desk.store.find_application("AP-5CWN-ZH3T")
    assert application.status is Status.WITHDRAWN
    history = await desk.store.status_history("AP-5CWN-ZH3T")
    assert history[-1].to_status is Status.WITHDRAWN and history[-1].source == "chat"
    assert any(m["To"] == "priya.sharma@example.com" for m in outbox(desk))
    # kept against the next import, which the recruiter is told to bring in line with the ATS
    kept = await desk_changes.latest(desk.store, "AP-5CWN-ZH3T")
    assert kept is not None and (kept.status, kept.state) == ("withdrawn", "manual")


async def test_saying_no_keeps_the_application(desk):
    chat = Chat()
    await chat.send("I want to withdraw", "withdraw_application")
    await chat.send(
        "emily.clarke@example.com", "provide_email", {"email": "emily.clarke@example.com"}
    )
    code = last_code(desk, "emily.clarke@example.com")
    await chat.send(code, "provide_code", {"code": code})
    assert "stays as it is" in Chat.text(await chat.send("no", "deny"))
    assert (await desk.store.find_application("AP-8YJS-4GQA")).status is Status.APPLIED
