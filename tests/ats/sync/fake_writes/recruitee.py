"""Recruitee's write calls, faked (ats/sync/writeback/recruitee.py has the calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.ats.sync.fake_writes.base import RECRUITEE_COMPANY, RECRUITEE_TOKEN, FakeWrites, error


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
            return error(404, "Placement not found")
        if request["body"].get("stage_id") not in {s["id"] for s in self.stages}:
            return error(422, "Unknown stage")
        found["stage_id"] = request["body"]["stage_id"]
        return web.json_response({"placement": found})

    async def disqualify(self, request: web.Request) -> web.Response:
        found = self.placements.get(request.match_info["id"])
        if found is None:
            return error(404, "Placement not found")
        if request["body"].get("disqualify_reason_id") not in (1, 2):
            return error(422, "Unknown disqualify reason")
        found["disqualified"] = request["body"]["disqualify_reason_id"]
        return web.json_response({"placement": found})

    async def note(self, request: web.Request) -> web.Response:
        body = request["body"].get("note") or {}
        if not body.get("body"):
            return error(422, "A note needs a body")
        self.notes.append(body)
        return web.json_response({"note": {"id": len(self.notes), **body}}, status=201)
