"""The base action: a failing database gets a polite reply; the language is settled first."""

import dataclasses
import logging

from ats.db import create_engine
from ats.services import Services, use_services
from ats.store import ATSStore
from tests.actions.conftest import TELEGRAM_OFF, Chat


async def test_an_unreachable_database_gets_a_graceful_reply_and_a_log_entry(settings, caplog):
    broken = dataclasses.replace(settings, secret_key="k")
    store = ATSStore(create_engine("postgresql://nobody@127.0.0.1:1/none"))
    use_services(Services.create(broken, store, telegram=TELEGRAM_OFF))
    try:
        session_id = "0123456789abcdef0123456789abcdef"  # a web chat's: a bearer secret
        chat = Chat(sender=session_id, channel="socketio")
        with caplog.at_level(logging.WARNING):
            reply = Chat.text(
                await chat.send("sanne@example.nl", "provide_email", {"email": "sanne@example.nl"})
            )
        assert "can't reach our application system" in reply
        assert "ask for a person" in reply
        assert any("action_check_status failed" in r.getMessage() for r in caplog.records)
        # the log names the action, never the applicant's address or the conversation's id
        assert "sanne@example.nl" not in caplog.text
        assert session_id not in caplog.text
        dutch = Chat.text(
            await Chat().send("wat is de status van mijn sollicitatie", "check_status")
        )
        assert "Typ" in dutch or "referentie" in dutch
    finally:
        use_services(None)
        await store.close()
