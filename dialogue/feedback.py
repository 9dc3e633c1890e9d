"""Candidate feedback in the conversation: "how helpful was this?" after a status answer, when
the applicant thanks the bot or says goodbye (never before the answer), at most once a week
(ats/feedback.py); then their score, and a comment if they like.

The question's answer is read by its words (speech/feedback.py), not by the language model:
"4" or "4/5" is a score whatever intent it looks like, and anything else (a new question) goes
on as if nothing had been asked. The comment is any text but a question of the help desk's own
kind ("where is my application?", asking for a person), which is answered instead; "no" is no
comment. The hand-over's question is asked by the desk when a recruiter resolves the chat
(desk/handoff.py); its answer is read here the same way.
"""

from __future__ import annotations

from ats.feedback import Asking, ask, record_comment, record_score
from dialogue.states import Awaiting
from dialogue.turn import Turn
from speech.feedback import score_buttons, score_in

# set by a status answer; cleared once the question was asked (or not, being too soon)
DUE = "feedback_due"
# asking for something: never a comment, whatever it says
REQUESTS = {"request_human", "privacy_request", "switch_language", "forget_chat"}
# questions the help desk answers: not a comment when the message is put as a question (a
# comment may praise or blame the status answer in words the model takes for a status question)
QUESTIONS = {"check_status", "ask_timeline", "ask_process", "withdraw_application"}
QUESTION_WORDS = {
    "where", "when", "what", "how", "why", "who", "which", "can", "could", "is", "are", "do",
    "does", "did", "will", "would", "have", "has", "any",
    "waar", "wanneer", "wat", "hoe", "waarom", "wie", "welke", "kan", "kun", "kunt", "kunnen",
    "zijn", "heb", "hebben", "heeft", "wordt", "word", "krijg", "komt", "nog",
}  # fmt: skip
NO = {"no", "nope", "no thanks", "no thank you", "nee", "nee dank je", "nee bedankt", "nah"}


def status_answered(turn: Turn) -> None:
    """A status answer was given: the applicant may be asked how helpful it was when they
    close the conversation."""
    turn.set(DUE, "status")


async def due(turn: Turn) -> bool:
    """After a status answer, unless something else is being asked: whether to ask now (this
    applicant was not asked in the past week); the asking is recorded. Then `ask_question`."""
    if turn.slot(DUE) != "status" or turn.slot("awaiting"):
        return False
    turn.set(DUE, None)
    asked = await ask(
        turn.services.store,
        turn.services.settings,
        Asking(
            "status",
            turn.conversation_id,
            turn.identity.email or turn.conversation_id,
            channel=turn.channel,
            language=turn.language,
        ),
    )
    return asked is not None


def ask_question(turn: Turn) -> None:
    turn.set("awaiting", Awaiting.FEEDBACK_SCORE.value)
    turn.say("feedback_question", buttons=score_buttons(turn.language))


async def answer_feedback(turn: Turn) -> bool:
    """The applicant's answer to the question or to the comment offer; False when this message
    is something else, to be handled as usual (the question is then dropped)."""
    awaiting = turn.slot("awaiting")
    store, conversation = turn.services.store, turn.conversation_id
    if awaiting == Awaiting.FEEDBACK_SCORE:
        turn.set("awaiting", None)
        score = score_in(turn.text)
        if score is None or not await record_score(store, conversation, score):
            return False
        turn.set("awaiting", Awaiting.FEEDBACK_COMMENT.value)
        turn.say("feedback_ask_comment")
        return True
    if awaiting == Awaiting.FEEDBACK_COMMENT:
        turn.set("awaiting", None)
        text = (turn.text or "").strip()
        if not text or text.startswith("/") or not is_a_comment(turn, text):
            return False
        if turn.intent == "deny" or text.casefold().strip(" .!") in NO:
            turn.say("feedback_no_comment")
            return True
        if not await record_comment(store, conversation, text):
            return False
        turn.say("feedback_comment_thanks")
        return True
    return False


def is_a_comment(turn: Turn, text: str) -> bool:
    """A message after "anything to add?" is a comment unless it asks for something, gives a
    detail to verify with, or is a question of the kind the help desk answers."""
    if turn.intent in REQUESTS or turn.reference() or turn.entity("email"):
        return False
    words = text.casefold().split()
    asked = "?" in text or (bool(words) and words[0].strip(",.!") in QUESTION_WORDS)
    return not (asked and turn.intent in QUESTIONS)
