"""The readable copy of what the help desk holds about an applicant, for their access request:
a small HTML document in their language, dates in words, every value escaped (the data holds
what applicants and recruiters typed). The machine-readable copy is `ApplicantExport.to_json()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from ats.privacy.export import ApplicantExport, ExportedApplication
from ats.records import Attachment, Mail
from speech.catalogue import catalogue, say
from speech.dates import day_and_time

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;"
    "line-height:1.45;color:#222}table{border-collapse:collapse;margin:.5em 0 1em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}h2{margin-top:1.6em}.said{white-space:pre-wrap}"
)


class _Document:
    """The document's words in one language, and its parts as HTML."""

    def __init__(self, language: str, tz: ZoneInfo) -> None:
        self.language = language
        self.tz = tz

    def t(self, key: str, **values: object) -> str:
        return say(f"mail.data_export.document.{key}", self.language, **values)

    def name_of(self, names: str, value: str) -> str:
        return catalogue().name_of(names, value, self.language)

    def when(self, moment: datetime | None) -> str:
        return day_and_time(moment, self.language, self.tz) if moment else "–"

    def rows(self, pairs: Iterable[tuple[str, str]]) -> str:
        """A two-column table: a label, its value (escaped here)."""
        body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)
        return f"<table>{body}</table>"

    def table(self, heads: Sequence[str], lines: Iterable[Sequence[str]]) -> str:
        head = "".join(f"<th>{escape(h)}</th>" for h in heads)
        body = "".join(
            "<tr>" + "".join(f'<td class="said">{escape(v)}</td>' for v in line) + "</tr>"
            for line in lines
        )
        return f"<table><tr>{head}</tr>{body}</table>" if body else self.nothing()

    def nothing(self) -> str:
        return f"<p>{escape(self.t('none'))}</p>"

    def status(self, value: str | None) -> str:
        return self.name_of("mail.data_export.document.statuses", value) if value else "–"

    def application(self, app: ExportedApplication) -> str:
        t = self.t
        pairs = [
            (t("vacancy"), f"{app.vacancy_title} ({app.vacancy_code})"),
            (t("reference"), app.reference),
            (t("recruiter"), app.recruiter),
            (t("applied"), self.when(app.applied_at)),
            (t("ack_due"), self.when(app.ack_due_at)),
            (t("acknowledged"), self.when(app.acknowledged_at)),
            (t("status"), self.status(app.status)),
            (t("stage"), app.stage or "–"),
            (t("next_update"), self.when(app.next_update_due_at)),
            (t("closed"), self.when(app.closed_at)),
            (t("close_reason"), app.close_reason or "–"),
            (t("source"), app.ats_system or "–"),
        ]
        history = self.table(
            [t("when"), t("status"), t("stage"), t("source")],
            [
                (
                    self.when(event.occurred_at),
                    f"{self.status(event.from_status)} → {self.status(event.to_status)}",
                    event.stage or "–",
                    event.source + (f": {event.note}" if event.note else ""),
                )
                for event in app.history
            ],
        )
        return (
            f"<h3>{escape(app.vacancy_title)} ({escape(app.reference)})</h3>"
            f"{self.rows(pairs)}<h4>{escape(t('history'))}</h4>{history}"
        )


def language_name(code: str) -> str:
    """'Nederlands' for nl: a language by its own name, as the language buttons show it."""
    return say("language_name", code) if code in catalogue().languages else code


def render_export(export: ApplicantExport, language: str, tz: ZoneInfo = AMSTERDAM) -> str:
    """The applicant's data as a small HTML document in `language` (times in `tz`)."""
    doc = _Document(language, tz)
    t = doc.t
    parts = [
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(t('title'))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(t('title'))}</h1>",
        f"<p>{escape(t('intro', when=doc.when(export.generated_at)))}</p>",
        f"<p>{escape(t('ats_note'))}</p>",
        f"<h2>{escape(t('about_you'))}</h2>",
        doc.rows(
            [
                (t("name"), export.name),
                (t("email"), export.email),
                (t("phone"), export.phone or t("not_given")),
                (t("language"), language_name(export.language)),
            ]
        ),
        f"<h2>{escape(t('consent'))}</h2>",
    ]
    consent = export.consent
    if consent is None:
        parts.append(f"<p>{escape(t('consent_none'))}</p>")
    else:
        source = doc.name_of("mail.data_export.document.consent_sources", consent.source)
        given = t("consent_given", when=doc.when(consent.given_at), source=source)
        # the words agreed to, exactly as they were shown
        parts.append(f"<p>{escape(given)}</p><blockquote>{escape(consent.wording)}</blockquote>")
    parts.append(f"<h2>{escape(t('applications'))}</h2>")
    parts.extend(doc.application(app) for app in export.applications)
    if not export.applications:
        parts.append(doc.nothing())
    parts.append(f"<h2>{escape(t('escalations'))}</h2>")
    parts.append(
        doc.table(
            [t("when"), t("reason"), t("state"), t("recruiter"), t("resolved"), t("channel")]
            + [t("summary")],
            [
                (
                    doc.when(e.created_at),
                    doc.name_of("desk.reason_names", e.reason),
                    doc.name_of("desk.state_names", e.state),
                    e.recruiter,
                    doc.when(e.resolved_at),
                    doc.name_of("desk.channel_names", e.channel) if e.channel else "–",
                    e.summary or "–",
                )
                for e in export.escalations
            ],
        )
    )
    said = [(e, m) for e in export.escalations for m in e.messages]
    if said:
        parts.append(f"<h3>{escape(t('thread'))}</h3>")
        parts.append(
            doc.table(
                [t("when"), t("who"), t("channel"), t("message")],
                [
                    (
                        doc.when(m.at),
                        doc.name_of("mail.data_export.document.thread_kinds", m.kind),
                        doc.name_of("desk.channel_names", m.channel) if m.channel else "–",
                        m.text,
                    )
                    for _e, m in said
                ],
            )
        )
    parts.append(f"<h2>{escape(t('mails'))}</h2>")
    parts.append(
        doc.table(
            [t("when"), t("subject"), t("kind")],
            [
                (
                    doc.when(mail.sent_at or mail.created_at),
                    mail.subject or "–",
                    doc.name_of("mail.data_export.document.mail_purposes", mail.purpose),
                )
                for mail in export.mails
            ],
        )
    )
    parts.append(f"<h2>{escape(t('conversations'))}</h2>")
    for conversation in export.conversations:
        channel = doc.name_of("desk.channel_names", conversation.channel)
        parts.append(f"<h3>{escape(t('conversation', channel=channel))}</h3>")
        parts.append(
            doc.table(
                [t("when"), t("who"), t("message")],
                [
                    (doc.when(line.at), t("you" if line.speaker == "applicant" else "assistant"))
                    + (line.text,)
                    for line in conversation.messages
                ],
            )
        )
    if not export.conversations:
        parts.append(doc.nothing())
    parts.append(f"<h2>{escape(t('linked_chats'))}</h2>")
    linked = [
        t("linked_on", channel=doc.name_of("desk.channel_names", channel), when=doc.when(at))
        for channel, at in export.linked_chats
    ]
    parts.append(
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in linked) + "</ul>"
        if linked
        else doc.nothing()
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def data_export_mail(export: ApplicantExport, employer: str, tz: ZoneInfo = AMSTERDAM) -> Mail:
    """The applicant's data, readable and as JSON, to their address on file, in their language
    (asked for in the chat, or sent by an admin from the desk)."""
    language = export.language

    def text(key: str, **values: object) -> str:
        return say(f"mail.data_export.{key}", language, **values)

    document, data = text("document_file"), text("data_file")
    values = {"employer": employer, "name": export.name.split()[0] if export.name else ""}
    return Mail(
        export.email,
        text("subject", **values),
        text("body", document=document, data=data, **values),
        "data_export",
        attachments=(
            Attachment(document, "text/html", render_export(export, language, tz)),
            Attachment(data, "application/json", export.to_json()),
        ),
    )
