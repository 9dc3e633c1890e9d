"""Which language an applicant writes in, asks for, or their browser says."""

from __future__ import annotations

import pytest

from speech.language import detect_language, language_of_locale, requested_language


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("nl-NL", "nl"),
        ("nl_BE", "nl"),
        ("NL", "nl"),
        ("en-GB", "en"),
        ("de-DE", None),
        ("", None),
        (None, None),
        # what a browser's metadata can hold besides a string: never an error
        (5, None),
        (["nl"], None),
        ({"lang": "nl"}, None),
    ],
)
def test_the_language_of_a_locale(locale: object, language: str | None) -> None:
    assert language_of_locale(locale) == language


def test_a_message_in_either_language() -> None:
    assert detect_language("Where is my application? I applied last week.") == "en"
    assert detect_language("Waar is mijn sollicitatie? Ik heb vorige week gesolliciteerd.") == "nl"
    assert detect_language("AP-7K3M-9XQ2") is None


def test_a_language_asked_for_by_name() -> None:
    assert requested_language("in English please") == "en"
    assert requested_language("Nederlands graag") == "nl"
    assert requested_language("hello") is None
