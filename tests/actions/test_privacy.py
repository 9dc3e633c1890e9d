"""Privacy: what is kept and for how long; access and deletion requests go to a person."""

from sqlalchemy import select

from ats.models import Escalation
from tests.actions.conftest import Chat, outbox


async def test_retention_is_explained_and_a_person_offered(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("what data do you keep about me?", "privacy_request"))
    assert "4 weeks" in reply and "12 months" in reply
    assert "see or delete" in reply
    done = Chat.text(await chat.send("yes please", "affirm"))
    assert "passed your request to Eva Jansen" in done
    async with desk.store.session() as session:
        [escalation] = (await session.scalars(select(Escalation))).unique().all()
    assert escalation.reason == "privacy_request"
    assert any("privacy request" in m["Subject"] for m in outbox(desk))


async def test_a_deletion_request_is_escalated_at_once_in_dutch(desk):
    reply = Chat.text(await Chat().send("verwijder al mijn gegevens", "privacy_request"))
    assert "4 weken" in reply
    assert "Ik heb je verzoek doorgegeven aan Eva Jansen" in reply
