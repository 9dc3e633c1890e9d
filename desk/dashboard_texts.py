"""The dashboard's words in English and Dutch, as (English, Dutch) pairs for desk.texts.translate
like the rest of the desk's words (desk/texts.py)."""

from __future__ import annotations

from ats.models import EscalationReason
from desk.figures import LATE, NOT_AT_ALL, WITHIN

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Acknowledgements", "Ontvangstbevestigingen"),
    "question": (
        "Are applications acknowledged within the deadline?",
        "Worden sollicitaties binnen de termijn bevestigd?",
    ),
    WITHIN: ("Within the deadline", "Binnen de termijn"),
    LATE: ("Late", "Te laat"),
    NOT_AT_ALL: ("Not at all (overdue)", "Helemaal niet (termijn verstreken)"),
    "of": ("{count} of {total}", "{count} van {total}"),
    "median": ("Median time to acknowledge", "Mediane tijd tot bevestiging"),
    "no_median": ("no acknowledgements yet", "nog geen bevestigingen"),
    "pending": (
        "{count} applications still within their deadline are not counted.",
        "{count} sollicitaties die nog binnen hun termijn vallen, tellen niet mee.",
    ),
    "no_data": ("No applications yet.", "Nog geen sollicitaties."),
    "weekly": (
        "Acknowledgement by week of application, last {weeks} weeks",
        "Bevestiging per week van sollicitatie, laatste {weeks} weken",
    ),
    "week": ("Week", "Week"),
    "week_from": ("{week} (from {monday})", "{week} (vanaf {monday})"),
    "legend": ("Legend", "Legenda"),
    "ages": ("Open escalations by age", "Openstaande escalaties naar leeftijd"),
    "age": ("Age", "Leeftijd"),
    "reasons": ("Escalations by reason", "Escalaties naar reden"),
    "reason": ("Reason", "Reden"),
    "escalations": ("Escalations", "Escalaties"),
    "per_vacancy": ("Per vacancy", "Per vacature"),
    "vacancy": ("Vacancy", "Vacature"),
    "per_recruiter": ("Per recruiter", "Per recruiter"),
    "recruiter": ("Recruiter", "Recruiter"),
    "applications": ("Applications", "Sollicitaties"),
    "share_within": ("Share within the deadline", "Aandeel binnen de termijn"),
    "under_1_day": ("Under 1 day", "Korter dan 1 dag"),
    "1_to_3_days": ("1–3 days", "1–3 dagen"),
    "3_to_7_days": ("3–7 days", "3–7 dagen"),
    "7_days_or_more": ("7 days or more", "7 dagen of langer"),
    "minute": ("minute", "minuut"),
    "minutes": ("minutes", "minuten"),
    "hour": ("hour", "uur"),
    "hours": ("hours", "uur"),
    "day": ("day", "dag"),
    "days": ("days", "dagen"),
}

# The names of the reasons on the dashboard's bars (the queue names them in desk.texts.REASONS).
REASONS: dict[str, tuple[str, str]] = {
    EscalationReason.ACK_OVERDUE.value: ("Acknowledgement overdue", "Bevestiging te laat"),
    EscalationReason.UPDATE_OVERDUE.value: ("Update overdue", "Update te laat"),
    EscalationReason.APPLICANT_REQUEST.value: (
        "Applicant asked for a person",
        "Wil een medewerker",
    ),
    EscalationReason.WITHDRAWAL.value: ("Withdrawal", "Terugtrekking"),
    EscalationReason.PRIVACY_REQUEST.value: ("Privacy request", "Privacyverzoek"),
    EscalationReason.UNKNOWN_APPLICANT.value: ("Unknown applicant", "Onbekende sollicitant"),
}
