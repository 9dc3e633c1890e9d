"""Which messages the language model may have misread, noticed as each is answered, for the
desk's review inbox (ats/review.py keeps them masked).

The action server already holds the whole conversation for each message it answers, so
noticing costs no extra tracker load: a few comparisons on the events it was sent, and a
database write only for a message it keeps. A message is kept when:

- the model was less sure of its intent than `HELPDESK_REVIEW_CONFIDENCE`;
- it fell back (the model's `nlu_fallback`, or no rule for the turn): its best guess is kept;
- the applicant asked for a person right after the bot answered: the message the bot answered
  is kept (the answer may have been to the wrong question);
- the applicant said the same again.

Answers to the bot's free-text questions (a name, an address, a vacancy) and to its feedback
question (a score, a comment) are never kept: the flow reads them by their words, not their
intent, and a name cannot be masked reliably.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from ats.privacy.keys import ErasureKeys
from ats.review import (
    FALLBACK,
    HUMAN_AFTER_ANSWER,
    LOW_CONFIDENCE,
    REPEATED,
    Noticed,
    keep_for_review,
)
from ats.services import Services
from ats.store_basics import utcnow
from dialogue.identity import channel_of
from dialogue.states import FEEDBACK, FREE_TEXT

logger = logging.getLogger(__name__)

NLU_FALLBACK = "nlu_fallback"
# asking for a person after an answer says the answer did not help; a complaint says more
HUMAN = "request_human"
# the same words again, give or take a typo: the first time was not understood
SAME_WORDS = 0.85
SHORTEST_REPEAT = 8  # "hi", "yes" and "hello??" are said twice without being misread
LONGEST_COMPARED = 300
_WORD = re.compile(r"\w+")
# one set of keyed hashes per secret key (deriving the key costs more than hashing)
_keys: dict[bytes | str | None, ErasureKeys] = {}


@dataclass(frozen=True)
class Said:
    """An applicant's message as the tracker's events hold it."""

    text: str
    at: float
    intent: str
    confidence: float
    awaiting: str | None = None  # what the bot waited for when it came (the slot)

    @classmethod
    def of(cls, event: dict[str, Any], awaiting: str | None = None) -> Said:
        parse = event.get("parse_data") or {}
        intent, confidence = best_guess(parse)
        return cls(
            text=(event.get("text") or "").strip(),
            at=float(event.get("timestamp") or 0),
            intent=intent,
            confidence=confidence,
            awaiting=awaiting,
        )

    @property
    def reviewable(self) -> bool:
        """A message of the applicant's own words, not a button's payload or a free-text
        answer, and one the model gave an intent."""
        return (
            bool(self.text)
            and not self.text.startswith("/")
            and bool(self.intent)
            and self.awaiting not in FREE_TEXT
            and self.awaiting not in FEEDBACK
        )


def best_guess(parse: dict[str, Any]) -> tuple[str, float]:
    """What the model thought: its intent and confidence, or under `nlu_fallback` the intent it
    ranked first before falling back."""
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0)
    if name == NLU_FALLBACK:
        for ranked in parse.get("intent_ranking") or []:
            if ranked.get("name") and ranked.get("name") != NLU_FALLBACK:
                return str(ranked["name"]), float(ranked.get("confidence") or 0)
    return name, confidence


def _slot_before(events: list[dict[str, Any]], index: int, slot: str) -> str | None:
    """The slot's value as it was when the event at `index` came."""
    for event in reversed(events[:index]):
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
            return str(value) if value is not None else None
    return None


def _previous(events: list[dict[str, Any]]) -> tuple[Said | None, bool]:
    """The applicant's message before this one in this session (what a fallback reverted left
    out), and whether the bot said anything after it."""
    current_seen = answered = False
    reverted = 0
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            break
        if kind == "rewind":
            reverted += 1
        elif kind == "bot" and current_seen:
            answered = True
        elif kind == "user":
            if reverted:
                reverted -= 1
            elif not current_seen:
                current_seen = True
            else:
                return Said.of(event, _slot_before(events, index, "awaiting")), answered
    return None, False


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))[:LONGEST_COMPARED]


def said_again(now: str, before: str) -> bool:
    """The same message again (any case, punctuation, or a small typo)."""
    a, b = _words(now), _words(before)
    if len(a) < SHORTEST_REPEAT or len(b) < SHORTEST_REPEAT:
        return False
    if a == b:
        return True
    # the cheap upper bounds first: most messages differ at a glance, and CPU per message counts
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return (
        matcher.real_quick_ratio() >= SAME_WORDS
        and matcher.quick_ratio() >= SAME_WORDS
        and matcher.ratio() >= SAME_WORDS
    )


def worth_reviewing(
    tracker: Tracker, threshold: float, *, fell_back: bool = False
) -> list[tuple[Said, str]]:
    """The messages of this turn to review and why: this one, or the one the bot answered
    before the applicant asked for a person. Reads only what the action was sent."""
    events = tracker.events or []
    latest = tracker.latest_message or {}
    last_user = next((e for e in reversed(events) if e.get("event") == "user"), None)
    current = Said.of(
        {**(last_user or {}), "text": latest.get("text"), "parse_data": latest},
        tracker.get_slot("awaiting"),
    )
    if not current.reviewable:
        return []
    found: list[tuple[Said, str]] = []
    if fell_back or (latest.get("intent") or {}).get("name") == NLU_FALLBACK:
        found.append((current, FALLBACK))
    elif current.confidence < threshold:
        found.append((current, LOW_CONFIDENCE))
    previous, answered = _previous(events)
    if previous is not None and previous.reviewable:
        if current.intent == HUMAN and answered and previous.intent != HUMAN:
            found.append((previous, HUMAN_AFTER_ANSWER))
        elif not found and said_again(current.text, previous.text):
            found.append((current, REPEATED))
    return found


def _keys_for(services: Services) -> ErasureKeys:
    secret = services.settings.secret_key
    if secret not in _keys:
        _keys[secret] = ErasureKeys.of(services.settings)
    return _keys[secret]


def notice_for_review(
    tracker: Tracker, services: Services, language: str | None, *, fell_back: bool = False
) -> None:
    """Keeps this turn's messages worth reviewing, in the background: call it before the turn
    changes the slots. A failure only costs the review inbox a message, never the applicant
    their answer, and the reply never waits for it."""
    try:
        found = worth_reviewing(tracker, services.settings.review_confidence, fell_back=fell_back)
        if not found:
            return
        conversation_hash = _keys_for(services).conversation(tracker.sender_id)
        channel = channel_of(tracker) or None
    except Exception as error:  # the conversation id is a web chat's secret: never logged
        logger.warning("a message for the review inbox was not noticed (%s)", type(error).__name__)
        return
    noticed = [
        Noticed(
            conversation_id=tracker.sender_id,
            conversation_hash=conversation_hash,
            message_at=datetime.fromtimestamp(said.at, timezone.utc),
            text=said.text,
            intent=said.intent,
            confidence=said.confidence,
            reason=reason,
            channel=channel,
            language=language,
        )
        for said, reason in found
    ]
    services.in_background(_keep(services, noticed), "keeping a message for the review inbox")


async def _keep(services: Services, noticed: list[Noticed]) -> None:
    for message in noticed:
        await keep_for_review(services.store, message, utcnow())
