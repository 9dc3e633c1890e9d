"""Per-ATS fixtures for the web hook contract suite (test_webhook_contract.py): how each ATS
signs a delivery, what forgeries and junk look like for it, and the events its deliveries
carry. The payloads are the vendors' documented ones (tests/ats/sync/payloads), built by the
helpers of test_<ats>.py, which keep what only one ATS does."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ats.models import Application, Status
from ats.settings import Settings
from tests.ats.sync import test_greenhouse as gh
from tests.ats.sync import test_lever as lv
from tests.ats.sync import test_recruitee as rt
from tests.ats.sync import test_workable as wk
from tests.ats.sync.kits import KITS

Signed = tuple[Any, dict[str, str]]  # a raw body (bytes, or junk of another type) and headers

FIRST_AT = "2026-11-18T14:38:36Z"  # when each ATS's first event below happened


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Events:
    """What an ATS whose signature covers the whole event delivers, as bodies to read: the
    application arriving at its first stage (FIRST_AT, screening) and what happens to it."""

    email: str
    first: Callable[[], dict[str, Any]]
    first_stage: str  # the first event's stage, as the employer's mapping names it
    arrived: Callable[[Application], None]  # the ATS's own checks of the application made
    interview: Callable[[str], dict[str, Any]]  # moved to an interview at a time (ISO 8601)
    interview_stage: str  # that interview's stage
    older: Callable[[], list[dict[str, Any]]]  # more events from before 2026-11-20
    withdrawal: Callable[[str], dict[str, Any]]  # the candidate withdrew, at a time
    rejection: Callable[[str], dict[str, Any]]  # the employer rejected them, at a time
    rejection_reason: str  # the rejection's reason, as the employer's mapping names it
    hire: Callable[[str], dict[str, Any]]
    of_no_concern: Callable[[], list[Any]]  # deliveries that change nothing


@dataclass(frozen=True)
class HookKit:
    name: str
    sign: Callable[[str], tuple[bytes, dict[str, str]]]  # a delivery signed under a secret
    signed: Callable[[bytes], bytes]  # what the signature of that delivery covers
    genuine: Callable[[str], list[Signed]]  # other forms of a delivery that verify
    forged: Callable[[str], list[Signed]]  # tampered, forged, junk or oversized: no delivery
    signed_times: Callable[[], list[tuple[bytes, Any, str]]]  # (raw, parsed, its signed time)
    unsigned_times: Callable[[], list[tuple[bytes, Any]]]  # (raw, parsed) without a signed time
    untimed: Callable[[], tuple[dict[str, Any], str]]  # an event without its time, and the field
    changes_nothing: Callable[[], list[Any]]  # pings and tests: read, but nothing to change
    junk: list[Any]  # bodies that read as nothing or as UnusablePayload, never another error
    events: Events | None  # None: what a delivery says is confirmed from the ATS's API first
    extra: Callable[[Settings], Settings] = lambda settings: settings

    def settings(self, settings: Settings) -> Settings:
        return self.extra(settings)


def _headers_with(name: str, values: list[str | None]) -> list[dict[str, str]]:
    return [{} if value is None else {name: value} for value in values]


@dataclass(frozen=True)
class HexHeaderSigning:
    """An ATS that puts the hex HMAC-SHA256 of the raw body in a header of its own."""

    header: str
    payload: Callable[[], Any]
    forgeries: Callable[[str], tuple[str | None, ...]]  # header values, given the digest
    signed_time: str  # the payload's signed time
    no_time: tuple[Any, ...]  # parsed bodies without a signed time
    given_as: str | None = None  # the header as a proxy may pass it on: its name in lower case

    def kit(self, name: str, **rest: Any) -> HookKit:
        raw = json.dumps(self.payload()).encode()
        return HookKit(
            name=name,
            sign=self.sign,
            signed=lambda signed: signed,  # the whole raw body
            genuine=self.genuine,
            forged=self.forged,
            signed_times=lambda: [(raw, self.payload(), self.signed_time)],
            unsigned_times=lambda: [(raw, junk) for junk in self.no_time],
            **rest,
        )

    def sign(self, secret: str) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(self.payload()).encode()
        return raw, {self.header: hex_hmac(secret, raw)}

    def genuine(self, secret: str) -> list[Signed]:
        raw, headers = self.sign(secret)
        return [(raw, {self.given_as or self.header: headers[self.header].upper()})]

    def forged(self, secret: str) -> list[Signed]:
        raw, headers = self.sign(secret)
        digest = headers[self.header]
        values = list(self.forgeries(digest))
        return [(raw + b" ", headers), (raw, {"Signature": digest}), ("text", headers)] + [
            (raw, forged) for forged in _headers_with(self.header, values)
        ]


# Greenhouse: the Signature header, "sha256 <hex HMAC of the body>"


def _greenhouse_sign(secret: str) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(gh.STAGE_CHANGE).encode()
    return raw, {"Signature": f"sha256 {hex_hmac(secret, raw)}"}


def _greenhouse_forged(secret: str) -> list[Signed]:
    raw, headers = _greenhouse_sign(secret)
    digest = headers["Signature"].split()[1]
    forged = (None, "", digest, f"sha1 {digest}", "sha256 ", "sha256 zz", "sha256 ümlaut")
    return [(raw + b" ", headers)] + [(raw, h) for h in _headers_with("Signature", list(forged))]


def _greenhouse_rejection(at: str, reason: str, kind: str) -> dict[str, Any]:
    ids = {"Accepted another offer": 9, "Lacking skill(s)": 4}
    types = {"They rejected us": 2, "We rejected them": 1}
    return gh.event(
        "reject_candidate",
        at=at,
        status="rejected",
        rejected_at=at,
        rejection_reason={
            "id": ids[reason],
            "name": reason,
            "type": {"id": types[kind], "name": kind},
        },
    )


def _greenhouse_arrived(app: Application) -> None:
    assert app.stage == "Phone Screen" and app.vacancy.title == "Designer"
    assert app.recruiter.email == "alicia.flopple@example.com"
    assert app.candidate.name == "Giuseppe Hurley"


GREENHOUSE = HookKit(
    name="greenhouse",
    sign=_greenhouse_sign,
    signed=lambda raw: raw,
    genuine=lambda secret: [],
    forged=_greenhouse_forged,
    signed_times=lambda: [
        (b"", gh.event(), "2026-11-18T14:38:36+00:00"),
        (b"", gh.event(rejected_at="2026-11-19T08:00:00Z"), "2026-11-19T08:00:00+00:00"),
    ],
    unsigned_times=lambda: [
        (b"", junk)
        for junk in (
            {},
            {"payload": []},
            gh.event(at=None),
            gh.event(at="soon"),
            {"action": "ping"},
        )
    ],
    untimed=lambda: (gh.event(at=None), "last_activity_at"),
    # Greenhouse's ping when a web hook is saved carries no time and changes nothing
    changes_nothing=lambda: [{"action": "ping", "payload": {"web_hook_id": 1}}],
    junk=[
        {},
        {"action": "candidate_stage_change"},
        {"action": "candidate_stage_change", "payload": []},
        {"action": ["reject_candidate"], "payload": {"application": "x"}},
    ],
    events=Events(
        email="giuseppe.hurley@example.com",
        first=lambda: gh.event(at=FIRST_AT),
        first_stage="Phone Screen",
        arrived=_greenhouse_arrived,
        interview_stage="Face to Face",
        interview=lambda at: gh.event(current_stage={"id": 2, "name": "Face to Face"}, at=at),
        older=lambda: [],
        withdrawal=lambda at: _greenhouse_rejection(
            at, "Accepted another offer", "They rejected us"
        ),
        rejection=lambda at: _greenhouse_rejection(at, "Lacking skill(s)", "We rejected them"),
        rejection_reason="Lacking skill(s)",
        hire=lambda at: gh.event("hire_candidate", at=at, status="hired"),
        of_no_concern=lambda: [
            gh.event(action) for action in ("delete_candidate", "prospect_created", "job_created")
        ],
    ),
)


# Lever: the body's own `signature`, the HMAC of its `token + triggeredAt`


def _lever_body(secret: str) -> dict[str, Any]:
    return lv.sign(lv.payload("candidateStageChange"), secret)


def _lever_sign(secret: str) -> tuple[bytes, dict[str, str]]:
    return json.dumps(_lever_body(secret)).encode(), {}


def _lever_signed(raw: bytes) -> bytes:
    body = json.loads(raw)
    return f"{body['token']}{body['triggeredAt']}".encode()


def _lever_genuine(secret: str) -> list[Signed]:
    body = _lever_body(secret)
    # the members are found without parsing JSON: a verified body need not even be JSON
    bare = f'"token":"{body["token"]}","triggeredAt":{body["triggeredAt"]},'
    bare += f'"signature":"{body["signature"]}"'
    upper = dict(body, signature=body["signature"].upper())
    quoted = lv.sign(dict(body, triggeredAt=str(body["triggeredAt"])), secret)
    return [
        (bare.encode(), {}),
        (json.dumps(upper).encode(), {}),
        (json.dumps(quoted).encode(), {}),
    ]


def _lever_forged(secret: str) -> list[Signed]:
    body = _lever_body(secret)
    digest = body["signature"]
    bodies: list[Any] = [dict(body, triggeredAt=body["triggeredAt"] + 1)]
    bodies += [
        dict(body, signature=forged)
        for forged in (None, "", "zz", digest[:-1], digest + "0", "ümlaut", 12, ["a"])
    ]
    # a second token, triggeredAt or signature (nested in data) makes the body ambiguous
    bodies += [
        dict(body, data={**body["data"], member: body[member]})
        for member in ("token", "triggeredAt", "signature")
    ]
    bodies.append(dict(body, data={**body["data"], "padding": "x" * lv.lever.MAX_BODY}))
    bodies += [
        dict(body, triggeredAt=True),
        dict(body, triggeredAt=1.5),
        dict(body, triggeredAt=-body["triggeredAt"]),
        dict(body, token=None),
        dict(body, token="a\\u0062c"),
    ]
    raws = [b"", b"[]", b"null", b"{", b"\xff\xfe", b"[" * 100000, b'"token":' * 20000]
    return [(json.dumps(b).encode(), {}) for b in bodies] + [(r, {}) for r in raws] + [("t", {})]


def _lever_signed_times() -> list[tuple[bytes, Any, str]]:
    body = lv.payload("candidateStageChange")
    raw = json.dumps(body).encode()
    signed = lv.at(body["triggeredAt"]).isoformat()
    # the parsed JSON's time is not the signed one when the two differ
    return [(raw, body, signed), (raw, dict(body, triggeredAt=0), signed)]


def _lever_untimed() -> tuple[dict[str, Any], str]:
    body = lv.payload("candidateStageChange")
    del body["triggeredAt"]
    return body, "triggeredAt"


LEVER = HookKit(
    name="lever",
    sign=_lever_sign,
    signed=_lever_signed,
    genuine=_lever_genuine,
    forged=_lever_forged,
    signed_times=_lever_signed_times,
    unsigned_times=lambda: [(b"{}", {})],
    untimed=_lever_untimed,
    # applicationCreated carries ids only: the pull sync fetches new applications
    changes_nothing=lambda: [lv.payload("applicationCreated")],
    junk=[
        {},
        [],
        {"event": "candidateHired"},
        {"event": "candidateHired", "data": []},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o"}},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o", "toArchived": 5}},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o", "toArchived": {}}},
        {"event": "candidateStageChange", "triggeredAt": 10**30, "data": None},
        {"event": ["x"], "triggeredAt": "soon", "data": {"opportunityId": 5}},
        {"event": "candidateHired", "triggeredAt": -(10**20), "data": {"opportunityId": 5}},
    ],
    events=None,  # test_lever.py: each delivery is confirmed from Lever's API
)


# Recruitee: X-Recruitee-Signature, the hex HMAC of the body


_RECRUITEE_SIGNING = HexHeaderSigning(
    "X-Recruitee-Signature",
    lambda: rt.MOVED,
    lambda digest: (None, "", f"sha256={digest}", digest[:-1], "zz", "ümlaut", digest + "ü"),
    "2026-11-18T14:38:36.125000+00:00",
    ({}, {"test": True}, {"created_at": 5}, {"created_at": "yesterday"}),
)


def _recruitee_untimed() -> tuple[dict[str, Any], str]:
    body = rt.moved()
    del body["created_at"]
    return body, "created_at"


def _recruitee_arrived(app: Application) -> None:
    assert app.stage == "Phone screen"  # its category: phone_screen
    assert app.vacancy.title == "Backend Developer"
    assert app.recruiter.email == "ruben.smit@example.com"
    assert app.candidate.name == "Ilse Bakker"
    assert (app.ats_system, app.ats_id) == ("recruitee", "990011")  # the placement


RECRUITEE = _RECRUITEE_SIGNING.kit(
    "recruitee",
    untimed=_recruitee_untimed,
    changes_nothing=lambda: [{"test": True}],  # the Test button
    junk=[
        {},
        {"event_type": "candidate_moved"},
        {"event_type": "candidate_moved", "payload": []},
        {"event_type": "candidate_moved", "payload": {"placement": {"id": [1]}}},
        {"event_type": ["candidate_moved"], "created_at": 5},
        {"event_type": "candidate_moved", "created_at": "yesterday", "payload": None},
        {
            "event_type": "candidate_moved",
            "payload": {
                "placement": {"id": 1, "created_at": 7},
                "details": {"to_stage": {"name": ["x"], "category": 3}},
                "candidate": {"emails": [None, 5, {"value": 1}], "name": {}},
                "offer": {"id": {}, "title": None, "recruiter": []},
            },
        },
        {
            "event_type": "candidate_disqualified",
            "payload": {"placement": {"id": 1, "stage": []}, "details": {"disqualify_reason": 4}},
        },
    ],
    events=Events(
        email=rt.EMAIL,
        first=lambda: rt.moved(FIRST_AT),
        first_stage="Phone screen",
        arrived=_recruitee_arrived,
        interview_stage="Interview",
        interview=lambda at: rt.moved(
            at, {"id": 103, "name": "Interview", "category": "interview"}
        ),
        older=lambda: [rt.disqualified("Not a good fit", at="2026-11-19T09:00:00Z")],
        withdrawal=lambda at: rt.disqualified("Withdrew", at=at),
        rejection=lambda at: rt.disqualified("Not a good fit", at=at),
        rejection_reason="Not a good fit",
        hire=lambda at: rt.moved(at, {"id": 106, "name": "Hired", "category": "hire"}),
        of_no_concern=lambda: (
            [
                rt.moved("2026-11-26T09:00:00Z", event_type=kind)
                for kind in ("candidate_deleted", "candidate_created", "offer_published", None)
            ]
            + [{"test": True}]
        ),
    ),
)


# Workable: X-Workable-Signature, the hex HMAC of the body under the subscription's token


_WORKABLE_SIGNING = HexHeaderSigning(
    "X-Workable-Signature",
    lambda: wk.CREATED,
    lambda digest: (None, "", "zz", f"sha256={digest}", digest[:-1], digest + "0", "ü" * 64, "é"),
    "2026-11-16T09:12:04+00:00",
    ({}, {"fired_at": 12}, {"fired_at": "t"}, {"data": {"updated_at": "x"}}),
    given_as="x-workable-signature",
)


def _workable_untimed() -> tuple[dict[str, Any], str]:
    body = wk.event(at=None)
    del body["fired_at"]
    return body, "fired_at"


def _workable_arrived(app: Application) -> None:
    assert app.stage == "Phone Screen"
    assert app.vacancy.code == "WK-GROOV003" and app.vacancy.title == "Operations Manager"
    assert app.recruiter.email == "eva@example.com" and app.recruiter.name == "Eva Jansen"
    assert app.candidate.name == "Lakita Marrero"
    assert (app.ats_system, app.ats_id) == ("workable", "ce4da98")


def _workable_of_no_concern() -> list[Any]:
    return [
        dict(copy.deepcopy(wk.CREATED), event_type=kind)
        for kind in ("candidate_deleted", "employee_created", "timeoff_updated", None)
    ]


WORKABLE = _WORKABLE_SIGNING.kit(
    "workable",
    untimed=_workable_untimed,
    changes_nothing=lambda: [[]],
    junk=[
        {},
        [],
        {"event_type": "candidate_moved"},
        {"event_type": "candidate_moved", "data": []},
        {"event_type": "candidate_moved", "data": None},
        {"event_type": "candidate_moved", "data": "ce4da98", "fired_at": 12},
        {"event_type": ["candidate_moved"], "data": {}},
        {"event_type": "candidate_created", "data": {"id": {}, "job": "x", "stage": 3}},
        {"event_type": "candidate_created", "data": {"updated_at": [], "email": 5, "job": {}}},
        {"event_type": "candidate_created", "data": {"stage_kind": 1, "disqualified": "yes"}},
    ],
    events=Events(
        email=wk.EMAIL,
        first=lambda: wk.event(at=FIRST_AT),
        first_stage="Phone Screen",
        arrived=_workable_arrived,
        interview_stage="Interview",
        interview=lambda at: wk.event(stage="Interview", at=at),
        older=lambda: [wk.CREATED],  # from the 16th
        withdrawal=lambda at: wk.event(
            at=at,
            disqualified=True,
            withdrew=True,
            disqualification_reason="Took another job",
            disqualified_at=at,
        ),
        rejection=lambda at: wk.event(
            at=at, disqualified=True, disqualification_reason="Underqualified"
        ),
        rejection_reason="Underqualified",
        hire=lambda at: wk.event(stage="Hired", hired_at=at[:10], at=at),
        of_no_concern=_workable_of_no_concern,
    ),
    extra=KITS["workable"].extra,  # the desk's default recruiter takes its applications
)


HOOK_KITS = {kit.name: kit for kit in (GREENHOUSE, LEVER, RECRUITEE, WORKABLE)}


def status_of(event: Any) -> Status:
    """The status an event read from a delivery gives: its row's, else its change's."""
    if event.row is not None:
        return Status(event.row.status)
    assert event.change is not None
    return Status(event.change.status)
