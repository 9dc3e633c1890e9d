"""Guessing against the running help desk: 1,000 references, 1,000 email addresses and 1,000
codes through the real status conversation over REST, from several conversations at once.

Nothing may tell a guesser whether an application exists: every reply is the same (after the
address or reference they typed is taken out), no reply names a person, a vacancy or a status,
no code goes to an address that is not the applicant's own, and after
HELPDESK_MAX_FAILED_ATTEMPTS (5) wrong codes the conversation is locked: the bot says so and
takes no code, not even the right one. The application is never locked for its applicant: in a
conversation of their own they get a code, and (once strangers have spent its bound) the
one-click link in the code's mail (tests/security/test_mailbox_link.py).

Each conversation comes from a client address of its own (X-Forwarded-For, through the proxy
the help desk trusts): the channels' limit per client (HELPDESK_MESSAGES_PER_MINUTE) is tested
in test_bad_input.py, and here it would only slow the guesser down.

The tests share the help desk of tests/security/conftest.py and run in file order.
"""

from __future__ import annotations

import email
import random
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from ats.demo import APPLICANTS, RECRUITERS, VACANCIES
from ats.models import Status
from ats.reference import ALPHABET, format_reference
from speech.catalogue import say
from tests.security.conftest import API_TOKEN, new_client
from tests.servers import RunningHelpdesk
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

WORKERS = 16
# The intents of a message that gives a reference, an address or a code.
IDENTIFIERS = {"check_status", "provide_reference", "provide_email", "provide_code"}
MAX_ATTEMPTS = 5  # HELPDESK_MAX_FAILED_ATTEMPTS' default
DEMO_REFERENCES = {a.reference for a in APPLICANTS}
DEMO_EMAILS = {a.email for a in APPLICANTS}
OLIVER = ("AP-9TRB-X2KE", "oliver.bennett@example.com")
ASK_EMAIL = "Which email address did you apply with?"
CODE_SENT = "If that matches an application, I've just emailed a 6-digit code to"
WRONG_CODE = "That code isn't right. You can try {} more time(s)"
LOCKED = "That was too many wrong codes, so I've paused checking"
CONFIRM_BY_LINK = "please first open the link in the same email"
REFERENCE = re.compile(r"\bAP[\s-]?[0-9A-Z]{4}[\s-]?[0-9A-Z]{4}\b", re.IGNORECASE)
LOCKED_UNTIL = re.compile(r"until \w+ \d+ \w+( \d{4})? at \d\d:\d\d")
ADDRESS = re.compile(r"\S+@\S+")


def disclosures() -> list[str]:
    """What a reply to a stranger must never contain: people, vacancies, stages, statuses."""
    words = set()
    for applicant in APPLICANTS:
        words |= {applicant.name, *applicant.name.split(), applicant.stage or ""}
    words |= {name for name, _ in RECRUITERS.values()}
    words |= {title for title, _ in VACANCIES.values()} | set(VACANCIES)
    words |= {
        say(f"status.{status.value}", language) for status in Status for language in ("en", "nl")
    }
    return sorted(w for w in words if len(w) > 2 and w not in ("van", "der", "de"))


FORBIDDEN = disclosures()


class Chats:
    """REST conversations, one requests session per thread; every reply is kept."""

    def __init__(self, helpdesk: RunningHelpdesk) -> None:
        self.webhook = helpdesk.webhook
        self.local = threading.local()
        self.replies: list[str] = []
        self.messages = 0
        self.clients: dict[str, dict[str, str]] = {}  # conversation -> its client's headers
        self.clients_lock = threading.Lock()

    def say(self, sender: str, text: str) -> str:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        with self.clients_lock:
            headers = self.clients.setdefault(sender, new_client())
        answer = self.local.session.post(
            self.webhook, json={"sender": sender, "message": text}, headers=headers, timeout=60
        )
        assert answer.status_code == 200, answer.text
        reply = " ".join(m.get("text", "") for m in answer.json())
        self.replies.append(reply)
        self.messages += 1
        return reply

    def run(self, conversations: Iterable[Callable[[], list[str]]]) -> list[list[str]]:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(lambda conversation: conversation(), conversations))


def normalised(reply: str, typed: Iterable[str] = ()) -> str:
    """The reply with what the guesser typed (an address, a reference) and the lock's end
    taken out: what is left must not depend on whether anything matched."""
    reply = REFERENCE.sub("<reference>", reply)  # the help text's example too
    for text in typed:
        reply = reply.replace(text, "<typed>")
    return LOCKED_UNTIL.sub("until <time>", reply)


def random_references(rng: random.Random, count: int) -> list[str]:
    """Valid-looking references that are not in the demo data, written as people write them."""
    found: set[str] = set()
    while len(found) < count:
        reference = format_reference("".join(rng.choice(ALPHABET) for _ in range(8)))
        if reference not in DEMO_REFERENCES:
            found.add(reference)
    styles = [
        str,
        str.lower,
        lambda r: r.replace("-", ""),
        lambda r: r.replace("-", " ").lower(),
        lambda r: f"my reference is {r}",
    ]
    return [rng.choice(styles)(r) for r in sorted(found)]


FIRST = ["anna", "bas", "chen", "david", "eline", "fatma", "gijs", "hana", "ivan", "julia"]
LAST = ["jansen", "smith", "okafor", "devries", "kim", "bakker", "garcia", "nguyen", "visser"]
DOMAINS = ["example.com", "example.nl", "gmail.com", "outlook.com", "mail.example.org"]


def random_emails(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        address = (
            f"{rng.choice(FIRST)}{rng.choice(['.', '_', ''])}{rng.choice(LAST)}"
            f"{rng.randrange(1000)}@{rng.choice(DOMAINS)}"
        )
        if address not in DEMO_EMAILS:
            found.add(address)
    return [a.upper() if rng.random() < 0.1 else a for a in sorted(found)]


def outbox(helpdesk: RunningHelpdesk) -> dict[Path, email.message.Message]:
    return {
        path: email.message_from_bytes(path.read_bytes()) for path in helpdesk.outbox.glob("*.eml")
    }


@pytest.fixture(scope="module")
def chats(helpdesk) -> Chats:
    return Chats(helpdesk)


@pytest.fixture(scope="module")
def mail_before(helpdesk) -> set[Path]:
    return set(outbox(helpdesk))


def new_mail(helpdesk, before: set[Path]) -> list[email.message.Message]:
    return [m for path, m in outbox(helpdesk).items() if path not in before]


# A probe: the conversation, what the guesser typed, the reply (normalised), whether it is real.
Probe = tuple[str, str, str, bool]


def intent_of(helpdesk, sender: str, typed: str) -> str:
    """What the language model read `typed` as, in this conversation (from Rasa's API)."""
    answer = requests.get(
        f"http://localhost:{helpdesk.rasa_port}/conversations/{sender}/tracker",
        params={"token": API_TOKEN},
        timeout=60,
    )
    for event in answer.json()["events"]:
        if event["event"] == "user" and event["text"] == typed.strip():
            return event["parse_data"]["intent"]["name"]
    raise AssertionError(f"{typed!r} is not in conversation {sender}")


def assert_the_same_for_all(helpdesk, probes: list[Probe]) -> str:
    """One reply for every probe, real or made up; returns it.

    The only others may be for messages the language model misread (an address read as
    "yes"): it reads the text alone, never the ATS, so that cannot tell what exists; they
    must be rare, and they are named in the failure message when they are not.
    """
    usual, _ = Counter(reply for _, _, reply, _ in probes).most_common(1)[0]
    misread = {}
    for sender, typed, reply, real in probes:
        if reply != usual:
            intent = intent_of(helpdesk, sender, typed)
            assert intent not in IDENTIFIERS, (typed, real, intent, reply)
            misread[typed] = (intent, reply[:60])
    assert len(misread) <= len(probes) // 100, misread
    return usual


def assert_nothing_disclosed(replies: Iterable[str]) -> None:
    for reply in replies:
        said = ADDRESS.sub("<address>", reply)  # the only address a reply has is the one typed
        leaked = [word for word in FORBIDDEN if word in said]
        assert not leaked, (leaked, reply)


def test_1000_references_all_get_the_same_reply(helpdesk, chats, mail_before):
    rng = random.Random(8001)
    probes = random_references(rng, 955)
    # real references, with an address that is not theirs (a stranger's, or another
    # applicant's); in any order among the made-up ones
    real = sorted(DEMO_REFERENCES) * 3
    probes += real
    rng.shuffle(probes)
    other_applicant = "aisha.okafor@example.com"
    aisha = {a.reference for a in APPLICANTS if a.email == other_applicant}
    batches = [probes[i : i + 20] for i in range(0, len(probes), 20)]

    def conversation(number: int, batch: list[str]) -> Callable[[], list[str]]:
        address = other_applicant if number % 10 == 0 else f"probe{number}@example.org"
        batch = [r for r in batch if not (address == other_applicant and r.upper() in aisha)]

        def talk() -> list[Probe]:
            sender = f"enum-ref-{number}"
            chats.say(sender, "Where is my application?")
            first = chats.say(sender, batch[0])
            assert ASK_EMAIL in first, (batch[0], first)
            chats.say(sender, address)
            return [
                (sender, r, normalised(chats.say(sender, r), [address, r]), r in real)
                for r in batch[1:]
            ]

        return talk

    results = chats.run(conversation(n, batch) for n, batch in enumerate(batches))
    probes = [probe for result in results for probe in result]
    assert len(probes) >= 900 and sum(real for *_, real in probes) >= 30
    assert assert_the_same_for_all(helpdesk, probes).startswith(CODE_SENT)
    assert_nothing_disclosed(chats.replies)
    assert not new_mail(helpdesk, mail_before)  # no reference matched its address


def test_1000_addresses_all_get_the_same_reply(helpdesk, chats, mail_before):
    rng = random.Random(8002)
    real = sorted(DEMO_EMAILS)  # each applicant's own address, once: they get a code
    probes = random_emails(rng, 1000 - len(real)) + real
    rng.shuffle(probes)
    batches = [probes[i : i + 20] for i in range(0, len(probes), 20)]

    def conversation(number: int, batch: list[str]) -> Callable[[], list[str]]:
        def talk() -> list[Probe]:
            sender = f"enum-email-{number}"
            chats.say(sender, "Where is my application?")
            return [(sender, a, normalised(chats.say(sender, a), [a]), a in real) for a in batch]

        return talk

    results = chats.run(conversation(n, batch) for n, batch in enumerate(batches))
    probes = [probe for result in results for probe in result]
    assert len(probes) == 1000
    assert assert_the_same_for_all(helpdesk, probes).startswith(CODE_SENT)
    assert_nothing_disclosed(chats.replies)

    # a code went to each real applicant's own address, once, and to nobody else
    mails = new_mail(helpdesk, mail_before)
    assert all("code" in m["Subject"].lower() for m in mails)
    assert Counter(m["To"] for m in mails) == Counter(real)


def twin(text: str, alphabet: str, taken: set[str]) -> str:
    """`text` with one character changed (the last of `alphabet` before any @): the same
    shape, and nobody's."""
    at = max(i for i, c in enumerate(text.split("@")[0]) if c in alphabet)
    for c in alphabet:
        other = text[:at] + c + text[at + 1 :]
        if other != text and other not in taken:
            return other
    raise AssertionError(text)


def test_a_real_reference_or_address_reads_like_a_made_up_one(helpdesk, chats):
    """Side by side: a real reference (with a stranger's address) and its made-up twin; a
    real applicant's address and its made-up twin. The same words, after what was typed,
    up to a wrong code."""
    pairs = [(r, twin(r, ALPHABET, DEMO_REFERENCES)) for r in sorted(DEMO_REFERENCES)]
    pairs += [(a, twin(a, "abcdefghijklmnopqrstuvwxyz", DEMO_EMAILS)) for a in sorted(DEMO_EMAILS)]

    def conversation(number: int, typed: str) -> Callable[[], list[str]]:
        def talk() -> list[str]:
            sender = f"enum-twin-{number}"
            replies = [chats.say(sender, "Where is my application?")]
            if typed.startswith("AP"):
                replies.append(chats.say(sender, f"my reference is {typed}"))
                replies.append(chats.say(sender, "my email address is twin@example.org"))
            else:
                replies.append(chats.say(sender, f"my email address is {typed}"))
            code = last_code(helpdesk, typed) if typed in DEMO_EMAILS else None
            replies.append(chats.say(sender, "123456" if code != "123456" else "654321"))
            return [normalised(reply, [typed]) for reply in replies]

        return talk

    typed = [t for pair in pairs for t in pair]
    results = chats.run(conversation(n, t) for n, t in enumerate(typed))
    for number, (real, made_up) in enumerate(pairs):
        assert results[2 * number] == results[2 * number + 1], (real, made_up)
        assert results[2 * number][-1].startswith(WRONG_CODE.format(MAX_ATTEMPTS - 1))
    assert_nothing_disclosed(r for result in results for r in result)


def test_1000_codes_lock_every_conversation_after_five(helpdesk, chats, mail_before):
    sent_before = chats.messages
    rng = random.Random(8003)
    references = random_references(rng, 100) + sorted(DEMO_REFERENCES) * 4
    addresses = random_emails(rng, 40)
    setups = [f"{r} probe-code{i}@example.org" for i, r in enumerate(references)] + addresses
    assert len(setups) == 200
    codes = [f"{rng.randrange(1_000_000):06d}" for _ in range(len(setups) * MAX_ATTEMPTS)]
    codes = [c if rng.random() < 0.8 else f"the code is {c}" for c in codes]
    later = [f"{rng.randrange(1_000_000):06d}" for _ in setups]

    def conversation(number: int, setup: str) -> Callable[[], list[str]]:
        guesses = codes[number * MAX_ATTEMPTS : (number + 1) * MAX_ATTEMPTS]

        def talk() -> list[str]:
            sender = f"enum-code-{number}"
            address = setup.split()[-1]
            replies = [normalised(chats.say(sender, setup), [address])]
            replies += [normalised(chats.say(sender, guess)) for guess in guesses]
            # locked: another code, or a new address, gets the same answer
            replies.append(normalised(chats.say(sender, later[number])))
            replies.append(normalised(chats.say(sender, "another@example.org")))
            return replies

        return talk

    results = chats.run(conversation(n, setup) for n, setup in enumerate(setups))
    assert len({tuple(result) for result in results}) == 1, Counter(map(tuple, results))
    [first, *attempts] = results[0]
    assert first.startswith(CODE_SENT)
    for left, reply in zip(range(MAX_ATTEMPTS - 1, 0, -1), attempts, strict=False):
        assert reply.startswith(WRONG_CODE.format(left)), reply
    assert all(reply.startswith(LOCKED) for reply in attempts[MAX_ATTEMPTS - 1 :])
    assert_nothing_disclosed(chats.replies)
    # real references with a stranger's address: no code was sent, so nothing to guess
    assert not [m for m in new_mail(helpdesk, mail_before) if "probe" in m["To"]]
    # every guess answered (the module's chats are per worker process, so only this test's)
    assert chats.messages - sent_before == len(setups) * (MAX_ATTEMPTS + 3)


def test_wrong_codes_lock_the_conversation_never_the_applicant(helpdesk, chats):
    reference, address = OLIVER
    before = len([m for m in outbox(helpdesk).values() if m["To"] == address])
    assert chats.say("enum-oliver-a", f"{reference} {address}").startswith(CODE_SENT)
    code = last_code(helpdesk, address)
    wrong = [c for c in ("111111", "222222", "333333", "444444", "555555", "666666") if c != code]
    replies = [chats.say("enum-oliver-a", guess) for guess in wrong[:MAX_ATTEMPTS]]
    assert replies[-1].startswith(LOCKED)
    # the right code, now: still locked, nothing disclosed
    assert chats.say("enum-oliver-a", code).startswith(LOCKED)

    # the applicant, in a conversation of their own, still gets a code and gets in: with the
    # code alone, or, once the guessing bounds are spent (the 1,000 codes above spent the
    # total), with the code after the one-click link in the same mail
    assert chats.say("enum-oliver-b", f"{reference} {address}").startswith(CODE_SENT)
    own = last_code(helpdesk, address)
    answer = chats.say("enum-oliver-b", own)
    if CONFIRM_BY_LINK in answer:
        mail = newest_code_mail(helpdesk, address)
        token = re.search(r"/verify/([A-Za-z0-9_-]+)", mail).group(1)
        confirmed = requests.post(
            f"http://localhost:{helpdesk.rasa_port}/verify/{token}", timeout=10
        )
        assert confirmed.status_code == 200
        answer = chats.say("enum-oliver-b", own)
    # his status: the update he was promised is late (the demo's dates), said to him alone
    assert "promised you an update" in answer and CONFIRM_BY_LINK not in answer
    chats.say("enum-oliver-c", "Where is my application?")
    assert chats.say("enum-oliver-c", address).startswith(CODE_SENT)
    time.sleep(1)  # mail is written before the reply; this only makes a late one visible
    after = len([m for m in outbox(helpdesk).values() if m["To"] == address])
    assert after == before + 3  # one per conversation that asked: none for the locked one
    # of all the codes ever mailed here, none went to an address that is not an applicant's
    codes = [m for m in outbox(helpdesk).values() if "code" in m["Subject"].lower()]
    assert codes and {m["To"] for m in codes} <= DEMO_EMAILS


def newest_code_mail(helpdesk: RunningHelpdesk, address: str) -> str:
    mails = sorted(
        (path for path, m in outbox(helpdesk).items() if m["To"] == address),
        key=lambda path: path.stat().st_mtime,
    )
    return email.message_from_bytes(mails[-1].read_bytes()).get_payload(decode=True).decode()


def test_a_match_answers_no_later_than_a_miss(helpdesk):
    """Timing is a reply too: an address on file must not answer measurably later."""
    session = requests.Session()
    clients: dict[str, dict[str, str]] = {}

    def timed(sender: str, text: str) -> float:
        headers = clients.setdefault(sender, new_client())
        started = time.perf_counter()
        session.post(
            helpdesk.webhook,
            json={"sender": sender, "message": text},
            headers=headers,
            timeout=60,
        )
        return time.perf_counter() - started

    later = []
    for number in range(30):
        for sender in (f"enum-time-hit-{number}", f"enum-time-miss-{number}"):
            timed(sender, "Where is my application?")
        hit = timed(f"enum-time-hit-{number}", "emily.clarke@example.com")
        miss = timed(f"enum-time-miss-{number}", f"emily.clarke{number}@example.com")
        later.append(hit > miss)
    # without a difference about half the hits come later; a difference makes it nearly all
    assert statistics.mean(later) < 0.8, f"{statistics.mean(later):.0%} of the hits later"
