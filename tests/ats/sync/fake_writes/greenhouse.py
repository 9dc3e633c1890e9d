"""Greenhouse Harvest v1's write calls, faked (ats/sync/writeback/greenhouse.py has the calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.ats.sync.fake_writes.base import GREENHOUSE_KEY, FakeWrites, basic, error


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
        return web.json_response(found) if found else error(404, "Resource not found")

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
            return error(403, "Missing On-Behalf-Of user ID")
        found = self.applications.get(request.match_info["id"])
        return found if found else error(404, "Resource not found")

    async def move(self, request: web.Request) -> web.Response:
        app = self._writable(request)
        if isinstance(app, web.Response):
            return app
        body = request["body"]
        if body.get("from_stage_id") != app["current_stage"]["id"]:
            return error(422, "from_stage_id is not the application's current stage")
        if app["status"] != "active":
            return error(422, "Only active applications can be moved")
        target = next((s for s in self.stages if s["id"] == body.get("to_stage_id")), None)
        if target is None:
            return error(422, "to_stage_id is not a stage of this job")
        app["current_stage"] = dict(target)
        return web.json_response({"message": f"Application {app['id']} moved"})

    async def reject(self, request: web.Request) -> web.Response:
        app = self._writable(request)
        if isinstance(app, web.Response):
            return app
        if request["body"].get("rejection_reason_id") not in (11, 12):
            return error(422, "rejection_reason_id is invalid")
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
            return error(403, "Missing On-Behalf-Of user ID")
        self.notes.append(request["body"])
        return web.json_response({"id": len(self.notes), **request["body"]}, status=201)
