"""What a channel keeps of the metadata a client sends with a message: only what the help desk
reads, bounded.

Rasa stores a message's metadata with it in the tracker, for good, so whatever a client sends
there is kept: the REST channel takes bodies of up to 64 KB and Socket.IO took 1 MB. The help
desk reads one key a client may set, `language` (a language code, for the answer's language);
the others it reads are set by the channels themselves after checking something (a careers
site's login, the client's keyed address) and are never taken from the client.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGE = "language"
MAX_LANGUAGE = 16
# BCP 47-ish: "nl", "en-GB", "nl_BE", "zh-Hant-TW"; nothing else is a language code.
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


def language_code(value: Any) -> str | None:
    """`value` when it is a language code, else None (an unknown one is not an error: the
    conversation then keeps its own language)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > MAX_LANGUAGE or not LANGUAGE_CODE.fullmatch(value):
        return None
    return value


def client_metadata(raw: Any) -> dict[str, Any]:
    """The part of a client's metadata the help desk reads; everything else is dropped."""
    if not isinstance(raw, dict):
        return {}
    language = language_code(raw.get(LANGUAGE))
    return {LANGUAGE: language} if language else {}
