"""Greetings, thanks, goodbyes, "are you a bot?", and what to do with messages it can't place."""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.answers import withdraw
from dialogue.escalation import add_contact_details, open_privacy_request, selected_application
from dialogue.feedback import ask_question
from dialogue.feedback import due as feedback_due
from dialogue.states import FREE_TEXT
from dialogue.turn import Turn, chosen_language
from dialogue.verification import link_with_token, verify_or_ask
from speech.catalogue import say
from speech.language import LANGUAGES


class ActionGreet(HelpdeskAction):
    def name(self) -> str:
        return "action_greet"

    async def respond(self, turn: Turn) -> None:
        token = turn.entity("link_token")
        if token:  # /start <token> on Telegram: the applicant opened a deep link
            await link_with_token(turn, token)
            return
        turn.say("greet", employer=turn.services.settings.employer_name)


class _Say(HelpdeskAction):
    """An action that answers with one text."""

    key = ""

    async def respond(self, turn: Turn) -> None:
        turn.say(self.key)


class ActionBotChallenge(_Say):
    key = "bot"

    def name(self) -> str:
        return "action_bot_challenge"


class ActionGoodbye(_Say):
    key = "goodbye"

    def name(self) -> str:
        return "action_goodbye"

    async def respond(self, turn: Turn) -> None:
        # leaving halfway through the contact details: the recruiter's alert goes out now
        if turn.slot("awaiting") in FREE_TEXT:
            turn.set("awaiting", None)
            await add_contact_details(turn, release=True)
        if await feedback_due(turn):  # after a status answer: "before you go, …"
            ask_question(turn)
            return
        turn.say(self.key)


class ActionThank(_Say):
    key = "thanks"

    def name(self) -> str:
        return "action_thank"

    async def respond(self, turn: Turn) -> None:
        if await feedback_due(turn):  # after a status answer: not "anything else?" but this
            turn.say("thanks_short")
            ask_question(turn)
            return
        turn.say(self.key)


class ActionHelp(_Say):
    """out_of_scope: what the bot can do, and the offer of a person."""

    key = "help"

    def name(self) -> str:
        return "action_help"


class ActionNotUnderstood(HelpdeskAction):
    """Low NLU confidence. A reference, email or code still moves verification on."""

    def name(self) -> str:
        return "action_not_understood"

    async def respond(self, turn: Turn) -> None:
        if turn.reference() or turn.entity("email") or turn.entity("code"):
            await verify_or_ask(turn, turn.slot("goal") or "status")
            return
        turn.say("not_understood")


class ActionSwitchLanguage(HelpdeskAction):
    def name(self) -> str:
        return "action_switch_language"

    async def respond(self, turn: Turn) -> None:
        if chosen_language(turn.tracker):
            turn.say("language_switched")
            return
        # "/language" alone: offer the two, each button naming its language in itself
        turn.say(
            "choose_language",
            buttons=[
                {
                    "title": say("language_name", code),
                    "payload": f'/switch_language{{"language_choice": "{code}"}}',
                }
                for code in LANGUAGES
            ],
        )


class ActionYesNo(HelpdeskAction):
    """affirm and deny: the answer to whatever the bot asked last."""

    def name(self) -> str:
        return "action_yes_no"

    async def respond(self, turn: Turn) -> None:
        awaiting, yes = turn.slot("awaiting"), turn.intent == "affirm"
        if awaiting == "withdraw_confirm":
            if yes:
                application = await selected_application(turn)
                if application is None:  # no longer proven (the chat was idle, or ended)
                    turn.set("awaiting", None)
                    await verify_or_ask(turn, "withdraw")
                else:
                    await withdraw(turn, application)
            else:
                turn.set("awaiting", None)
                turn.say("withdraw_cancelled")
        elif awaiting == "privacy_offer" and yes:
            turn.set("awaiting", None)
            await open_privacy_request(turn)
        elif awaiting == "code" and not yes:
            # "No, nothing arrived": a person takes it from here.
            turn.set("awaiting", "contact_name")
            turn.say("ask_name")
        else:
            turn.set("awaiting", None)
            turn.say("help")
