"""Proving who is chatting: the verification flow.

The applicant names their application (reference and email, or email alone), gets a code at
the address on file, and types it here; then the bot does what they asked for before (their
status, their timeline, withdrawing). The steps, by what the bot waits for (dialogue/states.py):
nothing or IDENTIFIER → a reference or an address; EMAIL_FOR_REFERENCE → the address for a
reference; CODE → the code (or a new address or reference: a new code); CHOICE → which of
several applications. The same words and the same time whatever matched.
"""

from __future__ import annotations

import asyncio
import time

from ats.records import ApplicationRecord, Mail
from ats.services import Services
from ats.verification import CodeRequest, Outcome
from ats.whatsapp_api import chat_link
from dialogue.answers import answer_status, answer_timeline, ask_to_confirm_withdrawal
from dialogue.identity import LINKED_CHANNELS
from dialogue.privacy import fulfil
from dialogue.privacy_wish import WISHES
from dialogue.turn import EMAIL, Turn
from speech.catalogue import say
from speech.dates import day_and_time

TELEGRAM = "telegram"


def reference_buttons(turn: Turn, applications: list[ApplicationRecord]) -> list[dict]:
    return [
        {
            "title": f"{app.vacancy.title} ({app.reference})",
            "payload": f'/provide_reference{{"reference": "{app.reference}"}}',
        }
        for app in applications
    ]


async def continue_after_verification(turn: Turn) -> None:
    """Do what the applicant wanted before they proved who they are."""
    goal = turn.slot("goal") or "status"
    if goal in WISHES:  # a privacy wish concerns the applicant, not one application
        turn.set("awaiting", None)
        turn.set("goal", None)
        await fulfil(turn, goal)
        return
    store = turn.services.store
    verified = turn.verified()
    chosen = turn.slot("selected_reference")
    if chosen not in verified:
        if len(verified) > 1:
            found = [await store.find_application(r) for r in verified]
            applications = [a for a in found if a is not None]
            turn.set("awaiting", "choice")
            turn.say(
                "verified_many",
                name=applications[0].candidate.name.split()[0],
                count=len(applications),
                buttons=reference_buttons(turn, applications),
            )
            return
        chosen = verified[0]
        turn.set("selected_reference", chosen)
    application = await store.find_application(chosen)
    turn.set("awaiting", None)
    if application is None:  # gone from the ATS since it was proven
        turn.set("selected_reference", None)
        turn.set("goal", None)
        turn.say("error")
        return
    if goal == "withdraw":
        await ask_to_confirm_withdrawal(turn, application)
    elif goal == "timeline":
        await answer_timeline(turn, application)
    else:
        await answer_status(turn, application)
    turn.set("goal", None)


async def send_code(turn: Turn, email: str, reference: str | None) -> None:
    """Ask for the code mailed to `email`; the same words and the same time whatever matched."""
    services = turn.services
    # A match costs more work than a miss (the application is read, the code mailed), and an
    # answer that comes later would tell whether an address is on file. So every answer waits
    # until this moment, and the mail is written while it waits.
    answer_at = time.monotonic() + services.settings.code_answer_ms / 1000
    request = await services.verifier.request_code(
        turn.conversation_id,
        email,
        reference,
        channel=turn.channel,
        client=turn.client,
        language=turn.language,
    )
    turn.set("pending_email", email.lower())
    if request.locked_until:
        turn.say(
            "too_many_codes" if request.too_many else "locked",
            until=day_and_time(request.locked_until, turn.language, services.settings.timezone),
        )
    else:
        if request.code:
            services.in_background(
                mail_code(services, turn.language, request), "mailing a one-time code"
            )
        turn.set("awaiting", "code")
        turn.say("code_sent", email=email)
    await asyncio.sleep(max(0.0, answer_at - time.monotonic()))


def confirmation_url(services: Services, token: str) -> str:
    return f"{services.settings.public_base_url}/verify/{token}"


async def mail_code(services: Services, language: str, request: CodeRequest) -> None:
    """The one-time code, with its one-click link, to the applicant's own address on file
    (the verifier has already counted it against the hourly limits)."""
    person = request.applications[0].candidate
    values = {
        "employer": services.settings.employer_name,
        "code": request.code,
        "name": person.name.split()[0],
        "minutes": services.settings.code_minutes,
        "confirm": confirmation_url(services, request.link_token or ""),
        "telegram": "",
    }
    link = await services.telegram_link(person.email)
    if link:
        line = say(
            "conversation.telegram_mail_line",
            language,
            link=link,
            hours=services.settings.link_hours,
        )
        values["telegram"] = f"\n\n{line}"
    await services.mailer.send(
        [
            Mail(
                person.email,
                say("mail.code.subject", language, **values),
                say("mail.code.body", language, **values),
                "verification_code",
            )
        ]
    )


async def check_code(turn: Turn, code: str) -> None:
    services = turn.services
    result = await services.verifier.check_code(turn.conversation_id, code, client=turn.client)
    if result.outcome is Outcome.VERIFIED:
        turn.proven(result.references, result.email or "")
        await continue_after_verification(turn)
        # whom the code proved, as it was issued: never an address typed since
        await after_code(turn, result.email)
    elif result.outcome is Outcome.CONFIRM_BY_LINK:
        turn.say("confirm_by_link")
    elif result.outcome is Outcome.WRONG_CODE:
        turn.say("wrong_code", attempts=result.attempts_left)
    elif result.outcome is Outcome.LOCKED:
        turn.set("awaiting", None)
        assert result.locked_until is not None  # a lock always has its end
        until = day_and_time(result.locked_until, turn.language, services.settings.timezone)
        turn.say("locked", until=until)
    elif result.outcome is Outcome.EXPIRED:
        turn.set("awaiting", "identifier")
        turn.say("code_expired")
    else:
        turn.set("awaiting", "identifier")
        turn.say("no_code_pending")


async def verify_or_ask(turn: Turn, goal: str) -> None:
    """Move verification on with what this message gives, or ask for what is missing."""
    code = turn.entity("code")
    reference = turn.reference()
    email = turn.entity("email") or next(iter(EMAIL.findall(turn.text)), None)
    verified = turn.verified()
    if goal != "status" or not turn.slot("goal"):
        turn.set("goal", goal)
    if reference and reference in verified:
        turn.set("selected_reference", reference)
        await continue_after_verification(turn)
    elif code and not reference and not email:
        await check_code(turn, code)
    elif reference:
        turn.set("pending_reference", reference)
        if email or turn.slot("pending_email"):
            await send_code(turn, email or turn.slot("pending_email"), reference)
        else:
            turn.set("awaiting", "email_for_reference")
            turn.say("ask_email_for_reference")
    elif email:
        pending = (
            turn.slot("pending_reference")
            if turn.slot("awaiting") == "email_for_reference"
            else None
        )
        await send_code(turn, email, pending)
    elif verified:
        await continue_after_verification(turn)
    elif turn.slot("awaiting") == "code":
        turn.say("ask_code")
    else:
        turn.set("awaiting", "identifier")
        turn.say("ask_identifier")


async def after_code(turn: Turn, email: str | None) -> None:
    """The applicant just proved, with a code mailed there, that they own `email` (the address
    the code was issued for): link this Telegram chat or WhatsApp number, or offer the way
    to one (a one-time Telegram link, the business's wa.me link)."""
    if not email:
        return
    services = turn.services
    if turn.channel in LINKED_CHANNELS:
        if await services.links.link(turn.channel, turn.conversation_id, email):
            turn.say("linked_here" if turn.channel == TELEGRAM else "linked_here_whatsapp")
        return
    link = await services.telegram_link(email)
    if link:
        turn.say("telegram_offer", link=link, hours=services.settings.link_hours)
    whatsapp = chat_link(services.settings.whatsapp)
    if whatsapp:
        turn.say("whatsapp_offer", link=whatsapp)


async def link_with_token(turn: Turn, token: str) -> None:
    """/start <token>: link this chat and answer the question the applicant came with."""
    applicant = None
    if turn.channel == TELEGRAM:
        applicant = await turn.services.links.redeem(token, TELEGRAM, turn.conversation_id)
    if applicant is None:
        turn.set("awaiting", "identifier")
        turn.say("link_invalid")
        return
    # the chat is linked now: from the next message on, the server knows it (dialogue/identity.py)
    turn.proven(applicant.references, applicant.email)
    turn.say("linked", name=applicant.name, employer=turn.services.settings.employer_name)
    turn.set("goal", "status")
    await continue_after_verification(turn)
