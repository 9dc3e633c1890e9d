"""What the escalation's page says about a status set in the desk (desk/writeback.py), over
HTTP on SQLite and PostgreSQL: written to the ATS's API (here a fake of Greenhouse's), waiting
while the ATS is down, to be made in the ATS by hand for an application from file imports, and
an import that disagreed and was not applied."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ats.desk_changes import DeskChange
from ats.importer import import_file
from desk import writeback
from desk.services import DeskServices
from speech.catalogue import catalogue
from tests.ats.helpers import add, csv_row, row, write_csv
from tests.ats.sync import fake_writes as fw
from tests.ats.sync.test_writeback import CASES
from tests.desk.conftest import Browser, InProcessDesk
from tests.desk.test_escalation_rights import EVA, act, escalate


async def eva(desk: InProcessDesk) -> Browser:
    await desk.account(EVA, "Eva Jansen")
    browser = desk.browser()
    assert (await browser.log_in(EVA)).status_code == 302
    return browser


async def test_a_change_to_an_imported_application_is_to_be_made_in_the_ats_too(
    desk: InProcessDesk, tmp_path: Path
) -> None:
    export = write_csv(tmp_path / "export.csv", [csv_row(status="screening")])
    await import_file(desk.store, export, desk.settings)
    browser = await eva(desk)
    escalation = await escalate(desk)
    await act(browser, escalation, "claim")
    page = await act(browser, escalation, "status", status="rejected")
    assert page.status_code == 302
    shown = (await browser.get(f"/desk/escalations/{escalation}")).text
    assert "make the same change in the ATS" in shown

    await import_file(desk.store, export, desk.settings)  # the ATS still says screening
    shown = (await browser.get(f"/desk/escalations/{escalation}")).text
    assert "An import said Screening on" in shown
    assert "the desk&#39;s Rejected is kept" in shown


@pytest.fixture
def greenhouse(desk: InProcessDesk, monkeypatch: pytest.MonkeyPatch):
    async def configured(url: str) -> None:
        settings = CASES["greenhouse"].settings(desk.settings, url)
        current = DeskServices.get()
        monkeypatch.setattr(
            DeskServices, "_current", dataclasses.replace(current, settings=settings)
        )
        desk.settings = settings

    return configured


async def test_a_change_is_written_to_the_ats_and_the_page_says_so(
    desk: InProcessDesk, greenhouse
) -> None:
    fake = fw.FakeGreenhouse()
    async with fw.serving(fake) as url:
        await greenhouse(url)
        await add(
            desk.store,
            desk.settings,
            row(ats_system="greenhouse", ats_id="500001", vacancy_code="GH-3485"),
        )
        fake.add("500001")
        browser = await eva(desk)
        escalation = await escalate(desk)
        await act(browser, escalation, "claim")

        fake.fail_next = [503, 503, 503]  # Greenhouse is down
        await act(browser, escalation, "status", status="interview")
        await writeback.settle()
        shown = (await browser.get(f"/desk/escalations/{escalation}")).text
        assert "Not written to Greenhouse yet (Greenhouse answered 503 (3 tries))" in shown
        assert fake.writes() == []

        await act(browser, escalation, "status", status="offer")  # it is back
        await writeback.settle()
        shown = (await browser.get(f"/desk/escalations/{escalation}")).text
        assert "Written to Greenhouse on" in shown
    assert [(s.method, s.path) for s in fake.writes()] == [
        ("POST", "/applications/500001/move"),
        ("POST", "/candidates/700001/activity_feed/notes"),
    ]
    assert fake.applications["500001"]["current_stage"]["name"] == "Offer"


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_state_is_said_in_the_recruiters_language(language: str) -> None:
    now = datetime.now(timezone.utc)
    base = DeskChange(
        1, "lever", "rejected", None, "pending", 0, None, now, None, now, None, None, None, None
    )
    said = {
        state: writeback.described(
            dataclasses.replace(base, state=state, last_error="Lever answered 503", attempts=2),
            language,
            ZoneInfo("Europe/Amsterdam"),
        )
        for state in ("pending", "written", "failed", "manual", "confirmed", "superseded")
    }
    assert said["superseded"] == []
    for state, lines in said.items():
        assert all("{" not in line and line[:1].isupper() for line in lines), (state, lines)
    assert "Lever answered 503" in said["pending"][0] and "Lever answered 503" in said["failed"][0]
    disagreeing = dataclasses.replace(
        base, seen_status="screening", seen_source="import", seen_at=now
    )
    [_, shown] = writeback.described(disagreeing, language, ZoneInfo("Europe/Amsterdam"))
    assert catalogue().name_of("desk.status_names", "screening", language) in shown
