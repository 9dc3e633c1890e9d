"""The web chat channel's token check: only a valid signed careers-site session counts, and
only what the help desk reads of a browser's metadata is kept."""

import time

import jwt
import pytest

from ats.settings import Settings, TokenRules
from channels.webchat import (
    check_token,
    message_metadata,
    valid_session_id,
)

SECRET = "careers-site-secret-at-least-32-bytes-long"
RULES = TokenRules(SECRET)
SITE = TokenRules(SECRET, audience="helpdesk", issuer="https://careers.example.com")


def token(secret: str = SECRET, **claims) -> str:
    now = int(time.time())
    claims = {"sub": "aisha.okafor@example.com", "iat": now, "exp": now + 600, **claims}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


def identity(subject: str, signed: str) -> dict:
    return {
        "subject": subject,
        "expires_at": jwt.decode(signed, options={"verify_signature": False})["exp"],
    }


def test_a_valid_token_gives_its_subject_and_when_it_expires():
    signed = token()
    assert check_token(signed, RULES) == (identity("aisha.okafor@example.com", signed), None)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (lambda: token(exp=int(time.time()) - 3600), "expired"),
        (lambda: token(secret="someone-else-with-a-key-that-is-long-enough"), "invalid"),  # forged
        (lambda: token(exp=None), "invalid"),  # a token that never expires is not accepted
        (lambda: token(iat=None), "invalid"),  # nor one that does not say when it was issued
        (lambda: token(sub=None), "invalid"),
        (lambda: token(sub=""), "invalid"),
        (lambda: "not.a.token", "invalid"),
        (lambda: jwt.encode({"sub": "x", "exp": int(time.time()) + 600}, None, "none"), "invalid"),
        (lambda: "x" * 5000, "invalid"),
    ],
    ids=[
        "expired",
        "forged",
        "no-expiry",
        "no-issued-at",
        "no-subject",
        "empty-subject",
        "garbage",
        "alg-none",
        "huge",
    ],
)
def test_bad_tokens_are_refused(bad, why):
    # made when the test runs: a token made at collection could expire before a long run gets here
    assert check_token(bad(), RULES) == (None, why)


def test_tokens_are_refused_when_no_secret_is_configured():
    assert check_token(token(), TokenRules(None)) == (None, "not_configured")
    assert check_token(None, RULES) == (None, None)  # no token: nothing to say


def test_a_token_valid_for_longer_than_the_maximum_is_refused():
    """A careers site that signs day-long (or year-long) tokens hands out keys, not sessions:
    one copied from a shared computer's page would prove who its applicant is long after."""
    now = int(time.time())
    assert check_token(token(iat=now, exp=now + 61 * 60), RULES) == (None, "invalid")
    assert check_token(token(iat=now, exp=now + 365 * 86400), RULES) == (None, "invalid")
    signed = token(iat=now, exp=now + 60 * 60)  # exactly the default maximum: accepted
    assert check_token(signed, RULES)[0] == identity("aisha.okafor@example.com", signed)
    shorter = TokenRules(SECRET, max_minutes=15)
    assert check_token(token(iat=now, exp=now + 20 * 60), shorter) == (None, "invalid")
    # issued in the future, to stretch the lifetime past the maximum from now: refused
    assert check_token(token(iat=now + 3600, exp=now + 4000), RULES) == (None, "invalid")


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"aud": "helpdesk", "iss": "https://careers.example.com"}, True),
        ({"aud": ["helpdesk", "intranet"], "iss": "https://careers.example.com"}, True),
        ({"aud": "intranet", "iss": "https://careers.example.com"}, False),
        ({"iss": "https://careers.example.com"}, False),  # no audience at all
        ({"aud": "helpdesk", "iss": "https://intranet.example.com"}, False),
        ({"aud": "helpdesk"}, False),  # no issuer at all
    ],
    ids=["right", "one-of-several", "other-audience", "no-audience", "other-issuer", "no-issuer"],
)
def test_audience_and_issuer_are_checked_when_configured(claims, accepted):
    """The same signing key may serve other systems of the employer (an intranet, a portal):
    their tokens, for their audience or from their issuer, are no careers-site login."""
    signed = token(**claims)
    subject, refused = check_token(signed, SITE)
    if accepted:
        assert (subject, refused) == (identity("aisha.okafor@example.com", signed), None)
    else:
        assert (subject, refused) == (None, "invalid")


def test_the_browser_cannot_forge_the_outcome():
    forged = {
        "language": "nl",
        "webchat_identity": {"subject": "aisha.okafor@example.com"},
        "webchat_token_refused": None,
    }
    assert message_metadata(forged, RULES) == {"language": "nl"}
    signed = token()
    checked = message_metadata({"token": signed, "language": "en"}, RULES)
    assert checked == {
        "language": "en",
        "webchat_identity": identity("aisha.okafor@example.com", signed),
    }
    assert message_metadata(
        {"token": token(secret="another-site-entirely-with-its-own-long-key")}, RULES
    ) == {"webchat_token_refused": "invalid"}
    assert message_metadata("not json", RULES) == {}
    # the client is the channel's to say, never the browser's
    forged_client = {"helpdesk_client": "0" * 32, "language": "en"}
    assert message_metadata(forged_client, RULES) == {"language": "en"}
    assert message_metadata(forged_client, RULES, "a" * 32) == {
        "language": "en",
        "helpdesk_client": "a" * 32,
    }


def test_only_a_language_code_is_kept_of_what_the_browser_sends():
    """Rasa stores a message's metadata with it for good: nothing else gets in."""
    sent = {
        "language": "nl-BE",
        "customData": {"x": "y" * 10_000},
        "page": "https://careers.example.com/" + "a" * 5000,
        "token": None,
    }
    assert message_metadata(sent, RULES) == {"language": "nl-BE"}
    for junk in ("x" * 100, "nl; DROP TABLE", 5, ["nl"], {"nl": 1}, "", "<script>"):
        assert message_metadata({"language": junk}, RULES) == {}


def test_token_rules_come_from_the_environment(monkeypatch):
    for name in ("AUDIENCE", "ISSUER", "MAX_MINUTES"):
        monkeypatch.delenv(f"HELPDESK_WEBCHAT_JWT_{name}", raising=False)
    monkeypatch.setenv("HELPDESK_WEBCHAT_JWT_SECRET", SECRET)
    assert Settings.from_env().webchat.token_rules == TokenRules(SECRET, None, None, 60)
    monkeypatch.setenv("HELPDESK_WEBCHAT_JWT_AUDIENCE", " helpdesk ")
    monkeypatch.setenv("HELPDESK_WEBCHAT_JWT_ISSUER", "https://careers.example.com")
    monkeypatch.setenv("HELPDESK_WEBCHAT_JWT_MAX_MINUTES", "15")
    assert Settings.from_env().webchat.token_rules == TokenRules(
        SECRET, "helpdesk", "https://careers.example.com", 15
    )
    from ats.settings import ConfigurationError

    monkeypatch.setenv("HELPDESK_WEBCHAT_JWT_MAX_MINUTES", "a day")
    with pytest.raises(ConfigurationError, match="HELPDESK_WEBCHAT_JWT_MAX_MINUTES"):
        Settings.from_env()


def test_allowed_origins_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("HELPDESK_WEBCHAT_ORIGINS", raising=False)
    assert Settings.from_env().webchat.allowed_origins == "*"
    monkeypatch.setenv("HELPDESK_WEBCHAT_ORIGINS", "https://careers.example.com/, https://x.nl")
    assert Settings.from_env().webchat.allowed_origins == (
        "https://careers.example.com",
        "https://x.nl",
    )


def test_only_session_ids_like_the_servers_own_are_taken():
    assert valid_session_id("0123456789abcdef0123456789abcdef")
    for bad in (
        None,
        42,
        "",
        "short",
        "x" * 65,
        "../../etc/passwd",
        "a b c d e f g h",
        "987654321",  # a Telegram chat's conversation
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcdeg",
    ):
        assert not valid_session_id(bad)
