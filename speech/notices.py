"""What the deadline monitor writes: the applicant's notice (English, Dutch), the digest."""

from __future__ import annotations

NOTICE = {
    "en": (
        "Your application for {vacancy}: we are late, and {recruiter} is on it",
        "Hello {name},\n\n{promise} We haven't kept that promise, and we're sorry.\n\n"
        "{recruiter}, a recruiter at {employer}, now has your application ({reference}) and "
        "will contact you personally by {respond_by}.\n\n{employer}",
    ),
    "nl": (
        "Je sollicitatie voor {vacancy}: we zijn te laat, en {recruiter} pakt het op",
        "Hallo {name},\n\n{promise} Die belofte zijn we niet nagekomen, en dat spijt ons.\n\n"
        "{recruiter}, recruiter bij {employer}, heeft je sollicitatie ({reference}) nu in "
        "handen en neemt uiterlijk {respond_by} persoonlijk contact met je op.\n\n{employer}",
    ),
    "promise": {
        "en": (
            "We promised to confirm your application by {due}.",
            "We promised you an update on your application by {due}.",
        ),
        "nl": (
            "We hadden beloofd je sollicitatie uiterlijk {due} te bevestigen.",
            "We hadden je uiterlijk {due} een update over je sollicitatie beloofd.",
        ),
    },
}

DIGEST = {
    "subject": "Help desk: {count} overdue application(s) need you",
    "body": "Hello {name},\n\nThe deadline monitor escalated {count} application(s) to you. "
    "Each applicant has been told that you will contact them by the time shown.\n\n{lines}\n\n"
    "Work them in the desk: /desk/\n",
    "line": "- {reference}  {name}, {vacancy}: {reason}; respond by {respond_by}",
    "reasons": {
        "ack_overdue": "not acknowledged in time",
        "update_overdue": "promised update is late",
        "applicant_request": "the applicant asked for a person",
        "withdrawal": "withdrawal",
        "privacy_request": "privacy request",
    },
    "second_level": " (second level: nobody took it by its respond-by time)",
}

RECEIPT = {
    "en": (
        "We received your application for {vacancy} ({reference})",
        "Hello {name},\n\nThank you for applying for {vacancy} at {employer}. Your reference is "
        "{reference}. We will confirm your application by {due}, and tell you how it goes "
        "from there.\n\nQuestions in the meantime? Ask our help desk with your reference: "
        "{chat}{telegram}\n\n{employer}",
    ),
    "nl": (
        "We hebben je sollicitatie voor {vacancy} ontvangen ({reference})",
        "Hallo {name},\n\nBedankt voor je sollicitatie voor {vacancy} bij {employer}. Je "
        "referentie is {reference}. We bevestigen je sollicitatie uiterlijk {due} en laten je "
        "daarna weten hoe het verder gaat.\n\nVragen in de tussentijd? Stel ze aan onze "
        "helpdesk, met je referentie: {chat}{telegram}\n\n{employer}",
    ),
    "telegram": {
        "en": "\nOn Telegram (no code needed, the link works once): {link}",
        "nl": "\nOp Telegram (zonder code, de link werkt één keer): {link}",
    },
}
