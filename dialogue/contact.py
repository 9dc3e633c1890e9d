"""The contact details of someone handed to a recruiter without proving who they are: their
name, an address to reach them, the vacancy, asked one at a time.

Each answer is checked and asked again politely when it is not what was asked (a greeting or
a question is not a name; an email answer must be an address, or "no"). A reference or an
address offered at any point, out of order or in the request itself, is taken and never
asked for again. What is given goes onto the escalation at once; the recruiter's alert, held
since the request (dialogue/escalation.py), goes out when the last detail is in.
"""

from __future__ import annotations

import re

from ats.models import EscalationReason
from ats.records import EscalationRecord
from ats.reference import InvalidReference, parse_reference
from dialogue.escalation import add_contact_details, escalate_unverified, when
from dialogue.states import Awaiting
from dialogue.turn import EMAIL, Turn
from speech.catalogue import say

# Words that make a message something other than a name: greetings, calls for attention,
# yes and no (in English and Dutch).
NOT_A_NAME = re.compile(
    r"\b(hello|hallo|hi|hey|hoi|anyone|anybody|someone|iemand|there|daar|help|bot|human|"
    r"person|persoon|mens|yes|no|ja|nee|ok|oke|oké|thanks|bedankt|please|graag|what|wat)\b",
    re.IGNORECASE,
)
NAME_INTRO = re.compile(r"^\s*(my name is|i am|i'm|mijn naam is|ik ben|ik heet)\s+", re.I)
# a reference inside a sentence, any case or spacing ("about ap-h4nt 6kyd, please")
REFERENCE_IN_TEXT = re.compile(r"\bAP[\s._-]*[0-9A-Z]{4}[\s._-]*[0-9A-Z]{4}\b", re.IGNORECASE)
ORDER = (Awaiting.CONTACT_NAME, Awaiting.CONTACT_EMAIL, Awaiting.CONTACT_VACANCY)


def name_in(text: str) -> str | None:
    """The name in an answer to "what is your name?", or None when it is not one."""
    name = NAME_INTRO.sub("", text).strip(" .!,")
    if not name or len(name) > 80 or len(name.split()) > 5:
        return None
    if any(c in name for c in "?@") or any(c.isdigit() for c in name):
        return None
    if NOT_A_NAME.search(name) or not any(c.isalpha() for c in name):
        return None
    return name


def take_offered(turn: Turn) -> dict[str, str]:
    """A reference or an address in this message, whatever was asked: remembered for the
    rest of the conversation and returned to be written onto the escalation."""
    offered: dict[str, str] = {}
    reference = turn.reference()
    for found in [] if reference else REFERENCE_IN_TEXT.findall(turn.text):
        try:
            reference = parse_reference(found, lenient=True)
            break
        except InvalidReference:
            continue
    if reference:
        turn.set("pending_reference", reference)
        offered["given_reference"] = reference
    email = turn.entity("email") or next(iter(EMAIL.findall(turn.text)), None)
    if email:
        turn.set("pending_email", email.lower())
        offered["applicant_email"] = email.lower()
    return offered


def next_question(turn: Turn, answered: str | None) -> Awaiting | None:
    """The first detail still missing after the question just answered (a name always)."""
    if not turn.slot("applicant_name"):
        return Awaiting.CONTACT_NAME
    later = ORDER[ORDER.index(Awaiting(answered)) + 1 :] if answered in ORDER else ORDER
    for step in later:
        if step is Awaiting.CONTACT_EMAIL and not turn.slot("pending_email"):
            return step
        if step is Awaiting.CONTACT_VACANCY and not turn.slot("pending_reference"):
            return step
    return None


QUESTIONS = {
    Awaiting.CONTACT_NAME: "contact_name_still",
    Awaiting.CONTACT_EMAIL: "ask_contact_email",
    Awaiting.CONTACT_VACANCY: "ask_vacancy",
}


async def answer_free_text(turn: Turn) -> None:
    """The applicant answers a question about their contact details."""
    awaiting = turn.slot("awaiting")
    details = take_offered(turn)
    if awaiting == Awaiting.CONTACT_NAME and not details:
        name = name_in(turn.text)
        if name is None:
            turn.say("contact_name_again")
            return
        turn.set("applicant_name", name)
        details["applicant_name"] = name
    elif awaiting == Awaiting.CONTACT_EMAIL and "applicant_email" not in details:
        if turn.intent != "deny" and not details:
            turn.say("contact_email_again")
            return
        # "no" skips it: the recruiter can answer in this chat
    elif awaiting == Awaiting.CONTACT_VACANCY and not details and turn.text:
        details["vacancy_hint"] = turn.text[:300]
    question = next_question(turn, awaiting)
    escalation = await add_contact_details(turn, release=question is None, **details)
    if question is not None:
        turn.set("awaiting", question.value)
        turn.say(QUESTIONS[question])
        return
    turn.set("awaiting", None)
    await hand_over_details(turn, escalation, details.get("vacancy_hint"))


async def hand_over_details(
    turn: Turn, escalation: EscalationRecord | None, vacancy: str | None
) -> None:
    """All details are in: the escalation exists already (asked for a person, or a code that
    never came, dialogue/escalation.py); without one, open it now with them."""
    name, email = turn.slot("applicant_name"), turn.slot("pending_email")
    if escalation is None:
        escalation = await escalate_unverified(
            turn,
            EscalationReason.UNKNOWN_APPLICANT,
            applicant_name=name,
            applicant_email=email,
            vacancy_hint=vacancy,
            given_reference=turn.slot("pending_reference"),
        )
    contact = (
        say("conversation.contact_by_email", turn.language, email=email)
        if email
        else say("conversation.contact_here", turn.language)
    )
    turn.say(
        "unknown_handed_over",
        name=name,
        contact=contact,
        recruiter=turn.recruiter_name(escalation.recruiter),
        respond_by=when(turn, escalation),
    )
