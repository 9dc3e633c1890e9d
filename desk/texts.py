"""The desk's words in English and Dutch (the bot's own words are in speech/texts.py)."""

from __future__ import annotations

from ats.records import Mail

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
    "login_wait": (
        "Too many failed attempts from here. Wait {wait} and try again.",
        "Te veel mislukte pogingen vanaf hier. Wacht {wait} en probeer het opnieuw.",
    ),
    "seconds": ("{n} seconds", "{n} seconden"),
    "minutes": ("{n} minutes", "{n} minuten"),
    "login_unrecognised": (
        "There have been many failed logins for this address, so the desk only lets in "
        "browsers it has seen you use. If your password was right, we have emailed you a link "
        "that logs in this browser (valid for {minutes} minutes).",
        "Er zijn veel mislukte inlogpogingen voor dit adres, dus de desk laat alleen browsers "
        "toe die je eerder hebt gebruikt. Als je wachtwoord klopte, hebben we je een link "
        "gemaild waarmee deze browser inlogt ({minutes} minuten geldig).",
    ),
    "login_link_title": ("Log in on this browser", "Inloggen in deze browser"),
    "login_link_button": ("Log in", "Inloggen"),
    "login_link_invalid": (
        "This link has expired, has been used, or belongs to another browser: open it in the "
        "browser where you typed your password, or log in again.",
        "Deze link is verlopen, al gebruikt, of hoort bij een andere browser: open hem in de "
        "browser waarin je je wachtwoord typte, of log opnieuw in.",
    ),
    "password_done": (
        "Your password is set. Log in with it.",
        "Je wachtwoord is ingesteld. Log ermee in.",
    ),
    "link_invalid": (
        "This link has expired or has been used. Ask an admin for a new one.",
        "Deze link is verlopen of al gebruikt. Vraag een beheerder om een nieuwe.",
    ),
    "unverified": ("Unverified", "Niet geverifieerd"),
    "unverified_note": (
        "This person has not proven who they are: the name and address are only what they "
        "typed, and no application is attached. Check who they are before you tell them "
        "anything about an application, or reply to that address.",
        "Deze persoon heeft niet bewezen wie hij of zij is: naam en adres zijn alleen wat er "
        "getypt is, en er hoort geen sollicitatie bij. Ga na wie het is voordat je iets over "
        "een sollicitatie vertelt, of naar dat adres antwoordt.",
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
    "refused_resolved": (
        "This escalation is resolved: nothing can be changed through it any more.",
        "Deze escalatie is afgerond: er kan niets meer via worden gewijzigd.",
    ),
    "refused_not_claimer": (
        "{name} has claimed this escalation: only they or an admin can reply, change the "
        "status or resolve it.",
        "{name} heeft deze escalatie opgepakt: alleen die recruiter of een beheerder kan "
        "antwoorden, de status wijzigen of afronden.",
    ),
    "refused_claim_first": (
        "Claim this escalation first: replying and changing the status are for the recruiter "
        "who claimed it.",
        "Pak deze escalatie eerst op: antwoorden en de status wijzigen doet de recruiter die "
        "hem heeft opgepakt.",
    ),
    "refused_no_application": (
        "This escalation has no application whose status could change.",
        "Bij deze escalatie hoort geen sollicitatie waarvan de status kan wijzigen.",
    ),
    "back_to_escalation": ("Back to the escalation", "Terug naar de escalatie"),
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


LOGIN_LINK_MAIL = {
    "en": (
        "Your login link for the recruiters' desk",
        "Someone (you, we hope) typed your password correctly at the recruiters' desk in a "
        "browser the desk has not seen you use, while many wrong passwords were being tried "
        "for your address. To log in in that browser, open this link in it within {minutes} "
        "minutes:\n\n{link}\n\nIf that was not you, someone else knows your password: ask "
        "an admin for a new one now.",
    ),
    "nl": (
        "Je inloglink voor de recruitersdesk",
        "Iemand (jij, hopen we) typte je wachtwoord goed in de recruitersdesk, in een browser "
        "die de desk nog niet van je kent, terwijl er veel verkeerde wachtwoorden voor je adres "
        "werden geprobeerd. Open deze link binnen {minutes} minuten in die browser om in te "
        "loggen:\n\n{link}\n\nWas jij dit niet, dan kent iemand anders je wachtwoord: vraag "
        "een beheerder nu om een nieuw.",
    ),
}


def login_link_mail(address: str, link: str, language: str, minutes: int) -> Mail:
    subject, body = LOGIN_LINK_MAIL["nl" if language == "nl" else "en"]
    return Mail(address, subject, body.format(link=link, minutes=minutes), "desk_login_link")
