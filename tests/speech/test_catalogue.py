"""The message catalogue: every text in every language, with the same placeholders, and the
only place the help desk's words live."""

import importlib
from pathlib import Path

import pytest

from ats.models import EscalationReason, Status
from speech.catalogue import Catalogue, CatalogueError, catalogue, placeholders, say
from speech.language import LANGUAGES

TEXTS = catalogue().texts


def test_there_is_a_catalogue_for_every_language_the_assistant_speaks():
    assert set(LANGUAGES) <= set(catalogue().languages)


@pytest.mark.parametrize("language", sorted(set(TEXTS) - {"en"}))
def test_every_key_is_in_every_language(language):
    assert set(TEXTS[language]) == set(TEXTS["en"])


@pytest.mark.parametrize("language", sorted(set(TEXTS) - {"en"}))
def test_every_text_has_the_same_placeholders_in_every_language(language):
    for key, english in TEXTS["en"].items():
        translated = TEXTS[language][key]
        if isinstance(english, str):
            assert isinstance(translated, str), key
            assert placeholders(translated) == placeholders(english), key
        else:
            assert len(translated) == len(english), key


def test_every_status_and_escalation_reason_has_its_words():
    for status in Status:
        assert catalogue().has(f"status.{status.value}")
    for reason in EscalationReason:
        assert catalogue().has(f"desk.reason_names.{reason.value}")
        assert catalogue().has(f"dashboard.reason_names.{reason.value}")
        assert catalogue().has(f"mail.recruiter.reason_names.{reason.value}")


def test_a_text_is_filled_in_and_a_language_without_a_catalogue_gets_english():
    assert say("conversation.wrong_code", "nl", attempts=2).startswith("Die code klopt niet")
    assert say("conversation.goodbye", "de") == say("conversation.goodbye", "en")
    assert catalogue().choices("calendar.days", "nl")[0] == "maandag"


def test_a_value_from_the_data_without_a_name_is_shown_as_it_is():
    assert catalogue().name_of("desk.reason_names", "withdrawal", "nl") == "Intrekking"
    assert catalogue().name_of("desk.reason_names", "salary_question", "nl") == "salary_question"


def test_a_missing_key_or_value_is_an_error_not_a_placeholder_shown_to_an_applicant():
    with pytest.raises(CatalogueError, match="no text"):
        say("conversation.no_such_text", "en")
    with pytest.raises(CatalogueError, match="name"):
        say("conversation.verified_many", "nl", count=2)
    with pytest.raises(CatalogueError):
        say("calendar.days", "en")


def test_a_catalogue_needs_english(tmp_path: Path):
    (tmp_path / "nl.yml").write_text("conversation:\n  goodbye: Dag\n", encoding="utf-8")
    with pytest.raises(CatalogueError):
        Catalogue(tmp_path)


@pytest.mark.parametrize(
    "module", ["speech.texts", "speech.notices", "desk.texts", "desk.dashboard_texts"]
)
def test_the_old_word_lists_are_gone(module):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)
