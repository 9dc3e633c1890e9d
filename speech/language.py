"""Which language an applicant writes in: English or Dutch, or no opinion for "ok" and codes.

A word list scorer rather than a statistical model: applicant messages are short, the two
languages are known, and a wrong guess on "AP-7K3M-9XQ2" or "ok" would flip the conversation.
It answers only when the words leave no doubt; otherwise the conversation keeps its language.
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"

_WORD = re.compile(r"[a-zà-ÿ']+")
_NOT_WORDS = re.compile(r"\S+@\S+|\bap[\s-]?[0-9a-z]{4}[\s-]?[0-9a-z]{4}\b|https?://\S+")

# Frequent words that are common in one language and rare or absent in the other.
_ENGLISH = set(
    """
    the a an and or but is are was were be been am i i'm im you your you're my me we our us
    it it's its this that these those what when where which who whom why how hi hello hey
    thanks thank please yes no not can could would should will shall do does did have has had
    of to for from with about at on in into by as if then than there their they them he she
    his her any anything some something nothing news status application applied apply job
    position role vacancy recruiter person human talk speak someone anyone wait waiting heard
    hear received receive got get still yet long how's what's don't didn't doesn't won't can't
    isn't haven't hasn't ok okay sure right great good bye goodbye morning afternoon evening
    email mail code reference number withdraw withdrawing interested data delete privacy
    english bot robot real people time week weeks days day today tomorrow soon next step steps
    process interview offer rejected know tell let want would like need just really very
    """.split()
)
_DUTCH = set(
    """
    de het een en of maar is zijn was waren ben bent ik jij je jou jouw u uw mijn me mij wij we
    ons onze dit dat deze die wat wanneer waar welke wie waarom hoe hallo hoi hey goedemorgen
    goedemiddag goedenavond dag dank bedankt dankjewel dankuwel alstublieft alsjeblieft graag
    ja nee niet geen kan kunt kun kunnen zou zouden moet moeten wil wilt willen heb hebt heeft
    hebben had van voor met over op in naar bij als dan er hun zij hem haar iets niets nieuws
    sollicitatie gesolliciteerd solliciteren vacature functie baan werk recruiter iemand mens
    spreken praten wachten wacht gehoord horen ontvangen gekregen krijg krijgen nog al lang
    nou oké prima goed fijn doei tot ziens morgen middag avond mail code referentie nummer
    intrekken trek terugtrekken gegevens verwijderen privacy avg nederlands robot echt mensen
    tijd week weken dagen vandaag morgen binnenkort volgende stap stappen procedure gesprek
    aanbod afgewezen weet vertel laat willen zou graag even echt heel reactie status
    ontvangstbevestiging waarom al ok okay email
    """.split()
)
_SHARED = _ENGLISH & _DUTCH  # "in", "is", "hey", "status", ...

_REQUESTS = {
    "nl": re.compile(r"\b(nederlands|dutch|hollands|vlaams)\b", re.IGNORECASE),
    "en": re.compile(r"\b(english|engels|engelstalig)\b", re.IGNORECASE),
}


def requested_language(text: str) -> str | None:
    """The language an applicant asks for by name ("in English please", "Nederlands graag")."""
    found = [language for language, pattern in _REQUESTS.items() if pattern.search(text or "")]
    return found[0] if len(found) == 1 else None


def detect_language(text: str, minimum_margin: int = 1) -> str | None:
    """'en' or 'nl' when the message's words clearly favour one, else None."""
    words = _WORD.findall(_NOT_WORDS.sub(" ", (text or "").lower()))
    english = sum(1 for w in words if w in _ENGLISH and w not in _SHARED)
    dutch = sum(1 for w in words if w in _DUTCH and w not in _SHARED)
    # Dutch spelling cues for words the lists do not know.
    dutch += sum(1 for w in words if w not in _ENGLISH and re.search(r"ij|aa|oe|ui|sch", w))
    if english - dutch >= minimum_margin and english > 0:
        return "en"
    if dutch - english >= minimum_margin and dutch > 0:
        return "nl"
    return None


def language_of_locale(locale: object) -> str | None:
    """'nl' for 'nl-NL', 'nl_BE' or 'nl'; None for languages the help desk does not speak (and
    for whatever a browser sends that is not a string)."""
    if not isinstance(locale, str) or not locale:
        return None
    language = locale.strip().lower().replace("_", "-").split("-")[0]
    return language if language in LANGUAGES else None
