"""What the bot is waiting for, and which intents may interrupt it: the states of the
conversation's small state machine (the `awaiting` slot) and the groups of intents the flow
(dialogue/flow.py) takes them by."""

from __future__ import annotations

import enum


class Awaiting(str, enum.Enum):
    """What the bot asked last; kept in the `awaiting` slot."""

    IDENTIFIER = "identifier"  # a reference or an address
    EMAIL_FOR_REFERENCE = "email_for_reference"  # the address that goes with a reference
    CODE = "code"  # the one-time code just mailed
    CHOICE = "choice"  # which of several applications
    WITHDRAW_CONFIRM = "withdraw_confirm"  # yes or no to withdrawing
    PRIVACY_OFFER = "privacy_offer"  # yes or no to passing a privacy request on
    PRIVACY_CONSENT = "privacy_consent"  # yes or no to keeping the details for longer
    CONTACT_NAME = "contact_name"  # free text: the applicant's name
    CONTACT_EMAIL = "contact_email"  # free text: where a recruiter can reach them
    CONTACT_VACANCY = "contact_vacancy"  # free text: the vacancy they applied for
    FEEDBACK_SCORE = "feedback_score"  # how helpful this was, 1-5 (dialogue/feedback.py)
    FEEDBACK_COMMENT = "feedback_comment"  # free text, if they like: a comment on it


# The feedback question and its comment: read by their words (dialogue/feedback.py).
FEEDBACK = {Awaiting.FEEDBACK_SCORE, Awaiting.FEEDBACK_COMMENT}
# What the bot asked last, when the answer is free text rather than an intent.
FREE_TEXT = {Awaiting.CONTACT_NAME, Awaiting.CONTACT_EMAIL, Awaiting.CONTACT_VACANCY}
# Intents that are never taken as the answer to a free-text question.
INTERRUPTIONS = {"request_human", "complain", "bot_challenge", "switch_language", "goodbye"}
# While the bot waits for a reference, an address or a code, a message that holds one is that
# detail, whatever small talk the language model took it for (it reads some addresses as "yes"
# or as a language switch: a wrong turn that would drop the verification).
AWAITING_DETAILS = {Awaiting.IDENTIFIER, Awaiting.EMAIL_FOR_REFERENCE, Awaiting.CODE}
SMALL_TALK = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
    "switch_language",
}
