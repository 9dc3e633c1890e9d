"""The audit log as a person reads it: each entry's action in words ("Failed login", "Status set
to Screening"), in the reader's language, and its subject as a link where the desk has a page
for it ("escalation 12" opens /desk/escalations/12).

The log stores short action names (written by desk code, the eraser and the retention purge);
their words are desk.audit_actions in speech/catalogue/. An action this version has no words
for (written by a newer help desk sharing the database) is shown as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ats.models import STATUS_VALUES, AuditEntry
from speech.catalogue import catalogue, say

ESCALATION = re.compile(r"escalation (\d{1,10})")
APPLICATION = re.compile(r"application (\d{1,10})")


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str  # in words
    subject: str  # in words ("" for none)
    link: str | None  # the subject's page in the desk
    detail: str


def status_words(value: str, language: str) -> str:
    """A status as recruiters name it ("Screening"); older entries stored "Status.SCREENING"."""
    value = value.removeprefix("Status.").lower()
    return catalogue().name_of("desk.status_names", value, language)


def described(entry: AuditEntry, language: str) -> AuditLine:
    action, detail = entry.action, entry.detail or ""
    if action == "status_change" and detail.removeprefix("Status.").lower() in STATUS_VALUES:
        words = say("desk.audit_status_set", language, status=status_words(detail, language))
        detail = ""
    else:
        words = catalogue().name_of("desk.audit_actions", action, language)
    subject, link = entry.subject or "", None
    if found := ESCALATION.fullmatch(subject):
        subject = say("desk.audit_escalation", language, id=found.group(1))
        link = f"/desk/escalations/{found.group(1)}"
    elif found := APPLICATION.fullmatch(subject):
        subject = say("desk.audit_application", language, id=found.group(1))
    elif subject == "login link":
        subject = say("desk.audit_login_link", language)
    return AuditLine(entry.at, entry.actor, words, subject, link, detail)
