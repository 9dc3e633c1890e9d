"""Personal data masked in an applicant's message before the review inbox keeps it: each
detail replaced by a placeholder of its own form, so the message still reads as one."""

from __future__ import annotations

import pytest

from ats.masking import mask_personal_data
from ats.settings import ConfigurationError, Settings


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("my code is 123456.", "my code is 000000."),
        ("status of ap 7k3m 9xq2 and AP7K3M9XQ2?", "status of AP-XXXX-XXXX and AP-XXXX-XXXX?"),
        ("mail jan.de.boer+jobs@gmail.com please", "mail name@example.com please"),
        ("bel 06-12345678 of +31 (0)20 123 4567", "bel +31 6 00000000 of +31 6 00000000"),
        # a date, a year, an amount and a vacancy number are no personal data
        ("applied 01-05-2026 for job 12345 in 2026", "applied 01-05-2026 for job 12345 in 2026"),
        ("salary 1234567 or 3.500,00", "salary 1234567 or 3.500,00"),
    ],
)
def test_codes_addresses_references_and_phone_numbers_are_masked(said, kept):
    assert mask_personal_data(said) == kept
    assert mask_personal_data(kept) == kept  # masking twice changes nothing


def test_the_review_confidence_is_a_fraction():
    assert Settings.from_env({}).review_confidence == 0.6
    assert Settings.from_env({"HELPDESK_REVIEW_CONFIDENCE": "0.45"}).review_confidence == 0.45
    for wrong in ("60", "-0.1", "nan", "high"):
        with pytest.raises(ConfigurationError, match="HELPDESK_REVIEW_CONFIDENCE"):
            Settings.from_env({"HELPDESK_REVIEW_CONFIDENCE": wrong})
