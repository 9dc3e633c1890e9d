"""The desk's review inbox, for admins only: applicants' messages the assistant may have
misread (ats/review.py), masked, with what the model thought and why each is here.

One click confirms the model's intent; a select of the assistant's intents corrects it;
*Discard* drops a message that is no example (gibberish, or personal data the masking missed).
A message's own page shows the conversation around it, read from the tracker only then and
masked as the message is. Every action is a POST with the session's CSRF token and leaves an
audit row naming the message by number. `helpdesk nlu export` turns the reviewed messages into
training examples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.masking import mask_personal_data
from ats.review import (
    CONFIRMED,
    CORRECTED,
    DISCARDED,
    ReviewItem,
    review_item,
    reviewed_not_exported,
    set_verdict,
    waiting_for_review,
)
from ats.settings import PROJECT_ROOT
from ats.store_basics import utcnow
from desk.escalations import audit
from desk.handoff import transcript
from desk.pages import language_of, render
from desk.privacy_pages import admins_only
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.catalogue import say

# turns shown before and after the message on its page
AROUND = 3
# Rasa's own intents, in every domain, that no applicant's message is given by an admin
# (out_of_scope is one of Rasa's too, and one of the assistant's: it stays)
RASA_INTENTS = {"back", "restart", "session_start", "nlu_fallback"}


@dataclass(frozen=True)
class Turn:
    """A line of the conversation around a message, masked."""

    at: datetime
    kind: str  # "applicant", "bot", "recruiter"
    text: str
    reviewed: bool = False  # the message under review


@functools.cache
def _domain_file_intents() -> tuple[str, ...]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(str(intent) for intent in domain.get("intents") or [])


def intents(agent: Any) -> list[str]:
    """The intents an admin may give a message: the loaded model's, else domain.yml's."""
    domain = getattr(agent, "domain", None)
    names = list(domain.intents) if domain is not None else list(_domain_file_intents())
    return sorted(name for name in names if name not in RASA_INTENTS)


def confidence(value: float) -> str:
    return f"{round(value * 100)}%"


async def around(agent: Any, item: ReviewItem) -> list[Turn]:
    """The turns before and after the message, masked; empty when the conversation is no
    longer held (erased, or another server's memory)."""
    lines = await transcript(agent, item.conversation_id)
    applicant = [i for i, line in enumerate(lines) if line.kind == "applicant"]
    if not applicant:
        return []
    wanted = item.message_at.timestamp()
    here = min(applicant, key=lambda i: abs(lines[i].at.timestamp() - wanted))
    return [
        Turn(line.at, line.kind, mask_personal_data(line.text), reviewed=index == here)
        for index, line in enumerate(lines)
        if here - AROUND <= index <= here + AROUND
    ]


def gone(request: Request, user: DeskUser) -> HTTPResponse:
    message = say("desk.review_gone", language_of(request))
    return render(request, "message.html", user, message=message, status=404)


def add_review_routes(desk: Blueprint) -> None:
    @desk.route("/review", methods=["GET"])
    @admins_only
    async def review_inbox(request: Request, user: DeskUser) -> HTTPResponse:
        store = DeskServices.get().store
        return render(
            request,
            "review.html",
            user,
            items=await waiting_for_review(store),
            to_export=await reviewed_not_exported(store),
            intents=intents(request.app.ctx.agent),
            confidence=confidence,
            done=request.args.get("done"),
        )

    @desk.route("/review/<item_id:int>", methods=["GET"])
    @admins_only
    async def review_message(request: Request, user: DeskUser, item_id: int) -> HTTPResponse:
        item = await review_item(DeskServices.get().store, item_id)
        if item is None:
            return gone(request, user)
        agent = request.app.ctx.agent
        return render(
            request,
            "review_message.html",
            user,
            item=item,
            turns=await around(agent, item),
            intents=intents(agent),
            confidence=confidence,
        )

    @desk.route("/review/<item_id:int>", methods=["POST"])
    @admins_only
    async def review_verdict(request: Request, user: DeskUser, item_id: int) -> HTTPResponse:
        store = DeskServices.get().store
        form = request.form or {}
        item = await review_item(store, item_id)
        if item is None:
            return gone(request, user)
        chosen = form.get("verdict") or ""
        intent: str | None = None
        if chosen == "confirm":
            verdict, intent = CONFIRMED, item.intent
        elif chosen == "correct":
            intent = form.get("intent") or ""
            if intent not in intents(request.app.ctx.agent):
                message = say("desk.review_bad_intent", language_of(request))
                return render(request, "message.html", user, message=message, status=400)
            verdict = CONFIRMED if intent == item.intent else CORRECTED
        elif chosen == "discard":
            verdict = DISCARDED
        else:
            message = say("desk.review_bad_verdict", language_of(request))
            return render(request, "message.html", user, message=message, status=400)
        if not await set_verdict(store, item_id, verdict, intent, utcnow()):
            return gone(request, user)
        detail = intent if verdict == CORRECTED and intent else ""
        await audit(store, user.email, f"review_{verdict}", f"review message {item_id}", detail)
        return response.redirect(f"/desk/review?done={item_id}")
