"""Desk changes written back to each ATS through its API (ats/sync/writeback/), against local
fakes of the write calls each vendor documents (fake_writes/): the calls made (method, path,
body, authentication, acting user), what the ATS holds afterwards, a passing failure retried by
the sweep's `send_due` until the ATS takes the change, and a refusal kept with its reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from ats import desk_changes
from ats.metrics import deadline_figures
from ats.models import Status, WritebackState
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.writeback.send import send, send_due
from tests.ats.helpers import add, row
from tests.ats.sync import fake_writes as fw
from tests.ats.sync.configured import with_api


@dataclass(frozen=True)
class Case:
    name: str
    fake: Callable[[], fw.FakeWrites]
    ats_id: str
    vacancy_code: str
    api_key: str
    authorization: str
    interview: list[tuple[str, str, Any]]  # the writes that move it to an interview stage
    reject: list[tuple[str, str, Any]]  # the writes that reject it
    holds: Callable[[Any], Any]  # what the fake holds as the application's stage or state
    interview_held: Any
    rejected_held: Any
    extra: dict[str, str] = dataclasses.field(default_factory=dict)

    def settings(self, settings: Settings, url: str) -> Settings:
        configured = with_api(settings, self.name, self.api_key, url)
        access = dataclasses.replace(configured.access(self.name), **self.extra)
        return dataclasses.replace(configured, ats={**configured.ats, self.name: access})


ANY_NOTE = object()
LEVER_AS = f"?perform_as={fw.LEVER_USER}"
CASES = {
    "greenhouse": Case(
        "greenhouse",
        fw.FakeGreenhouse,
        "500001",
        "GH-3485",
        fw.GREENHOUSE_KEY,
        fw.basic(fw.GREENHOUSE_KEY),
        [
            ("POST", "/applications/500001/move", {"from_stage_id": 1, "to_stage_id": 3}),
            ("POST", "/candidates/700001/activity_feed/notes", ANY_NOTE),
        ],
        [
            ("POST", "/applications/500001/reject", ANY_NOTE),
            ("POST", "/candidates/700001/activity_feed/notes", ANY_NOTE),
        ],
        lambda fake: (
            fake.applications["500001"]["current_stage"]["name"],
            fake.applications["500001"]["status"],
        ),
        ("Face to Face", "active"),
        ("Application Review", "rejected"),
        {"write_as": fw.GREENHOUSE_USER},
    ),
    "lever": Case(
        "lever",
        fw.FakeLever,
        "opp-0001",
        "LV-f2f01e16",
        fw.LEVER_KEY,
        fw.basic(fw.LEVER_KEY),
        [
            (
                "PUT",
                f"/opportunities/opp-0001/stage{LEVER_AS}",
                {"stage": "stage-on-site-interview"},
            ),
            ("POST", f"/opportunities/opp-0001/notes{LEVER_AS}", ANY_NOTE),
        ],
        [
            ("PUT", f"/opportunities/opp-0001/archived{LEVER_AS}", {"reason": "ar-under"}),
            ("POST", f"/opportunities/opp-0001/notes{LEVER_AS}", ANY_NOTE),
        ],
        lambda fake: (
            fake.opportunities["opp-0001"]["stage"],
            fake.opportunities["opp-0001"]["archived"],
        ),
        ("stage-on-site-interview", None),
        ("stage-new", {"reason": "ar-under"}),
        {"write_as": fw.LEVER_USER},
    ),
    "recruitee": Case(
        "recruitee",
        fw.FakeRecruitee,
        "990001",
        "RT-771",
        fw.RECRUITEE_TOKEN,
        f"Bearer {fw.RECRUITEE_TOKEN}",
        [
            ("PATCH", "/c/52/placements/990001/change_stage", {"stage_id": 103}),
            ("POST", "/c/52/notes", ANY_NOTE),
        ],
        [
            ("PATCH", "/c/52/placements/990001/disqualify", {"disqualify_reason_id": 1}),
            ("POST", "/c/52/notes", ANY_NOTE),
        ],
        lambda fake: (
            fake.placements["990001"]["stage_id"],
            fake.placements["990001"]["disqualified"],
        ),
        (103, None),
        (101, 1),
        {"company_id": fw.RECRUITEE_COMPANY},
    ),
    "workable": Case(
        "workable",
        fw.FakeWorkable,
        "c000001",
        "WK-GROOV005",
        fw.WORKABLE_TOKEN,
        f"Bearer {fw.WORKABLE_TOKEN}",
        [
            (
                "POST",
                "/candidates/c000001/move",
                {"member_id": fw.WORKABLE_MEMBER, "target_stage": "interview"},
            ),
            ("POST", "/candidates/c000001/comments", ANY_NOTE),
        ],
        [
            (
                "POST",
                "/candidates/c000001/disqualify",
                {
                    "member_id": fw.WORKABLE_MEMBER,
                    "disqualification_reason": "Rejected",
                    "withdrew": False,
                },
            ),
            ("POST", "/candidates/c000001/comments", ANY_NOTE),
        ],
        lambda fake: (
            fake.candidates["c000001"]["stage"],
            fake.candidates["c000001"]["disqualified"],
        ),
        ("interview", False),
        ("applied", True),
        {"write_as": fw.WORKABLE_MEMBER},
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


async def application(store: ATSStore, settings: Settings, case: Case) -> str:
    """An application of this ATS at its first stage; its reference."""
    await add(
        store,
        settings,
        row(ats_system=case.name, ats_id=case.ats_id, vacancy_code=case.vacancy_code),
    )
    [app] = await store.find_applications_by_email("sanne@example.nl")
    return app.reference


async def desk_sets(
    store: ATSStore, settings: Settings, reference: str, status: Status, stage: str | None = None
) -> int:
    """What the desk does when a recruiter sets a status (desk/views.py, desk/writeback.py)."""
    before = await store.find_application(reference)
    assert before is not None
    await store.record_status_change(reference, status, actor="eva@example.com", source="desk")
    return await desk_changes.record(
        store,
        reference,
        from_status=before.status.value,
        status=status.value,
        stage=stage,
        actor="eva@example.com",
        settings=settings,
    )


def matches(seen: list[fw.Seen], expected: list[tuple[str, str, Any]]) -> bool:
    assert [(s.method, s.path) for s in seen] == [(m, p) for m, p, _ in expected]
    for s, (_, _, body) in zip(seen, expected, strict=True):
        if body is ANY_NOTE:
            text = str(s.body)
            assert "candidate help desk by eva@example.com" in text, text
        else:
            assert s.body == body
    return True


async def test_a_desk_change_reaches_the_ats_as_its_api_documents(
    store: ATSStore, settings: Settings, case: Case
) -> None:
    fake = case.fake()
    async with fw.serving(fake) as url:
        configured = case.settings(settings, url)
        reference = await application(store, configured, case)
        fake.add(case.ats_id)  # type: ignore[attr-defined]
        change_id = await desk_sets(store, configured, reference, Status.INTERVIEW)
        await send(store, configured, change_id, pause=0)
        assert matches(fake.writes(), case.interview)
        assert case.holds(fake) == case.interview_held
        assert {s.authorization for s in fake.requests} == {case.authorization}
        if case.name == "greenhouse":  # every call is made as the configured Greenhouse user
            assert {s.on_behalf_of for s in fake.requests} == {fw.GREENHOUSE_USER}
        written = await desk_changes.latest(store, reference)
        assert written is not None and written.state == WritebackState.WRITTEN.value

        fake.requests.clear()
        fake.add(case.ats_id)  # type: ignore[attr-defined]
        change_id = await desk_sets(store, configured, reference, Status.REJECTED)
        await send(store, configured, change_id, pause=0)
        assert matches(fake.writes(), case.reject)
        assert case.holds(fake) == case.rejected_held


async def test_an_ats_that_is_down_gets_the_change_when_it_is_back(
    store: ATSStore, settings: Settings, case: Case
) -> None:
    fake = case.fake()
    async with fw.serving(fake) as url:
        configured = case.settings(settings, url)
        reference = await application(store, configured, case)
        fake.add(case.ats_id)  # type: ignore[attr-defined]
        change_id = await desk_sets(store, configured, reference, Status.INTERVIEW)
        fake.fail_next = [503, 503, 503]
        await send(store, configured, change_id, pause=0)
        waiting = await desk_changes.latest(store, reference)
        assert waiting is not None
        assert (waiting.state, waiting.attempts) == (WritebackState.PENDING.value, 1)
        assert "503" in (waiting.last_error or "")
        assert fake.writes() == []
        assert (await deadline_figures(store)).writebacks_waiting == 1  # the operator sees it
        # not due yet: the sweep leaves it alone
        assert (await send_due(store, configured, pause=0)).written == 0
        later = utcnow() + timedelta(minutes=2)
        report = await send_due(store, configured, now=later, pause=0)
        assert (report.written, report.waiting) == (1, 0)
        assert matches(fake.writes(), case.interview)
        written = await desk_changes.latest(store, reference)
        assert written is not None and written.state == WritebackState.WRITTEN.value
        assert written.last_error is None
        assert (await deadline_figures(store)).writebacks_waiting == 0


async def test_a_rate_limit_is_waited_out_within_one_send(
    store: ATSStore, settings: Settings
) -> None:
    case = CASES["greenhouse"]
    fake = fw.FakeGreenhouse()
    async with fw.serving(fake) as url:
        configured = case.settings(settings, url)
        reference = await application(store, configured, case)
        fake.add(case.ats_id)
        change_id = await desk_sets(store, configured, reference, Status.INTERVIEW)
        fake.fail_next = [429]
        await send(store, configured, change_id, pause=0)
    assert [s.method for s in fake.requests][:2] == ["GET", "GET"]  # the same call again
    written = await desk_changes.latest(store, reference)
    assert written is not None and written.state == WritebackState.WRITTEN.value


async def test_a_change_the_ats_cannot_take_fails_with_its_reason(
    store: ATSStore, settings: Settings
) -> None:
    case = CASES["greenhouse"]
    fake = fw.FakeGreenhouse()
    async with fw.serving(fake) as url:
        configured = case.settings(settings, url)
        reference = await application(store, configured, case)
        fake.add(case.ats_id)
        change_id = await desk_sets(store, configured, reference, Status.HIRED)
        await send(store, configured, change_id, pause=0)
    failed = await desk_changes.latest(store, reference)
    assert failed is not None and failed.state == WritebackState.FAILED.value
    assert "hire is made in Greenhouse" in (failed.last_error or "")
    assert (await deadline_figures(store)).writebacks_failed == 1
    assert fake.writes() == []


async def test_without_the_acting_user_the_change_waits_and_says_what_to_set(
    store: ATSStore, settings: Settings
) -> None:
    case = CASES["greenhouse"]
    fake = fw.FakeGreenhouse()
    async with fw.serving(fake) as url:
        configured = with_api(settings, "greenhouse", case.api_key, url)
        reference = await application(store, configured, case)
        change_id = await desk_sets(store, configured, reference, Status.INTERVIEW)
        await send(store, configured, change_id, pause=0)
    waiting = await desk_changes.latest(store, reference)
    assert waiting is not None and waiting.state == WritebackState.PENDING.value
    assert "GREENHOUSE_WRITE_AS" in (waiting.last_error or "")
    assert fake.requests == []


async def test_an_application_from_files_is_not_sent_but_marked_for_the_recruiter(
    store: ATSStore, settings: Settings
) -> None:
    await add(store, settings, row())
    [app] = await store.find_applications_by_email("sanne@example.nl")
    await desk_sets(store, settings, app.reference, Status.REJECTED)
    manual = await desk_changes.latest(store, app.reference)
    assert manual is not None and manual.state == WritebackState.MANUAL.value
    assert (await send_due(store, settings, now=utcnow() + timedelta(days=1))).written == 0


async def test_an_id_from_a_file_stays_one_path_segment(
    store: ATSStore, settings: Settings
) -> None:
    """A file import may carry any ATS id: written back, it names one candidate's path, never
    another resource of the ATS's API."""
    case = dataclasses.replace(CASES["workable"], ats_id="c1/../../jobs")
    fake = fw.FakeWorkable()
    async with fw.serving(fake) as url:
        configured = case.settings(settings, url)
        reference = await application(store, configured, case)
        change_id = await desk_sets(store, configured, reference, Status.REJECTED)
        await send(store, configured, change_id, pause=0)
    assert [s.path for s in fake.requests] == ["/candidates/c1%2F..%2F..%2Fjobs/disqualify"]
    refused = await desk_changes.latest(store, reference)
    assert refused is not None and refused.state == WritebackState.FAILED.value
    assert "404" in (refused.last_error or "")
