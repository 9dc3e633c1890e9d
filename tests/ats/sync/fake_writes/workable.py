"""Workable SPI v3's write calls, faked (ats/sync/writeback/workable.py has the calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.ats.sync.fake_writes.base import WORKABLE_MEMBER, WORKABLE_TOKEN, FakeWrites, error


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
            return error(422, "member_id is not a member of the account")
        found = self.candidates.get(request.match_info["id"])
        return found if found else error(404, "Not found")

    async def job_stages(self, request: web.Request) -> web.Response:
        return web.json_response({"stages": self.stages})

    async def move(self, request: web.Request) -> web.Response:
        found = self._writable(request)
        if isinstance(found, web.Response):
            return found
        if request["body"].get("target_stage") not in {s["slug"] for s in self.stages}:
            return error(422, "Unknown stage")
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
