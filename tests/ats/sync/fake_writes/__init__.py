"""Local fakes of the write half of each ATS's API, as the vendors document it (see the module of
each writer in ats/sync/writeback/ for the calls and their sources): they check the
authentication and the acting user, hold each application's stage and state and change it as
the ATS would, and record every request (method, path with query, JSON body, auth headers).

`fail_next` answers the next requests with those statuses (the ATS down, rate limiting) before
anything else is looked at.
"""

from tests.ats.sync.fake_writes.base import (
    GREENHOUSE_KEY,
    GREENHOUSE_USER,
    LEVER_KEY,
    LEVER_USER,
    RECRUITEE_COMPANY,
    RECRUITEE_TOKEN,
    WORKABLE_MEMBER,
    WORKABLE_TOKEN,
    FakeWrites,
    Seen,
    basic,
    serving,
)
from tests.ats.sync.fake_writes.greenhouse import FakeGreenhouse
from tests.ats.sync.fake_writes.lever import FakeLever
from tests.ats.sync.fake_writes.recruitee import FakeRecruitee
from tests.ats.sync.fake_writes.workable import FakeWorkable

__all__ = [
    "GREENHOUSE_KEY",
    "GREENHOUSE_USER",
    "LEVER_KEY",
    "LEVER_USER",
    "RECRUITEE_COMPANY",
    "RECRUITEE_TOKEN",
    "WORKABLE_MEMBER",
    "WORKABLE_TOKEN",
    "FakeGreenhouse",
    "FakeLever",
    "FakeRecruitee",
    "FakeWorkable",
    "FakeWrites",
    "Seen",
    "basic",
    "serving",
]
