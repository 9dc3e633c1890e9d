"""Personal data masked out of free text an applicant wrote, before the help desk keeps it for
others to read (a feedback comment on the desk's dashboard): email addresses, application
references, phone numbers and one-time codes become a placeholder that says what was there.
Names are not found this way; that is why such text is also erased with its conversation.
"""

from __future__ import annotations

import re

# in this order: an address may hold digits, a reference letters and digits, a phone number
# six digits in a row
MASKS = (
    ("[email]", re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")),
    ("[reference]", re.compile(r"(?i)\bAP[\s-]?[0-9A-Z]{4}[\s-]?[0-9A-Z]{4}\b")),
    ("[phone]", re.compile(r"(?<![\w+])\+?\d(?:[\s().-]?\d){7,14}(?!\w)")),
    ("[code]", re.compile(r"\b\d{6}\b")),
)


def mask_personal(text: str) -> str:
    for placeholder, pattern in MASKS:
        text = pattern.sub(placeholder, text)
    return text
