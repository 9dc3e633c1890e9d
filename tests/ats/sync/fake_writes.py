"""Local fakes of the write half of each ATS's API, as the vendors document it (see the module of
each writer in ats/sync/writeback/ for the calls and their sources): they check the
authentication and the acting user, hold each application's stage and state and change it as
the ATS would, and record every request (method, path with query, JSON body, auth headers).

`fail_next` answers the next requests with those statuses (the ATS down, rate limiting) before
anything else is looked at.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import free_port

GREENHOUSE_KEY = "harvest-test-key"
GREENHOUSE_USER = "4080"
LEVER_KEY = "lever-test-key"
LEVER_USER = "user-8d2f"
RECRUITEE_TOKEN = "recruitee-test-token"
RECRUITEE_COMPANY = "52"
WORKABLE_TOKEN = "workable-test-token"
WORKABLE_MEMBER = "13e0eb0e"


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    authorization: str | None
    on_behalf_of: str | None


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@dataclass
class FakeWrites:
    """What every fake shares: the requests seen, failures to answer first, serving."""

    requests: list[Seen] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    prefix: str = ""

    def writes(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.method != "GET"]

    @web.middleware
    async def record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        text = await request.text()
        body = json.loads(text) if text else None
        path = request.path_qs.removeprefix(self.prefix)
        self.requests.append(
            Seen(
                request.method,
                path,
                body,
                request.headers.get("Authorization"),
                request.headers.get("On-Behalf-Of"),
            )
        )
        if self.fail_next:
            return web.json_response({"error": "unavailable"}, status=self.fail_next.pop(0))
        if not self.authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        request["body"] = body or {}
        return await handler(request)

    def authorised(self, request: web.Request) -> bool:
        raise NotImplementedError

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError


@contextlib.asynccontextmanager
async def serving(fake: FakeWrites) -> AsyncIterator[str]:
    app = web.Application(middlewares=[fake.record])
    app.add_routes(fake.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}{fake.prefix}"
    finally:
        await runner.cleanup()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


@dataclass
class FakeGreenhouse(FakeWrites):
    """Harvest v1: applications with a current stage and a status, a job's stages, rejection
    reasons; writes need the On-Behalf-Of header."""

    prefix: str = "/v1"
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 1, "name": "Application Review"},
            {"id": 2, "name": "Phone Screen"},
            {"id": 3, "name": "Face to Face"},
            {"id": 4, "name": "Offer"},
        ]
    )
    notes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ats_id: str, job: int = 3485, stage: int = 1) -> None:
        current = next(s for s in self.stages if s["id"] == stage)
        self.applications[ats_id] = {
            "id": int(ats_id),
            "candidate_id": 700000 + int(ats_id) % 1000,
            "status": "active",
            "current_stage": dict(current),
            "jobs": [{"id": job, "name": "Designer"}],
            "rejection_reason": None,
        }

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == basic(GREENHOUSE_KEY)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/applications/{id}", self.application),
            web.get("/v1/jobs/{job}/stages", self.job_stages),
            web.get("/v1/rejection_reasons", self.reasons),
            web.post("/v1/applications/{id}/move", self.move),
            web.post("/v1/applications/{id}/reject", self.reject),
            web.post("/v1/applications/{id}/unreject", self.unreject),
            web.post("/v1/candidates/{id}/activity_feed/notes", self.note),
        ]

    async def application(self, request: web.Request) -> web.Response:
        found = self.applications.get(request.match_info["id"])
        return web.json_response(found) if found else _error(404, "Resource not found")

    async def job_stages(self, request: web.Request) -> web.Response:
        return web.json_response(self.stages)

    async def reasons(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "id": 11,
                    "name": "Lacking skill(s)",
                    "type": {"id": 1, "name": "We rejected them"},
                },
                {
                    "id": 12,
                    "name": "Took another offer",
                    "type": {"id": 2, "name": "They rejected us"},
                },
            ]
        )

    def _writable(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not request.headers.get("On-Behalf-Of"):
            return _error(403, "Missing On-Behalf-Of user ID")
        found = self.applications.get(request.match_info["id"])
        return found if found else _error(404, "Resource not found")

    async def move(self, request: web.Request) -> web.Response:
        app = self._writable(request)
        if isinstance(app, web.Response):
            return app
        body = request["body"]
        if body.get("from_stage_id") != app["current_stage"]["id"]:
            return _error(422, "from_stage_id is not the application's current stage")
        if app["status"] != "active":
            return _error(422, "Only active applications can be moved")
        target = next((s for s in self.stages if s["id"] == body.get("to_stage_id")), None)
        if target is None:
            return _error(422, "to_stage_id is not a stage of this job")
        app["current_stage"] = dict(target)
        return web.json_response({"message": f"Application {app['id']} moved"})

    async def reject(self, request: web.Request) -> web.Response:
        app = self._writable(request)
        if isinstance(app, web.Response):
            return app
        if request["body"].get("rejection_reason_id") not in (11, 12):
            return _error(422, "rejection_reason_id is invalid")
        app["status"] = "rejected"
        return web.json_response(app)

    async def unreject(self, request: web.Request) -> web.Response:
        app = self._writable(request)
        if isinstance(app, web.Response):
            return app
        app["status"] = "active"
        return web.json_response(app)

    async def note(self, request: web.Request) -> web.Response:
        if not request.headers.get("On-Behalf-Of"):
            return _error(403, "Missing On-Behalf-Of user ID")
        self.notes.append(request["body"])
        return web.json_response({"id": len(self.notes), **request["body"]}, status=201)


@dataclass
class FakeLever(FakeWrites):
    """Lever: opportunities with a stage and an archived state, the account's stages and archive
    reasons; writes need `perform_as`."""

    prefix: str = "/v1"
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "stage-new", "text": "New applicant"},
            {"id": "stage-phone-screen", "text": "Phone Screen"},
            {"id": "stage-on-site-interview", "text": "On-site Interview"},
            {"id": "stage-offer", "text": "Offer"},
        ]
    )
    notes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ats_id: str, stage: str = "stage-new") -> None:
        self.opportunities[ats_id] = {"id": ats_id, "stage": stage, "archived": None}

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == basic(LEVER_KEY)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/opportunities/{id}", self.opportunity),
            web.get("/v1/stages", self.list_stages),
            web.get("/v1/archive_reasons", self.reasons),
            web.put("/v1/opportunities/{id}/stage", self.stage),
            web.put("/v1/opportunities/{id}/archived", self.archive),
            web.post("/v1/opportunities/{id}/notes", self.note),
        ]

    def _writable(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not request.query.get("perform_as"):
            return _error(400, "perform_as is required")
        found = self.opportunities.get(request.match_info["id"])
        return found if found else _error(404, "Opportunity not found")

    async def opportunity(self, request: web.Request) -> web.Response:
        found = self.opportunities.get(request.match_info["id"])
        return web.json_response({"data": found}) if found else _error(404, "Not found")

    async def list_stages(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.stages})

    async def reasons(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [
                    {"id": "ar-hired", "text": "Hired", "status": "active", "type": "hired"},
                    {"id": "ar-under", "text": "Underqualified", "type": "non-hired"},
                    {"id": "ar-withdrew", "text": "Candidate withdrew", "type": "non-hired"},
                ]
            }
        )

    async def stage(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        if found["archived"]:
            return _error(400, "Archived opportunities cannot change stage")
        if request["body"].get("stage") not in {s["id"] for s in self.stages}:
            return _error(400, "Unknown stage")
        found["stage"] = request["body"]["stage"]
        return web.json_response({"data": found})

    async def archive(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        reason = request["body"].get("reason", "missing")
        if reason not in (None, "ar-hired", "ar-under", "ar-withdrew"):
            return _error(400, "Unknown archive reason")
        found["archived"] = {"reason": reason} if reason else None
        return web.json_response({"data": found})

    async def note(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        self.notes.append(request["body"])
        return web.json_response({"data": {"noteId": str(len(self.notes))}})


@dataclass
class FakeRecruitee(FakeWrites):
    """Recruitee: placements on an offer's pipeline, disqualify reasons, notes; a Bearer
    token."""

    placements: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 101, "name": "Applied", "category": "apply"},
            {"id": 102, "name": "Phone screen", "category": "phone_screen"},
            {"id": 103, "name": "Interview", "category": "interview"},
            {"id": 104, "name": "Offer", "category": "offer"},
            {"id": 105, "name": "Hired", "category": "hire"},
        ]
    )
    notes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ats_id: str, stage: int = 101) -> None:
        self.placements[ats_id] = {"id": int(ats_id), "stage_id": stage, "disqualified": None}

    def authorised(self, request: web.Request) -> bool:
        known = request.match_info.get("company") == RECRUITEE_COMPANY
        return known and request.headers.get("Authorization") == f"Bearer {RECRUITEE_TOKEN}"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/c/{company}/offers/{offer}", self.offer),
            web.get("/c/{company}/disqualify_reasons", self.reasons),
            web.patch("/c/{company}/placements/{id}/change_stage", self.change_stage),
            web.patch("/c/{company}/placements/{id}/disqualify", self.disqualify),
            web.post("/c/{company}/notes", self.note),
        ]

    async def offer(self, request: web.Request) -> web.Response:
        offer = {"id": int(request.match_info["offer"]), "title": "Designer"}
        return web.json_response({"offer": {**offer, "pipeline_template": {"stages": self.stages}}})

    async def reasons(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "disqualify_reasons": [
                    {"id": 1, "name": "Not a good fit"},
                    {"id": 2, "name": "Withdrew"},
                ]
            }
        )

    async def change_stage(self, request: web.Request) -> web.Response:
        found = self.placements.get(request.match_info["id"])
        if found is None:
            return _error(404, "Placement not found")
        if request["body"].get("stage_id") not in {s["id"] for s in self.stages}:
            return _error(422, "Unknown stage")
        found["stage_id"] = request["body"]["stage_id"]
        return web.json_response({"placement": found})

    async def disqualify(self, request: web.Request) -> web.Response:
        found = self.placements.get(request.match_info["id"])
        if found is None:
            return _error(404, "Placement not found")
        if request["body"].get("disqualify_reason_id") not in (1, 2):
            return _error(422, "Unknown disqualify reason")
        found["disqualified"] = request["body"]["disqualify_reason_id"]
        return web.json_response({"placement": found})

    async def note(self, request: web.Request) -> web.Response:
        body = request["body"].get("note") or {}
        if not body.get("body"):
            return _error(422, "A note needs a body")
        self.notes.append(body)
        return web.json_response({"note": {"id": len(self.notes), **body}}, status=201)


@dataclass
class FakeWorkable(FakeWrites):
    """Workable SPI v3: candidates with a stage slug, a job's stages, comments; a Bearer token,
    and `member_id` in every write."""

    prefix: str = "/spi/v3"
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"slug": "applied", "name": "Applied", "kind": "applied", "position": 0},
            {"slug": "phone-screen", "name": "Phone Screen", "kind": "phone_screen", "position": 1},
            {"slug": "interview", "name": "Interview", "kind": "interview", "position": 2},
            {"slug": "offer", "name": "Offer", "kind": "offer", "position": 3},
            {"slug": "hired", "name": "Hired", "kind": "hired", "position": 4},
        ]
    )
    comments: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ats_id: str, stage: str = "applied") -> None:
        self.candidates[ats_id] = {"id": ats_id, "stage": stage, "disqualified": False}

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {WORKABLE_TOKEN}"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/spi/v3/jobs/{shortcode}/stages", self.job_stages),
            web.post("/spi/v3/candidates/{id}/move", self.move),
            web.post("/spi/v3/candidates/{id}/disqualify", self.disqualify),
            web.post("/spi/v3/candidates/{id}/revert", self.revert),
            web.post("/spi/v3/candidates/{id}/comments", self.comment),
        ]

    def _writable(self, request: web.Request) -> dict[str, Any] | web.Response:
        if request["body"].get("member_id") != WORKABLE_MEMBER:
            return _error(422, "member_id is not a member of the account")
        found = self.candidates.get(request.match_info["id"])
        return found if found else _error(404, "Not found")

    async def job_stages(self, request: web.Request) -> web.Response:
        return web.json_response({"stages": self.stages})

    async def move(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        if request["body"].get("target_stage") not in {s["slug"] for s in self.stages}:
            return _error(422, "Unknown stage")
        found["stage"] = request["body"]["target_stage"]
        return web.Response(status=200)

    async def disqualify(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        found["disqualified"] = True
        return web.Response(status=200)

    async def revert(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        found["disqualified"] = False
        return web.Response(status=200)

    async def comment(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        self.comments.append(request["body"]["comment"])
        return web.json_response({"id": str(len(self.comments))}, status=201)
