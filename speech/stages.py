"""The ATS's stage names ("CV screening", "Technical interview") in the applicant's language.

Stage names are free text in the ATS, usually written in English. A stage the catalogue knows
(conversation.stage_names, by its name in any language) is said in the applicant's language;
one it does not know is shown only to applicants of the language it is written in (English when
its words do not tell), so that a Dutch answer never carries an English stage name: the status
sentence says enough without it.
"""

from __future__ import annotations

import re
from functools import cache

from speech.catalogue import catalogue, say
from speech.language import DEFAULT_LANGUAGE, detect_language

NAMES = "conversation.stage_names."


def _normal(name: str) -> str:
    """'CV-screening ', 'cv screening' and 'CV Screening' are one stage."""
    return re.sub(r"[\s_-]+", " ", name).strip().casefold()


@cache
def _known() -> dict[str, str]:
    """Every listed stage name, in every language, normalised → its catalogue key."""
    words = catalogue()
    known: dict[str, str] = {}
    for language in words.languages:
        for key, text in words.texts[language].items():
            if key.startswith(NAMES) and isinstance(text, str):
                known.setdefault(_normal(text), key)
    return known


def stage_in(stage: str | None, language: str) -> str | None:
    """The stage as the applicant may read it in `language`, or None when it cannot be shown."""
    if not stage or not stage.strip():
        return None
    key = _known().get(_normal(stage))
    if key is not None:
        return say(key, language)
    written_in = detect_language(stage) or DEFAULT_LANGUAGE
    return stage.strip() if written_in == language else None
