"""The desk's words in English and Dutch (the bot's own words are in actions/texts.py)."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "desk": ("Recruiters' desk", "Recruitersdesk"),
    "queue": ("Queue", "Wachtrij"),
    "dashboard": ("Dashboard", "Dashboard"),
    "audit": ("Audit log", "Logboek"),
    "log_out": ("Log out", "Uitloggen"),
    "log_in": ("Log in", "Inloggen"),
    "email": ("Email address", "E-mailadres"),
    "password": ("Password", "Wachtwoord"),
    "new_password": (
        "New password (at least 12 characters)",
        "Nieuw wachtwoord (minstens 12 tekens)",
    ),
    "set_password": ("Set password", "Wachtwoord instellen"),
    "login_failed": ("Wrong email address or password.", "Onjuist e-mailadres of wachtwoord."),
    "login_locked": (
        "Too many failed attempts. Try again after {until}.",
        "Te veel mislukte pogingen. Probeer het opnieuw na {until}.",
    ),
    "password_done": (
        "Your password is set. Log in with it.",
        "Je wachtwoord is ingesteld. Log ermee in.",
    ),
    "link_invalid": (
        "This link has expired or has been used. Ask an admin for a new one.",
        "Deze link is verlopen of al gebruikt. Vraag een beheerder om een nieuwe.",
    ),
    "mine": ("Mine only", "Alleen van mij"),
    "reason": ("Reason", "Reden"),
    "vacancy": ("Vacancy", "Vacature"),
    "channel": ("Channel", "Kanaal"),
    "state": ("State", "Status"),
    "any": ("Any", "Alle"),
    "filter": ("Filter", "Filteren"),
    "respond_by": ("Respond by", "Reageren voor"),
    "age": ("Age", "Leeftijd"),
    "applicant": ("Applicant", "Sollicitant"),
    "recruiter": ("Recruiter", "Recruiter"),
    "claimed_by": ("Claimed by", "Opgepakt door"),
    "overdue": ("overdue", "te laat"),
    "second_level": ("second level", "tweede lijn"),
    "none_open": ("No escalations match.", "Geen escalaties gevonden."),
    "application": ("Application", "Sollicitatie"),
    "history": ("Status history", "Statusgeschiedenis"),
    "transcript": ("Conversation", "Gesprek"),
    "summary": ("What the applicant said", "Wat de sollicitant zei"),
    "claim": ("Claim and join the chat", "Oppakken en meedoen in de chat"),
    "claimed_elsewhere": ("{name} has already claimed this.", "{name} heeft dit al opgepakt."),
    "reply": ("Reply to the applicant", "Antwoord de sollicitant"),
    "send": ("Send", "Versturen"),
    "resolve": ("Resolve and hand back to the bot", "Afronden en teruggeven aan de bot"),
    "acknowledge": ("Acknowledge the application", "Ontvangst bevestigen"),
    "change_status": ("Change status", "Status wijzigen"),
    "applied": ("Applied", "Gesolliciteerd"),
    "ack_due": ("Acknowledge by", "Bevestigen voor"),
    "acknowledged": ("Acknowledged", "Bevestigd"),
    "not_yet": ("not yet", "nog niet"),
    "sent_by": ("Sent via {how}.", "Verstuurd via {how}."),
    "applicant_speaker": ("Applicant", "Sollicitant"),
    "bot_speaker": ("Assistant", "Assistent"),
    "at": ("When", "Wanneer"),
    "who": ("Who", "Wie"),
    "action": ("Action", "Actie"),
    "subject": ("Subject", "Onderwerp"),
    "detail": ("Detail", "Details"),
    "forbidden": ("This escalation is not yours to see.", "Deze escalatie is niet voor jou."),
}
STATES = {
    "unresolved": ("Open or claimed", "Open of opgepakt"),
    "open": ("Open", "Open"),
    "claimed": ("Claimed", "Opgepakt"),
    "resolved": ("Resolved", "Afgerond"),
    "all": ("All", "Alle"),
}
REASONS = {
    "ack_overdue": ("Not acknowledged in time", "Niet op tijd bevestigd"),
    "update_overdue": ("Promised update late", "Beloofde update te laat"),
    "applicant_request": ("Asked for a person", "Vroeg om een mens"),
    "unknown_applicant": ("Applicant not found", "Sollicitant niet gevonden"),
    "withdrawal": ("Withdrawal", "Intrekking"),
    "privacy_request": ("Privacy request", "Privacyverzoek"),
}

CHANNELS = {
    "socketio": ("web chat", "webchat"),
    "telegram": ("Telegram", "Telegram"),
    "rest": ("REST", "REST"),
    "email": ("email", "e-mail"),
    "none": (
        "nobody: the applicant left no way to reach them",
        "niemand: geen manier om de sollicitant te bereiken",
    ),
}


def translate(table: dict[str, tuple[str, str]], key: str, language: str, **values: object) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1 if language == "nl" else 0].format(**values)
