"""Personal data masked out of free text an applicant wrote, before the help desk keeps it for
another purpose: email addresses, application references, phone numbers and one-time codes.
Names are not found this way; that is why such text is also erased with its conversation.

Two ways, for two readers:

- `mask_personal` (a feedback comment on the desk's dashboard): each becomes a label that says
  what was there, "[email]", "[reference]", "[phone]", "[code]".
- `mask_personal_data` (the review inbox, and the NLU examples it exports): each becomes a
  placeholder of the same form, so that the message still reads naturally and a model trained
  on it still sees "a reference here": `name@example.com`, `AP-XXXX-XXXX`, `+31 6 00000000`,
  `000000`. Masking twice changes nothing, and a date (8 digits) is not a phone number.
"""

from __future__ import annotations

import re

EMAIL_PLACEHOLDER = "name@example.com"
REFERENCE_PLACEHOLDER = "AP-XXXX-XXXX"
PHONE_PLACEHOLDER = "+31 6 00000000"
CODE_PLACEHOLDER = "000000"

# bounded like real addresses (RFC 5321), so a long message cannot make the search slow
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
# as the NLU data's regex finds them (Crockford base32: no I, L, O, U), and as lenient as the
# reference parser: any case, with or without dashes or spaces
REFERENCE = re.compile(r"(?i)\bAP[\s-]?[0-9A-Z]{4}[\s-]?[0-9A-Z]{4}\b")
# 9 to 15 digits (a date such as 01-05-2026 has 8), optionally after + or 00, in groups split
# by spaces, dashes, dots or brackets: 06-12345678, +31 (0)20 123 4567, 0031612345678
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s().-]{0,2}\d){8,14}(?!\w)")
# a one-time code: six digits standing alone
CODE = re.compile(r"(?<![\w.,-])\d{6}(?![\w-]|[.,]\d)")


LABELS = {EMAIL: "[email]", REFERENCE: "[reference]", PHONE: "[phone]", CODE: "[code]"}
PLACEHOLDERS = {
    EMAIL: EMAIL_PLACEHOLDER,
    REFERENCE: REFERENCE_PLACEHOLDER,
    PHONE: PHONE_PLACEHOLDER,
    CODE: CODE_PLACEHOLDER,
}


def _masked(text: str, replacements: dict[re.Pattern[str], str]) -> str:
    # in this order (the dicts keep it): an address may hold digits and letters that look
    # like the others, a phone number six digits in a row
    for pattern, replacement in replacements.items():
        text = pattern.sub(replacement, text)
    return text


def mask_personal(text: str) -> str:
    """The text with each address, reference, phone number and code as a label."""
    return _masked(text, LABELS)


def mask_personal_data(text: str) -> str:
    """The message with addresses, references, phone numbers and codes replaced by
    placeholders of the same form."""
    return _masked(text, PLACEHOLDERS)
