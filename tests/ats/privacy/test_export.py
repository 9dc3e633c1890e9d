"""An access request's export: everything the help desk holds about the applicant, and nothing
about anyone else."""

from __future__ import annotations

import json

from ats.models import EscalationMessage
from ats.privacy.export import export_applicant
from ats.privacy.trackers import TrackerEvents
from speech.data_export import render_export
from tests.ats.privacy.conftest import START, Clock, build_history


async def test_the_export_holds_everything_about_the_applicant_and_nobody_else(
    store, privacy_settings, tracker_url
):
    refs = await build_history(store, privacy_settings, tracker_url, Clock(START))
    trackers = TrackerEvents(tracker_url)
    try:
        export = await export_applicant(store, "Sanne@example.nl", trackers)
    finally:
        await trackers.close()
    data = json.loads(export.to_json())
    assert data["name"] == "Sanne de Vries" and data["email"] == "sanne@example.nl"
    [application] = data["applications"]
    assert application["reference"] == refs["sanne"] and application["status"] == "rejected"
    assert [e["to_status"] for e in application["history"]] == ["applied", "rejected"]
    assert application["history"][-1]["note"] == "Sanne de Vries lacks SQL"
    assert [e["reason"] for e in data["escalations"]] == ["applicant_request"]
    assert [m["purpose"] for m in data["mails"]] == ["verification_code"]
    conversations = {c["conversation_id"]: c for c in data["conversations"]}
    assert set(conversations) == {"web-sanne", "tg-777"}
    assert conversations["web-sanne"]["messages"][0]["speaker"] == "applicant"
    assert "waar staat mijn sollicitatie" in conversations["web-sanne"]["messages"][0]["text"]
    assert [chat[0] for chat in data["linked_chats"]] == ["telegram"]
    text = export.to_json()
    for other in ("James", "james@example.com", refs["james"], "web-james", "Pim", "pim@"):
        assert other not in text, other


async def test_no_export_for_an_address_the_help_desk_does_not_hold(
    store, privacy_settings, tracker_url
):
    await build_history(store, privacy_settings, tracker_url, Clock(START))
    assert await export_applicant(store, "nobody@example.com") is None


async def test_the_export_holds_the_thread_of_the_applicants_escalations(
    store, privacy_settings, tracker_url
):
    refs = await build_history(store, privacy_settings, tracker_url, Clock(START))
    async with store.session() as session, session.begin():
        for kind, text in (("recruiter", "Hoi Sanne, ik bel je morgen."), ("note", "Belt morgen")):
            session.add(
                EscalationMessage(
                    escalation_id=refs["escalation"],
                    at=START,
                    kind=kind,
                    channel="email",
                    text=text,
                )
            )
    export = await export_applicant(store, "sanne@example.nl")
    [escalation] = export.escalations
    assert [m.text for m in escalation.messages] == ["Hoi Sanne, ik bel je morgen.", "Belt morgen"]
    assert "ik bel je morgen" in render_export(export, "nl")
