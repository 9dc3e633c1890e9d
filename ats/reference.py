"""Public application references: `AP-` and eight Crockford base32 characters.

References are what applicants see and type, so they are random (never sequential, never the
ATS's internal id) and forgiving to read back: any case, with or without dashes and spaces.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PREFIX = "AP"
_SEPARATORS = re.compile(r"[\s\-_.]+")
# Crockford's decoding rules: applicants reading a reference aloud or from paper confuse these.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidReference(ValueError):
    """Text that is not an application reference."""


def generate_reference() -> str:
    """A new random reference, formatted for display."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return format_reference(body)


def format_reference(body: str) -> str:
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def parse_reference(text: str, *, lenient: bool = False) -> str:
    """Return the canonical `AP-XXXX-XXXX` form of `text`, or raise InvalidReference.

    `lenient` also reads O as 0 and I or L as 1, as Crockford base32 prescribes for humans
    typing a code; files from an ATS are parsed strictly so a wrong format is reported.
    """
    compact = _SEPARATORS.sub("", text or "").upper()
    if not compact.startswith(PREFIX):
        raise InvalidReference("a reference starts with AP, like AP-4K7N-2QXB")
    body = compact[len(PREFIX) :]
    if lenient:
        body = body.translate(_LOOKALIKES)
    if len(body) != 8:
        raise InvalidReference("a reference has eight characters after AP, like AP-4K7N-2QXB")
    bad = sorted({c for c in body if c not in ALPHABET})
    if bad:
        raise InvalidReference(
            f"a reference uses digits and letters except I, L, O and U; found {''.join(bad)}"
        )
    return format_reference(body)


def is_reference(text: str, *, lenient: bool = False) -> bool:
    try:
        parse_reference(text, lenient=lenient)
    except InvalidReference:
        return False
    return True
