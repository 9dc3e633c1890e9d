"""The readable copy of an applicant's data: their language, dates in words, everything held,
and what they or a recruiter typed shown as text, never as markup."""

import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from ats.privacy.export import (
    ApplicantExport,
    ConsentRecord,
    ExportedApplication,
    ExportedConversation,
    ExportedEscalation,
    ExportedMail,
    ExportedStatusEvent,
)
from ats.privacy.trackers import ConversationLine
from speech.data_export import render_export

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=timezone.utc)


def export(**changes) -> ApplicantExport:
    values = dict(
        generated_at=at(3, 3, 14),
        name="Sanne <b>de</b> Vries",
        email="sanne.devries@example.nl",
        phone="+31 6 1234 5678",
        language="nl",
        consent=ConsentRecord(at(2, 10), "conversation", "Mag Northwind je gegevens bewaren?"),
        applications=[
            ExportedApplication(
                reference="AP-7K3M-9XQ2",
                vacancy_code="DATA-2611",
                vacancy_title="Data Analyst",
                recruiter="Eva Jansen",
                applied_at=at(1, 6),
                ack_due_at=at(1, 13),
                acknowledged_at=None,
                status="rejected",
                stage="CV screening",
                next_update_due_at=None,
                closed_at=at(2, 14),
                close_reason="another candidate",
                ats_system="recruitee",
                history=[
                    ExportedStatusEvent(at(1, 6), None, "applied", None, "import", None),
                    ExportedStatusEvent(at(2, 14), "applied", "rejected", None, "desk", "sorry"),
                ],
            )
        ],
        escalations=[
            ExportedEscalation(
                7, "ack_overdue", "resolved", at(1, 14), at(1, 15), "socketio", None, "Eva Jansen"
            )
        ],
        mails=[ExportedMail(at(1, 14), at(1, 14), "Je sollicitatie", "late_notice")],
        conversations=[
            ExportedConversation(
                "telegram",
                "12345",
                [
                    ConversationLine(at(1, 14, 10), "applicant", "<script>alert(1)</script>"),
                    ConversationLine(at(1, 14, 10), "assistant", "Dank je, Sanne."),
                ],
            )
        ],
        linked_chats=[("telegram", at(1, 14))],
    )
    values.update(changes)
    return ApplicantExport(**values)


class Page(HTMLParser):
    """The document's visible text and its elements."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_dutch_in_dutch_with_dates_in_words():
    page = Page(render_export(export(), "nl", AMSTERDAM))
    words = page.words
    assert "Je persoonsgegevens bij de helpdesk" in words
    assert "maandag 6 januari 2025 om 10:00" in words  # applied, Amsterdam time
    assert "Niet verder" in words and "Gesolliciteerd → Niet verder" in words
    assert "another candidate" in words and "desk: sorry" in words
    assert "Je gaf op maandag 10 februari 2025 om 10:00 (in de chat) toestemming voor:" in words
    assert "Mag Northwind je gegevens bewaren?" in words
    assert "Gesprek via Telegram" in words and "Jij" in words and "Assistent" in words
    assert "Telegram, gekoppeld op" in words
    assert "Nederlands" in words  # the language by its own name
    assert "we waren te laat" in words  # the kind of mail
    assert "Niet op tijd bevestigd" in words and "Afgerond" in words  # the escalation


def test_english_in_english():
    words = Page(render_export(export(), "en", AMSTERDAM)).words
    assert "Your personal data at the help desk" in words
    assert "Monday 6 January 2025 at 10:00" in words
    assert "Applied → Not proceeding" in words
    assert "You agreed on Monday 10 February 2025 at 10:00 (in the chat) to:" in words
    assert "Conversation via Telegram" in words and "You" in words
    assert "Not acknowledged in time" in words  # the escalation's reason, in words


def test_what_people_typed_is_text_not_markup():
    markup = render_export(export(), "en", AMSTERDAM)
    page = Page(markup)
    assert "script" not in page.tags and "b" not in page.tags
    assert "<script>alert(1)</script>" in page.words
    assert "Sanne <b>de</b> Vries" in page.words


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_applicant_with_little_on_file_gets_every_section_saying_none(language):
    bare = export(
        phone=None, consent=None, applications=[], escalations=[], mails=[], conversations=[]
    )
    bare = ApplicantExport(**{**bare.__dict__, "linked_chats": []})
    words = Page(render_export(bare, language, AMSTERDAM)).words
    none = {"en": "None.", "nl": "Geen."}[language]
    assert words.count(none) == 5  # applications, escalations, mails, conversations, chats
    assert {"en": "not given", "nl": "niet opgegeven"}[language] in words
    assert {"en": "No consent recorded", "nl": "Geen toestemming vastgelegd"}[language] in words


def test_the_machine_readable_copy_holds_the_same():
    data = json.loads(export().to_json())
    assert data["applications"][0]["reference"] == "AP-7K3M-9XQ2"
    assert data["conversations"][0]["messages"][0]["text"] == "<script>alert(1)</script>"
