"""The web chat channel's token check: only a valid signed careers-site session counts."""

import time

import jwt
import pytest

from channels.webchat import WebChatSettings, check_token, message_metadata, valid_session_id

SECRET = "careers-site-secret-at-least-32-bytes-long"


def token(secret: str = SECRET, **claims) -> str:
    claims = {"sub": "aisha.okafor@example.com", "exp": int(time.time()) + 600, **claims}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


def test_a_valid_token_gives_its_subject():
    assert check_token(token(), SECRET) == ("aisha.okafor@example.com", None)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (token(exp=int(time.time()) - 3600), "expired"),
        (token(secret="someone-else-with-a-key-that-is-long-enough"), "invalid"),  # forged
        (token(exp=None), "invalid"),  # a token that never expires is not accepted
        (token(sub=None), "invalid"),
        (token(sub=""), "invalid"),
        ("not.a.token", "invalid"),
        (jwt.encode({"sub": "x", "exp": int(time.time()) + 600}, None, "none"), "invalid"),
    ],
    ids=["expired", "forged", "no-expiry", "no-subject", "empty-subject", "garbage", "alg-none"],
)
def test_bad_tokens_are_refused(bad, why):
    assert check_token(bad, SECRET) == (None, why)


def test_tokens_are_refused_when_no_secret_is_configured():
    assert check_token(token(), None) == (None, "not_configured")
    assert check_token(None, SECRET) == (None, None)  # no token: nothing to say


def test_the_browser_cannot_forge_the_outcome():
    forged = {
        "language": "nl",
        "webchat_identity": {"subject": "aisha.okafor@example.com"},
        "webchat_token_refused": None,
    }
    assert message_metadata(forged, SECRET) == {"language": "nl"}
    checked = message_metadata({"token": token(), "language": "en"}, SECRET)
    assert checked == {
        "language": "en",
        "webchat_identity": {"subject": "aisha.okafor@example.com"},
    }
    assert message_metadata(
        {"token": token(secret="another-site-entirely-with-its-own-long-key")}, SECRET
    ) == {"webchat_token_refused": "invalid"}
    assert message_metadata("not json", SECRET) == {}


def test_allowed_origins_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("HELPDESK_WEBCHAT_ORIGINS", raising=False)
    assert WebChatSettings.from_env().allowed_origins == "*"
    monkeypatch.setenv("HELPDESK_WEBCHAT_ORIGINS", "https://careers.example.com/, https://x.nl")
    assert WebChatSettings.from_env().allowed_origins == [
        "https://careers.example.com",
        "https://x.nl",
    ]


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
