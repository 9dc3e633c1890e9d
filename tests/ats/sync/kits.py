"""Per-ATS fixtures for the contract suite (test_contract.py): how to make an ATS's records,
its fake API (the fakes are in test_<ats>_pull.py and fake_lever.py, faithful to the vendors'
documented APIs and driven through the real adapters), and what each ATS shows for them."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from ats.models import Application
from ats.settings import Settings
from tests.ats.sync import fake_lever
from tests.ats.sync import test_greenhouse_pull as gh
from tests.ats.sync import test_recruitee_pull as rt
from tests.ats.sync import test_workable_pull as wk
from tests.ats.sync.configured import with_api


@dataclass(frozen=True)
class Kit:
    name: str
    api_key: str
    record: Callable[[int], Any]  # record n at the first stage, applicant{n}@example.com
    interview: Callable[[int], Any]  # record n at an interview, updated in 2099
    fake: Callable[[list[Any]], Any]  # the fake API over records, pages of 2
    serving: Callable[[Any], contextlib.AbstractAsyncContextManager[str]]
    records: Callable[[Any], list[Any]]
    refuse_second_page: Callable[[Any], None]
    stage: str  # what the first stage is shown as
    title: str
    since_filter: str  # the query parameter asking for what changed since the last sync
    first_load: Callable[[Application, list[str]], None]  # the ATS's own checks of a first load
    resumed: Callable[[list[str]], None]  # the ATS's own checks of a resumed sync's requests
    extra: Callable[[Settings], Settings] = lambda settings: settings

    def settings(self, settings: Settings, url: str | None, api_key: str | None = None) -> Settings:
        return with_api(self.extra(settings), self.name, api_key or self.api_key, url)


def _greenhouse_first_load(app: Application, requests: list[str]) -> None:
    assert requests[0] == "/v1/candidates?per_page=500"


def _greenhouse_resumed(requests: list[str]) -> None:
    assert [q for q in requests if "&page=" not in q] == ["/v1/candidates?per_page=500"]


def _lever_refuse(fake: fake_lever.FakeLever) -> None:
    fake.refuse_offset = base64.b64encode(b"2").decode()


def _lever_first_load(app: Application, requests: list[str]) -> None:
    assert (app.ats_system, app.ats_id) == ("lever", "opp-0003")
    assert "updated_at_start" not in requests[0]
    assert requests[0].startswith("/v1/opportunities?limit=100&expand=applications")


def _lever_resumed(requests: list[str]) -> None:
    assert [q for q in requests if "offset=" not in q] == [requests[0]]
    assert all(q.startswith("/v1/opportunities?limit=100&expand=") for q in requests)


def _recruitee_first_load(app: Application, requests: list[str]) -> None:
    assert requests[0] == "/c/52/candidates?limit=2&offset=0"
    assert app.vacancy.code == "RT-771"
    assert (app.ats_system, app.ats_id) == ("recruitee", "990003")


def _recruitee_resumed(requests: list[str]) -> None:
    assert [q for q in requests if q.endswith("offset=0")] == ["/c/52/candidates?limit=2&offset=0"]
    assert requests[-2:] == [
        "/c/52/candidates?limit=2&offset=2",
        "/c/52/candidates?limit=2&offset=4",
    ]


def _recruitee_settings(settings: Settings) -> Settings:
    access = dataclasses.replace(settings.access("recruitee"), company_id=rt.COMPANY)
    return dataclasses.replace(settings, ats={**settings.ats, "recruitee": access})


def _workable_refuse(fake: wk.FakeWorkable) -> None:
    fake.refuse_since_id = wk.candidate(2)["id"]


def _workable_first_load(app: Application, requests: list[str]) -> None:
    assert requests[0] == "/spi/v3/candidates?limit=100"
    assert app.vacancy.code == "WK-GROOV005"
    assert (app.ats_system, app.ats_id) == ("workable", "c000003")
    assert app.recruiter.email == "eva@example.com"


def _workable_resumed(requests: list[str]) -> None:
    assert [q for q in requests if "since_id=" not in q] == ["/spi/v3/candidates?limit=100"]


def _workable_settings(settings: Settings) -> Settings:
    """Workable names no recruiter: the desk's default recruiter takes its applications."""
    return dataclasses.replace(
        settings, default_recruiter_email="Eva@Example.com", default_recruiter_name="Eva Jansen"
    )


def _set(attribute: str) -> Callable[[Any], None]:
    def refuse(fake: Any) -> None:
        setattr(fake, attribute, 2)

    return refuse


KITS = {
    "greenhouse": Kit(
        name="greenhouse",
        api_key=gh.API_KEY,
        record=gh.candidate,
        interview=lambda n: gh.candidate(n, "Face to Face", updated="2099-01-01"),
        fake=gh.FakeHarvest,
        serving=gh.serving,
        records=lambda fake: fake.candidates,
        refuse_second_page=_set("refuse_page"),
        stage="Phone Screen",
        title="Designer",
        since_filter="updated_after=",
        first_load=_greenhouse_first_load,
        resumed=_greenhouse_resumed,
    ),
    "lever": Kit(
        name="lever",
        api_key=fake_lever.API_KEY,
        record=fake_lever.opportunity,
        interview=lambda n: fake_lever.opportunity(
            n, "On-site Interview", updated=fake_lever.ms(1, 1, 2099)
        ),
        fake=fake_lever.FakeLever,
        serving=fake_lever.serving,
        records=lambda fake: fake.opportunities,
        refuse_second_page=_lever_refuse,
        stage="Phone Screen",
        title="Designer",
        since_filter="updated_at_start=",
        first_load=_lever_first_load,
        resumed=_lever_resumed,
    ),
    "recruitee": Kit(
        name="recruitee",
        api_key=rt.API_KEY,
        record=rt.candidate,
        interview=lambda n: rt.candidate(
            n, {"id": 103, "name": "Interview", "category": "interview"}, updated="2099-01-01"
        ),
        fake=rt.FakeRecruitee,
        serving=rt.serving,
        records=lambda fake: fake.candidates,
        refuse_second_page=_set("refuse_offset"),
        stage="Phone screen",
        title="Backend Developer",
        since_filter="updated_after=",
        first_load=_recruitee_first_load,
        resumed=_recruitee_resumed,
        extra=_recruitee_settings,
    ),
    "workable": Kit(
        name="workable",
        api_key=wk.API_KEY,
        record=wk.candidate,
        interview=lambda n: wk.candidate(n, "interview", updated="2099-01-01"),
        fake=wk.FakeWorkable,
        serving=wk.serving,
        records=lambda fake: fake.candidates,
        refuse_second_page=_workable_refuse,
        stage="Phone Screen",
        title="Designer",
        since_filter="updated_after=",
        first_load=_workable_first_load,
        resumed=_workable_resumed,
        extra=_workable_settings,
    ),
}


@contextlib.asynccontextmanager
async def served(kit: Kit, records: list[Any]) -> AsyncIterator[tuple[Any, str]]:
    fake = kit.fake(records)
    async with kit.serving(fake) as url:
        yield fake, url
