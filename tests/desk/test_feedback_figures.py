"""What applicants said of the help desk, on the dashboard: per week, channel and recruiter,
with the latest (masked) comments; admins see all of it, a recruiter only what was said of
their own hand-overs. In process, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from ats.feedback import Asking, ask, record_comment, record_score
from ats.models import Recruiter


async def recruiter_id(store, address: str) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(Recruiter.id).where(Recruiter.email == address)))


async def said(desk, conversation: str, who: str, score: int | None, comment: str = "", **kw):
    asked = await ask(desk.store, desk.settings, Asking(kind=kw.pop("kind", "status"),
                      conversation_id=conversation, who=who, **kw), desk.clock())  # fmt: skip
    assert asked is not None
    if score is not None:
        assert await record_score(desk.store, conversation, score, desk.clock())
    if comment:
        assert await record_comment(desk.store, conversation, comment, desk.clock())


def cells(page: str, heading: str) -> list[str]:
    """The numbers of the row headed `heading`."""
    found = re.search(rf"<th scope=\"row\">{re.escape(heading)}</th>(.*?)</tr>", page, re.S)
    assert found, heading
    return re.findall(r'<td class="dash-num">([^<]*)</td>', found.group(1))


async def test_the_dashboard_shows_scores_and_masked_comments_by_who_may_see_them(desk):
    await desk.account("ada@example.com", "Ada Admin", admin=True)
    await desk.account("rik@example.com", "Rik Recruiter")
    await desk.account("sam@example.com", "Sam Other")
    rik = await recruiter_id(desk.store, "rik@example.com")
    sam = await recruiter_id(desk.store, "sam@example.com")
    await said(
        desk, "web-1", "a@example.com", 5, "Fast! mail me at a@example.com", channel="socketio"
    )
    await said(desk, "tg-2", "b@example.com", 2, channel="telegram")
    await said(desk, "web-3", "c@example.com", None, channel="socketio")  # asked, no answer
    await said(desk, "wa-4", "d@example.com", 4, "Rik was kind", kind="handover",
               channel="whatsapp", recruiter_id=rik)  # fmt: skip
    await said(desk, "web-5", "e@example.com", 1, "Sam never answered", kind="handover",
               channel="socketio", recruiter_id=sam)  # fmt: skip

    admin = desk.browser()
    await admin.log_in("ada@example.com")
    page = (await admin.get("/desk/dashboard")).text
    assert "How applicants rated the help" in page
    assert cells(page, "web chat") == ["3", "2", "3.0"]  # asked, answered, average of 5 and 1
    assert cells(page, "Telegram") == ["1", "1", "2.0"]
    assert cells(page, "WhatsApp") == ["1", "1", "4.0"]
    assert cells(page, "Rik Recruiter") == ["1", "1", "4.0"]
    assert cells(page, "Sam Other") == ["1", "1", "1.0"]
    assert "Fast! mail me at [email]" in page and "a@example.com" not in page
    assert "Rik was kind" in page and "Sam never answered" in page

    # Rik sees what applicants said of his own hand-overs, nothing else
    recruiter = desk.browser()
    await recruiter.log_in("rik@example.com")
    own = (await recruiter.get("/desk/dashboard")).text
    assert "Rik was kind" in own
    assert "Sam never answered" not in own and "Fast!" not in own
    assert cells(own, "WhatsApp") == ["1", "1", "4.0"]
    assert "Telegram</th>" not in own
    for browser in (admin, recruiter):
        await browser.close()


async def test_before_anyone_was_asked_the_dashboard_says_so(desk):
    await desk.account("ada@example.com", "Ada Admin", admin=True)
    admin = desk.browser()
    await admin.log_in("ada@example.com")
    page = (await admin.get("/desk/dashboard")).text
    assert "No applicant has been asked yet in these weeks." in page
    await admin.close()
