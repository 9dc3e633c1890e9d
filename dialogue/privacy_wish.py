"""Which privacy wish a message expresses, by its words, in English and Dutch.

The language model only says "privacy_request"; this tells apart a request for a copy of one's
data (access), a request to be forgotten (erasure), consent to the longer retention period and
its withdrawal, from a question about the rules ("how long do you keep my CV?"). An erasure is
the costly mistake, so it takes a plain, present request: "I don't want you to delete
anything", "will my data be deleted if I withdraw?" and "delete my CV after the procedure" are
questions about the rules (answered with the retention period), not requests.
"""

from __future__ import annotations

import re

ACCESS = "access"
ERASURE = "erasure"
CONSENT = "consent"
WITHDRAW_CONSENT = "withdraw_consent"
WISHES = (ACCESS, ERASURE, CONSENT, WITHDRAW_CONSENT)

# A message is judged clause by clause: "I don't want to hear about other vacancies, delete my
# details" is an erasure, though its first clause holds a "don't".
# (a full stop only before a space: not inside an address)
_CLAUSE_BREAK = re.compile(r"[,;:!?\n]+|\.(?=\s|$)|\s(?:but|maar|so|dus|and|en|then|daarna)\s")
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t|did not|never|not|no need|"
    r"niet|geen|nooit|niets|niks|nothing)\b|n't\b"
)
# the rules, not a request now: after the procedure, if I withdraw, "will my data be deleted"
_POLICY = re.compile(
    r"\b(?:if|when|after|once|als|wanneer|nadat|zodra|na)\b|"
    r"\bwill (?:my|the|your|all|it|they)\b|\bdo you (?:ever |still |also )?"
    r"(?:delete|erase|remove)\b|\b(?:verwijderen|wissen) jullie\b|^\s*(?:worden|wordt)\b.*\b"
    r"(?:verwijderd|gewist)\b"
)
# being considered for other vacancies is what consent is about
_TALENT_POOL = re.compile(
    r"talent\s?pool|talentenpool|future (?:vacanc|job|role|position|opening)|"
    r"other (?:vacanc|job|role|position|opening)|toekomstige (?:vacature|functie)|"
    r"andere (?:vacature|functie)"
)
_OUT = re.compile(r"\b(?:out|uit)\b")
_WHO = re.compile(r"^\s*(?:who|wie)\b")
# a question about someone else ("does the hiring manager see my data?"), not "can I see it?"
_THIRD_PERSON_QUESTION = re.compile(
    r"^\s*(?:does|do|is|are|has|have|did|will|would|can|could|may)\s+(?!i\b|we\b|you\b)|"
    r"^\s*(?:kan|kunnen|mag|mogen|heeft|hebben|ziet|zien)\s+"
    r"(?:de|het|een|iemand|anderen|hij|zij|collega's?)\b"
)
# how the employer works ("do you keep copies of my passport?"), not a wish of the applicant
_PRACTICE_QUESTION = re.compile(
    r"^\s*(?:how|what|when|why|where|do|does|did|are|is|will|hoe|wat|wanneer|waarom|waar)\b|"
    r"\bhow long\b|\bhoe ?lang\b|"
    r"^\s*(?:bewaren|bewaart|hebben|heeft|houden|gebruiken|verwerken|slaan|delen|worden|wordt)"
    r"\s+(?:jullie|u|mijn|de|het)\b"
)
# "I don't mind if you keep my CV": a yes, though it holds a "don't"
_FINE = re.compile(
    r"\b(?:don'?t|do not) mind\b|\bno problem\b|\bniet erg\b|\bgeen (?:probleem|bezwaar)\b"
)

_ERASE = re.compile(
    r"\b(?:delet\w*|eras\w*|remov\w*|wipe\w*|anonymi[sz]\w*|"
    r"verwijder\w*|wis|wissen|gewist|vernietig\w*|anonimis\w*)\b"
)
_DATA = re.compile(
    r"\b(?:my|me|mine|all|everything|anything|data|details|info|information|cv|resume|"
    r"profile|account|personal|records?|mij|me|mijn|alles|al|gegevens|persoonsgegevens|"
    r"\w*gegevens|informatie|profiel|account|systeem|systems?|database|it|them|het|ze)\b"
)
_ERASE_PHRASES = re.compile(
    r"\bforget (?:me|about me|my|all)\b|\bforgotten\b|\bright to erasure\b|\barticle 17\b|"
    r"\bvergeet (?:mij|me)\b|\bvergeten (?:te )?worden\b|\bvergetelheid\b|"
    r"\brecht op (?:verwijdering|vergetelheid)\b|\bartikel 17\b|"
    r"\bhaal (?:mij|me|mijn \w+|al mijn \w+)\b.*\b(?:weg|uit)\b|\bweg ?(?:halen|gehaald)\b"
)

_ACCESS = re.compile(
    # asking for the data itself
    r"\b(?:copy|copies|export|overview)\b.{0,25}\b(?:my|me|all|everything|the data|your data)\b|"
    r"\b(?:send|give|email|e-mail|mail|show|forward)(?: me| us)?\b.{0,20}\b(?:my|all(?: the)?)"
    r"(?: \w+)? (?:data|details|information|info|records)\b|"
    r"\b(?:send|give|email|mail|show)\b(?: me)?.{0,15}\b(?:data|information|info)\b.{0,20}"
    r"\b(?:about|on|of) me\b|"
    r"\b(?:see|view|download|get|obtain|receive|access)\b.{0,25}\b(?:my|all(?: the)?)"
    r"(?: \w+)? (?:data|details|information|info|records)\b|"
    r"\b(?:what|which)\b.{0,40}\b(?:data|information|info|details)\b.{0,40}"
    r"\b(?:about|on|of) me\b|"
    r"\bright (?:of|to) access\b|\baccess request\b|\bsubject access\b|\bportability\b|"
    r"\barticle 15\b|"
    # Dutch
    r"\binzage\w*|\binzien\b|\bkopie\b|\bdownloaden\b|\bopvragen\b|\bexport\w*|"
    r"\b(?:stuur|mail|geef|toon|laat|e-mail)\b.{0,20}\b(?:\w*gegevens|data|informatie)\b|"
    r"\b(?:welke|wat voor|wat)\b.{0,40}\b(?:\w*gegevens|data|informatie|info)\b.{0,40}"
    r"\b(?:van|over) (?:mij|me)\b|"
    r"\b(?:mijn|alle|al mijn)\b.{0,25}\b(?:\w*gegevens|data|informatie)\b.{0,30}"
    r"\b(?:zien|bekijken|ontvangen|krijgen|opsturen|sturen|toesturen|mailen|hebben)\b|"
    r"\bartikel 15\b|\bdataportabiliteit\b"
)

_WITHDRAW = re.compile(
    r"\b(?:withdraw\w*|revok\w*|retract\w*|take back|cancel\w*)\b.{0,25}\bconsent\b|"
    r"\bconsent\b.{0,25}\b(?:withdraw\w*|revok\w*|back)\b|\bno longer consent\b|"
    r"\b(?:don'?t|do not|not|no longer)\b.{0,15}\bconsent\b|"
    r"\b(?:don'?t|do not|not|no longer)\b.{0,20}\bkeep\b|"
    r"\btoestemming\b.{0,40}\b(?:intrekken|ingetrokken)\b|\btrek\w*\b.{0,40}\btoestemming\b|"
    r"\bintrekken\b.{0,20}\btoestemming\b|\bgeen toestemming\b|"
    r"\bbewaar\w*\b.{0,30}\bniet\b|\bniet\b.{0,20}\bbewaren\b"
)
_GIVE = re.compile(
    r"\b(?:give|grant|agree)\b.{0,20}\b(?:consent|permission)\b|\bi (?:do )?consent\b|"
    r"\b(?:may|can|please) keep\b|\bconsider me\b|"
    r"\bkeep (?:my|me)\b.{0,20}\b(?:cv|resume|data|details|info|information|profile|file|mind)\b|"
    r"\b(?:add|put|keep) me\b.{0,20}\btalent|"
    r"\b(?:geef|geven)\b.{0,20}\btoestemming\b|\btoestemming\b.{0,10}\b(?:geven|geef)\b|"
    r"\b(?:mogen|mag)\b.{0,30}\bbewaren\b|\bbewaar (?:mijn|me|mij)\b|"
    r"\b(?:zet|houd) (?:me|mij)\b.{0,20}\btalent"
)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_BREAK.split(f" {text.lower()} ") if c.strip()]


def _asks_erasure(clause: str) -> bool:
    if _NEGATION.search(clause) or _POLICY.search(clause) or _TALENT_POOL.search(clause):
        return False
    if _ERASE_PHRASES.search(clause):
        return True
    verb = _ERASE.search(clause)
    return bool(verb and _DATA.search(clause))


def _asks_access(clause: str) -> bool:
    if _WHO.search(clause) or _THIRD_PERSON_QUESTION.search(clause) or _NEGATION.search(clause):
        return False
    if re.match(r"\s*(?:do|does|bewaren|bewaart|houden) (?:you|jullie|u)\b", clause):
        return False  # "do you keep copies of my passport?": how the employer works
    return bool(_ACCESS.search(clause))


def _withdraws(clause: str) -> bool:
    if _FINE.search(clause):
        return False
    if _WITHDRAW.search(clause):
        return True
    # "remove me from the talent pool", "haal me uit de talentpool"
    leaving = _ERASE.search(clause) or _NEGATION.search(clause) or _OUT.search(clause)
    return bool(_TALENT_POOL.search(clause) and leaving)


def _gives(clause: str) -> bool:
    if _FINE.search(clause) and re.search(r"\b(?:keep|bewaren|bewaar\w*)\b", clause):
        return True
    if _PRACTICE_QUESTION.search(clause):
        return False  # "how long do you keep my data?" asks the rules
    return bool(_GIVE.search(clause)) and not _NEGATION.search(clause)


def privacy_wish(text: str) -> str | None:
    """ERASURE, ACCESS, WITHDRAW_CONSENT, CONSENT, or None for a question about the rules.

    An erasure outranks the rest (its answer offers a copy first), and withdrawing consent
    outranks giving it: the safer reading of "I no longer consent"."""
    clauses = _clauses(text or "")
    for wish, test in (
        (ERASURE, _asks_erasure),
        (ACCESS, _asks_access),
        (WITHDRAW_CONSENT, _withdraws),
        (CONSENT, _gives),
    ):
        if any(test(clause) for clause in clauses):
            return wish
    return None


# "I have no access to that mailbox any more": someone who cannot prove it with a code
_NO_MAILBOX = re.compile(
    r"\b(?:no|lost|without|geen)\s+(?:\w+\s+)?(?:access|toegang)\b|"
    r"\b(?:can'?t|cannot|can not|unable to|couldn'?t)\b.{0,30}\b(?:access|get into|open|receive|"
    r"use|log ?in|reach|read)\b|"
    r"\bno longer (?:have|use|own)\b|\b(?:old|former|previous) (?:e-?mail|address|mailbox)\b|"
    r"\bkan\b.{0,30}\bniet (?:meer )?(?:bij|in|openen|ontvangen|gebruiken|inloggen|lezen)\b|"
    r"\bkan (?:er )?niet (?:meer )?(?:bij|in)\b|\bniet meer (?:bij|in gebruik)\b|"
    r"\bgebruik\b.{0,30}\bniet meer\b|\bheb\b.{0,30}\bniet meer\b|"
    r"\b(?:oud|oude|vorige) (?:e-?mail|adres|mailadres|mailbox)\b"
)


def cannot_receive_mail(text: str) -> bool:
    """The applicant says they cannot read the mailbox a code would go to."""
    return bool(_NO_MAILBOX.search((text or "").lower()))
