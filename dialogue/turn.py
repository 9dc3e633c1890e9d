"""One run of an action: who is talking, in which language, what they said, what to answer.

The language of the reply is settled first (an explicit request, then the channel's language,
then the message's own words); `identity` is what the conversation has proven, as the server
knows it (dialogue/identity.py): the slots are the conversation's own notes and prove nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from ats.records import RecruiterRecord
from ats.reference import InvalidReference, parse_reference
from ats.services import Services
from dialogue.identity import Identity, channel_of, client_of
from dialogue.states import FEEDBACK, FREE_TEXT
from speech.catalogue import say
from speech.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    detect_language,
    language_of_locale,
    requested_language,
)

# bounded like real addresses (RFC 5321 limits), so that a long message cannot make the search
# take time growing with the square of its length
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")


def chosen_language(tracker: Tracker) -> str | None:
    """The language this message asks for: by name in its words, or by a language button."""
    message = tracker.latest_message or {}
    for entity in message.get("entities") or []:
        if entity.get("entity") == "language_choice" and entity.get("value") in LANGUAGES:
            return entity["value"]
    return requested_language(message.get("text") or "")


def settle_language(tracker: Tracker) -> tuple[str, list[EventType]]:
    """The language to answer this message in, and the slot events that remember it."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    current = tracker.get_slot("language")
    asked = chosen_language(tracker)
    if asked:
        return asked, [SlotSet("language", asked), SlotSet("language_pinned", True)]
    if tracker.get_slot("language_pinned") and current:
        return current, []
    if tracker.get_slot("awaiting") in FREE_TEXT | FEEDBACK and current:
        # "Mark de Boer" is a name, not a switch to Dutch; a score of "4" has no language
        return current, []
    metadata = message.get("metadata") or {}
    # The channel's hint (the web page's language, the Telegram app's, a WhatsApp number's
    # country) is not what the applicant writes: words that clearly favour a language outvote
    # it, and a conversation keeps its language through short replies ("ok", a code, an
    # address) rather than falling back to the hint each time.
    hint = language_of_locale(metadata.get("language"))
    language = (
        # a button's or command's payload ("/greet{...}") has no words to go by
        (None if text.startswith("/") else detect_language(text, 2 if hint else 1))
        or current
        or hint
        or DEFAULT_LANGUAGE
    )
    return language, ([] if language == current else [SlotSet("language", language)])


@dataclass
class Turn:
    """One run of an action: who is talking, in which language, and what to send back.

    `identity` is what the conversation has proven, as the server knows it (dialogue/identity.py);
    the slots are the conversation's own notes and prove nothing.
    """

    tracker: Tracker
    dispatcher: CollectingDispatcher
    language: str
    services: Services
    events: list[EventType] = field(default_factory=list)
    identity: Identity = field(default_factory=Identity)

    @property
    def intent(self) -> str | None:
        return (self.tracker.latest_message.get("intent") or {}).get("name")

    @property
    def text(self) -> str:
        return (self.tracker.latest_message.get("text") or "").strip()

    @property
    def conversation_id(self) -> str:
        return self.tracker.sender_id

    @property
    def channel(self) -> str:
        return channel_of(self.tracker)

    @property
    def client(self) -> str:
        return client_of(self.tracker)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self.events.append(SlotSet(name, value))
        # later reads in this same turn see the new value
        self.tracker.slots[name] = value

    def entity(self, name: str) -> str | None:
        values = [
            e.get("value")
            for e in self.tracker.latest_message.get("entities") or []
            if e.get("entity") == name and e.get("value")
        ]
        return str(values[-1]).strip() if values else None

    def reference(self) -> str | None:
        """A reference in this message, in its canonical form (typos like O for 0 allowed)."""
        for candidate in [self.entity("reference"), self.text]:
            if not candidate:
                continue
            try:
                return parse_reference(candidate, lenient=True)
            except InvalidReference:
                continue
        return None

    def text_for(self, key: str, **values: object) -> str:
        """A text of the catalogue's conversation area ("greet" is conversation.greet) in this
        turn's language, to build a reply from."""
        return say(f"conversation.{key}", self.language, **values)

    def say(self, key: str, buttons: list[dict] | None = None, **values: object) -> None:
        text = self.text_for(key, **values)
        # a message starts with a capital, also when it starts with "a recruiter"
        self.dispatcher.utter_message(text=text[:1].upper() + text[1:], buttons=buttons)

    def recruiter_name(self, recruiter: RecruiterRecord) -> str:
        """How the applicant hears of a recruiter: by name, or "a recruiter" while they have
        given none (an account made without one holds its address)."""
        return recruiter.shown_name or self.text_for("a_recruiter")

    def verified(self) -> list[str]:
        """The applications this conversation has proven (never read from its slots)."""
        return list(self.identity.references)

    def proven(self, references: tuple[str, ...], email: str) -> None:
        """A code typed in this turn proved these applications."""
        merged = tuple(sorted(set(self.identity.references) | set(references)))
        self.identity = Identity(merged, email, self.identity.careers_refused)


def careers_notice(turn: Turn) -> str | None:
    """A careers-site login the channel refused is said once per reason, not under every
    answer of the conversation; then the applicant proves who they are with a code."""
    refused = turn.identity.careers_refused
    if refused and turn.slot("careers_session_notice") != refused:
        turn.set("careers_session_notice", refused)
        return "careers_session_refused"
    return None
