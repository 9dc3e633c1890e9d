"""A conversation harness for the actions: real rasa_sdk Trackers and dispatchers, a real ATS.

`Chat.send()` plays one turn the way the Rasa server would: the rule for the intent picks the
action, the action runs against a Tracker holding the conversation's slots, and the slot events
it returns carry over to the next turn.
"""

from __future__ import annotations

import dataclasses
import email
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.escalation import ActionHandToHuman
from actions.linking import ActionForgetChat
from actions.privacy import ActionPrivacy
from actions.small_talk import (
    ActionBotChallenge,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionNotUnderstood,
    ActionSwitchLanguage,
    ActionThank,
    ActionYesNo,
)
from actions.status import ActionCheckStatus
from actions.timeline import ActionProcess, ActionTimeline
from actions.withdrawal import ActionWithdraw
from ats.demo import seed_demo
from ats.services import Services, services, use_services
from ats.store_basics import utcnow
from ats.telegram_api import TelegramSettings

PROJECT = Path(__file__).parents[2]
TELEGRAM_OFF = TelegramSettings(None, None, None, "http://127.0.0.1:9")
ACTIONS = {
    action.name(): action
    for action in (
        ActionBotChallenge(),
        ActionGoodbye(),
        ActionGreet(),
        ActionHelp(),
        ActionNotUnderstood(),
        ActionSwitchLanguage(),
        ActionThank(),
        ActionYesNo(),
        ActionHandToHuman(),
        ActionForgetChat(),
        ActionPrivacy(),
        ActionCheckStatus(),
        ActionProcess(),
        ActionTimeline(),
        ActionWithdraw(),
    )
}


def rules() -> dict[str, str]:
    """intent -> action, read from the project's own rules file."""
    data = yaml.safe_load((PROJECT / "data" / "rules.yml").read_text())
    return {rule["steps"][0]["intent"]: rule["steps"][1]["action"] for rule in data["rules"]}


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@dataclasses.dataclass
class Chat:
    sender: str = "chat-1"
    slots: dict = dataclasses.field(default_factory=dict)
    channel: str = "rest"

    async def send(
        self,
        text: str,
        intent: str,
        entities: dict[str, str] | None = None,
        metadata: dict | None = None,
    ) -> list[dict]:
        """One applicant message; returns the bot's messages."""
        action = ACTIONS[rules()[intent]]
        tracker = Tracker(
            sender_id=self.sender,
            slots=dict(self.slots),
            latest_message={
                "text": text,
                "intent": {"name": intent, "confidence": 0.99},
                "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
                "metadata": metadata or {},
            },
            events=[{"event": "user", "input_channel": self.channel, "text": text}],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, {})
        await services().settle()  # what the action left running after its answer (code mails)
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        self.last = dispatcher.messages
        return dispatcher.messages

    @staticmethod
    def text(messages: list[dict]) -> str:
        return " ".join(m.get("text") or "" for m in messages)


@pytest.fixture
async def desk(store, db_settings, tmp_path):
    """Demo ATS + services wired into the actions, mail into a temporary outbox."""
    settings = dataclasses.replace(
        db_settings,
        secret_key="test-key",
        outbox_dir=tmp_path / "outbox",
        employer_name="Northwind",
        smtp_host=None,
    )
    await seed_demo(store, settings)
    clock = Clock()
    services = Services.create(settings, store, clock=clock, telegram=TELEGRAM_OFF)
    use_services(services)
    yield services
    use_services(None)


def outbox(services: Services) -> list[email.message.Message]:
    folder = services.settings.outbox_dir
    return (
        [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]
        if folder.exists()
        else []
    )


def body(message: email.message.Message) -> str:
    return message.get_payload(decode=True).decode()


def last_code(services: Services, address: str) -> str:
    import re

    mails = [m for m in outbox(services) if m["To"] == address and "code" in m["Subject"].lower()]
    assert mails, f"no code mail to {address}"
    return re.search(r"\b(\d{6})\b", body(mails[-1])).group(1)


async def verify_by_email(chat: Chat, services: Services, address: str) -> list[dict]:
    """Ask for the status, give the address, type the code from the outbox."""
    await chat.send("status", "check_status")
    await chat.send(address, "provide_email", {"email": address})
    code = last_code(services, address)
    return await chat.send(code, "provide_code", {"code": code})
