"""Lever's write calls, faked (ats/sync/writeback/lever.py has the calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.ats.sync.fake_writes.base import LEVER_KEY, FakeWrites, basic, error


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
            return error(400, "perform_as is required")
        found = self.opportunities.get(request.match_info["id"])
        return found if found else error(404, "Opportunity not found")

    async def opportunity(self, request: web.Request) -> web.Response:
        found = self.opportunities.get(request.match_info["id"])
        return web.json_response({"data": found}) if found else error(404, "Not found")

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
            return error(400, "Archived opportunities cannot change stage")
        if request["body"].get("stage") not in {s["id"] for s in self.stages}:
            return error(400, "Unknown stage")
        found["stage"] = request["body"]["stage"]
        return web.json_response({"data": found})

    async def archive(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        reason = request["body"].get("reason", "missing")
        if reason not in (None, "ar-hired", "ar-under", "ar-withdrew"):
            return error(400, "Unknown archive reason")
        found["archived"] = {"reason": reason} if reason else None
        return web.json_response({"data": found})

    async def note(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        self.notes.append(request["body"])
        return web.json_response({"data": {"noteId": str(len(self.notes))}})
