"""The escalation chain in the desk (issue 20): the queue and the escalation's page say which
level an escalation nobody took in time was raised to, and the audit log says so in words, in
process over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import select

from ats.models import Escalation, Recruiter
from tests.desk.conftest import InProcessDesk
from tests.monitor.conftest import Clock, four_applicants, sweeper
from tests.monitor.test_chain import SATURDAY, TUESDAY, backup

ADMIN = "ada@example.com"


async def test_the_desk_shows_the_level_and_the_audit_log_says_who_it_went_to(
    desk: InProcessDesk,
):
    store, settings = desk.store, dataclasses.replace(desk.settings, secret_key="k")
    await four_applicants(store, settings)
    await desk.account(ADMIN, "Ada Admiraal", admin=True)
    # Eva's two go to Daan, her backup; Daan's own one, with no second person, to the admins
    await backup(store, "DATA-1", "daan@example.com")
    for moment in (SATURDAY, TUESDAY):
        await sweeper(store, settings, Clock(moment)).sweep()
    async with store.session() as session:
        nurse = await session.scalar(
            select(Escalation.id)
            .join(Recruiter, Recruiter.id == Escalation.recruiter_id)
            .where(Recruiter.email == ADMIN)
        )

    admin = desk.browser()
    assert (await admin.log_in(ADMIN)).status_code == 302
    queue = (await admin.get("/desk/")).text
    badges = re.findall(r'<strong class="badge late">([^<]*)</strong>', queue)
    assert badges.count("second level") == 2 and badges.count("third level: the admins") == 1
    page = (await admin.get(f"/desk/escalations/{nurse}")).text
    assert '<strong class="badge late">third level: the admins</strong>' in page
    page = (await admin.get(f"/desk/escalations/{nurse}?lang=nl")).text
    assert '<strong class="badge late">derde lijn: de beheerders</strong>' in page

    log = (await admin.get("/desk/audit?lang=en")).text  # the language stays once chosen
    rows = re.findall(
        r"<td>deadline monitor</td><td>([^<]*)</td>\s*<td>.*?</td>\s*<td>([^<]*)", log
    )
    assert sorted(rows) == [
        ("Raised to the admins (nobody took it in time)", "Ada Admiraal"),
        ("Raised to the second level (nobody took it in time)", "Daan Bakker"),
        ("Raised to the second level (nobody took it in time)", "Daan Bakker"),
    ]
    assert f'<a href="/desk/escalations/{nurse}">escalation {nurse}</a>' in log
    log = (await admin.get("/desk/audit?lang=nl")).text
    assert "<td>Naar de beheerders gebracht (niemand pakte hem op tijd op)</td>" in log
