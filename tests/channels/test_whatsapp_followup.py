"""A recruiter's reply outside WhatsApp's 24-hour window goes as the approved follow-up
template: what the desk is told (room, what the applicant reads) and what reaches Meta, through
the real client against the fake Graph API, which checks templates as Meta does."""

from __future__ import annotations

import dataclasses

import pytest

from ats.services import Services, use_services
from ats.whatsapp_api import WhatsAppError
from ats.whatsapp_followups import MAX_BODY, followup_parameters, one_line, room_for_reply
from ats.whatsapp_store import window_open
from channels.whatsapp_followup import FollowUpTemplate, template_body
from tests.channels.test_whatsapp import settings_of

CONVERSATION = "wa-31612000111"


@pytest.fixture
def followup(fake, store, db_settings, tmp_path):
    settings = dataclasses.replace(db_settings, secret_key="k", outbox_dir=tmp_path / "out")
    use_services(Services.create(settings, store))
    yield FollowUpTemplate(settings_of(fake))
    use_services(None)


def test_parameters_are_one_line_and_the_room_is_what_meta_allows():
    assert one_line("Hi Eva,\n\n  we moved\tyour interview.     See you!") == (
        "Hi Eva, we moved your interview. See you!"
    )
    assert followup_parameters("Wanda Admin", "Northwind", "a\nb") == [
        "Wanda Admin",
        "Northwind",
        "a b",
    ]
    body = template_body("nl")
    filled = body.replace("{{1}}", "Wanda Admin").replace("{{2}}", "Northwind")
    assert room_for_reply(body, "Wanda Admin", "Northwind") == MAX_BODY - len(filled) + 5


async def test_the_reply_goes_as_the_template_in_the_applicants_language(followup, fake, store):
    reads = followup.reads("Wanda Admin", "Northwind", "nl")
    assert reads.startswith("Hallo, Wanda Admin van Northwind heeft je vraag beantwoord:")
    reply = "Hoi Eva,\n\nJe gesprek is verzet naar vrijdag 10:00.\nTot dan!"
    await followup.send(CONVERSATION, "Wanda Admin", "Northwind", reply, "nl")
    [sent] = fake.sent("31612000111")
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "helpdesk_recruiter_reply"
    assert sent["template"]["language"] == {"code": "nl"}
    assert fake.rendered(sent) == (
        "Hallo, Wanda Admin van Northwind heeft je vraag beantwoord:\n\n"
        "Hoi Eva, Je gesprek is verzet naar vrijdag 10:00. Tot dan!\n\n"
        "Beantwoord dit bericht om het gesprek voort te zetten."
    )
    # a template does not open the window: only the applicant's own message does
    assert not await window_open(store, CONVERSATION)


async def test_a_nameless_account_signs_as_a_recruiter_and_other_languages_get_english(
    followup, fake
):
    await followup.send(CONVERSATION, "wanda@example.com", "Northwind", "See you Friday.", "de")
    [sent] = fake.sent()
    assert sent["template"]["language"] == {"code": "en"}
    assert fake.rendered(sent).startswith("Hello, A recruiter of Northwind has answered")
    assert "wanda@example.com" not in str(sent)


async def test_the_room_the_desk_enforces_is_exactly_what_meta_accepts(followup, fake):
    room = followup.room("Wanda Admin", "Northwind", "en")
    await followup.send(CONVERSATION, "Wanda Admin", "Northwind", "x" * room, "en")
    with pytest.raises(WhatsAppError) as refused:
        await followup.send(CONVERSATION, "Wanda Admin", "Northwind", "x" * (room + 1), "en")
    assert refused.value.code == 132005
    assert len(fake.sent()) == 1


async def test_a_template_not_approved_yet_is_refused_with_metas_code(followup, fake):
    del fake.templates[("helpdesk_recruiter_reply", "nl")]
    with pytest.raises(WhatsAppError) as refused:
        await followup.send(CONVERSATION, "Wanda Admin", "Northwind", "Tot vrijdag!", "nl")
    assert refused.value.code == 132001
