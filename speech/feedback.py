"""The feedback question's buttons as every channel shows them: five, 1 to 5, whose
payload is the bare digit (the same as typing it), so that the web chat, Telegram and WhatsApp
(a list message there: Meta allows three reply buttons) send what the dialogue reads as a
score (dialogue/feedback.py), whatever the language model makes of it."""

from __future__ import annotations

import re

from speech.catalogue import catalogue

# after a resolved hand-over, at the end of the message that says the recruiter left
HANDOVER_QUESTION = "conversation.feedback_question_handover"
SCORES = "conversation.feedback_scores"
# "4", "4/5", "4 out of 5", "4 van de 5", "4 - very", "⭐⭐⭐⭐"; nothing longer counts
SCORE = re.compile(
    r"\s*([1-5])\s*(?:(?:/|out of|of|van de|van|uit)\s*5)?\s*(?:[-–—:]\s*[^\d]{0,24})?[.!]*\s*",
    re.IGNORECASE,
)
STARS = re.compile(r"\s*((?:⭐|★){1,5})\s*")


def score_buttons(language: str) -> list[dict[str, str]]:
    titles = catalogue().choices(SCORES, language)
    return [{"title": title, "payload": str(n)} for n, title in enumerate(titles, start=1)]


def score_in(text: str | None) -> int | None:
    """The score a message gives, or None when it is anything else (a question, a comment)."""
    if not text:
        return None
    digits = SCORE.fullmatch(text)
    if digits:
        return int(digits.group(1))
    stars = STARS.fullmatch(text)
    return len(stars.group(1)) if stars else None
