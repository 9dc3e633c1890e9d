"""Everything the bot says, in English and Dutch, and how it words dates and statuses.

The actions pick the text in the applicant's language for each message, so a reply always
follows the language of the message it answers (see actions/language.py).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ats.models import Status

_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
}
_MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "nl": "januari februari maart april mei juni juli augustus september oktober november "
    "december".split(),
}


def day(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """'Friday 27 November' / 'vrijdag 27 november' (with the year when it is not this one)."""
    local = moment.astimezone(tz)
    text = f"{_DAYS[language][local.weekday()]} {local.day} {_MONTHS[language][local.month - 1]}"
    if local.year != datetime.now(tz).year:
        text += f" {local.year}"
    return text


def day_and_time(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """'Monday 30 November at 17:00' / 'maandag 30 november om 17:00'."""
    at = "at" if language == "en" else "om"
    return f"{day(moment, language, tz)} {at} {moment.astimezone(tz):%H:%M}"


STATUS = {
    "en": {
        Status.APPLIED: "we have received it and it is waiting to be reviewed",
        Status.ACKNOWLEDGED: "we have received it and it is in line to be reviewed",
        Status.SCREENING: "your CV and motivation are being reviewed",
        Status.INTERVIEW: "you are in the interview stage",
        Status.OFFER: "we have made you an offer",
        Status.HIRED: "you have been hired: welcome aboard",
        Status.REJECTED: "unfortunately we have decided not to proceed with it",
        Status.WITHDRAWN: "you have withdrawn it",
        Status.ON_HOLD: "it is on hold for the moment",
    },
    "nl": {
        Status.APPLIED: "we hebben hem ontvangen en hij wacht op beoordeling",
        Status.ACKNOWLEDGED: "we hebben hem ontvangen en hij staat in de rij voor beoordeling",
        Status.SCREENING: "je cv en motivatie worden beoordeeld",
        Status.INTERVIEW: "je zit in de gespreksfase",
        Status.OFFER: "we hebben je een aanbod gedaan",
        Status.HIRED: "je bent aangenomen: welkom",
        Status.REJECTED: "we hebben helaas besloten er niet mee verder te gaan",
        Status.WITHDRAWN: "je hebt hem ingetrokken",
        Status.ON_HOLD: "hij staat op dit moment in de wacht",
    },
}

TEXTS: dict[str, dict[str, str]] = {
    "greet": {
        "en": "Hello! I'm {employer}'s automated assistant, not a person. I can tell you where "
        "your job application stands, what the selection process looks like and when you can "
        "expect to hear from us. Would you rather talk to a recruiter? Just say so, any time.",
        "nl": "Hallo! Ik ben de digitale assistent van {employer}, geen mens. Ik kan je vertellen "
        "hoe het met je sollicitatie staat, hoe de selectieprocedure verloopt en wanneer je "
        "iets van ons hoort. Wil je liever een recruiter spreken? Zeg het gerust, altijd.",
    },
    "bot": {
        "en": "Yes, I'm an automated assistant, not a person. A recruiter is one message away: "
        "just ask for a person and I'll hand you over.",
        "nl": "Ja, ik ben een digitale assistent, geen mens. Een recruiter is één bericht "
        "verderop: vraag naar een persoon en ik draag je over.",
    },
    "goodbye": {
        "en": "Goodbye, and good luck!",
        "nl": "Tot ziens, en veel succes!",
    },
    "thanks": {
        "en": "You're welcome! Anything else I can do for you?",
        "nl": "Graag gedaan! Kan ik nog iets anders voor je doen?",
    },
    "help": {
        "en": "I can tell you where your application stands, how the selection process works "
        "and when you'll hear from us. Or I can put you in touch with a recruiter: just ask.",
        "nl": "Ik kan je vertellen hoe het met je sollicitatie staat, hoe de selectie verloopt "
        "en wanneer je iets hoort. Of ik breng je in contact met een recruiter: vraag het maar.",
    },
    "not_understood": {
        "en": "Sorry, I didn't quite get that. I can tell you where your application stands, or "
        "put you in touch with a recruiter. What would you like?",
        "nl": "Sorry, dat begreep ik niet helemaal. Ik kan je vertellen hoe het met je "
        "sollicitatie staat, of je in contact brengen met een recruiter. Wat wil je?",
    },
    "language_switched": {
        "en": "Of course, I'll continue in English.",
        "nl": "Natuurlijk, ik ga verder in het Nederlands.",
    },
    "ask_identifier": {
        "en": "Happy to check that for you. What is your application reference? It's in the "
        "confirmation email and looks like AP-4K7N-2QXB. No reference at hand? Then give me "
        "the email address you applied with.",
        "nl": "Ik zoek het graag voor je uit. Wat is je sollicitatiereferentie? Die staat in de "
        "bevestigingsmail en ziet eruit als AP-4K7N-2QXB. Heb je die niet bij de hand? Geef "
        "me dan het e-mailadres waarmee je hebt gesolliciteerd.",
    },
    "ask_email_for_reference": {
        "en": "Thanks. Which email address did you apply with? I'll send a code there to make "
        "sure it's you.",
        "nl": "Dank je. Met welk e-mailadres heb je gesolliciteerd? Ik stuur daar een code "
        "naartoe om zeker te weten dat jij het bent.",
    },
    "code_sent": {
        "en": "If that matches an application, I've just emailed a 6-digit code to {email}. "
        "Please type it here; it works for 10 minutes. Nothing arrived after a few minutes? "
        "Check your spam folder, or say so and I'll pass your question to a recruiter.",
        "nl": "Als dat bij een sollicitatie hoort, heb ik zojuist een code van 6 cijfers naar "
        "{email} gemaild. Typ die hier; hij is 10 minuten geldig. Na een paar minuten nog "
        "niets? Kijk in je spammap, of zeg het en ik geef je vraag door aan een recruiter.",
    },
    "ask_code": {
        "en": "Please type the 6-digit code from the email I sent you.",
        "nl": "Typ de code van 6 cijfers uit de e-mail die ik je stuurde.",
    },
    "wrong_code": {
        "en": "That code isn't right. You can try {attempts} more time(s), or ask me for a new "
        "code.",
        "nl": "Die code klopt niet. Je kunt het nog {attempts} keer proberen, of vraag om een "
        "nieuwe code.",
    },
    "code_expired": {
        "en": "That code has expired. Give me your reference or email address again and I'll "
        "send a new one.",
        "nl": "Die code is verlopen. Geef me nogmaals je referentie of e-mailadres, dan stuur "
        "ik een nieuwe.",
    },
    "no_code_pending": {
        "en": "I haven't sent you a code yet. What is your application reference, or the "
        "email address you applied with?",
        "nl": "Ik heb je nog geen code gestuurd. Wat is je sollicitatiereferentie, of het "
        "e-mailadres waarmee je hebt gesolliciteerd?",
    },
    "locked": {
        "en": "That was too many wrong codes, so I've paused checking for safety until {until}. "
        "If you need help now, ask for a person and a recruiter will contact you.",
        "nl": "Dat waren te veel verkeerde codes, dus ik controleer voor de veiligheid pas weer "
        "na {until}. Heb je nu hulp nodig? Vraag naar een persoon, dan neemt een recruiter "
        "contact met je op.",
    },
    "too_many_codes": {
        "en": "That's a lot of codes asked for in a short time, so I've paused sending them "
        "until {until}. If you need help now, ask for a person and a recruiter will contact you.",
        "nl": "Er zijn in korte tijd veel codes gevraagd, dus ik stuur er pas weer een na "
        "{until}. Heb je nu hulp nodig? Vraag naar een persoon, dan neemt een recruiter contact "
        "met je op.",
    },
    "confirm_by_link": {
        "en": "That's the right code. Because someone has been trying codes for this "
        "application, please first open the link in the same email to confirm that the address "
        "is yours, then type the code here again.",
        "nl": "Dat is de goede code. Omdat iemand codes voor deze sollicitatie heeft geprobeerd, "
        "vraag ik je eerst de link in dezelfde e-mail te openen om te bevestigen dat het adres "
        "van jou is. Typ daarna de code hier nog een keer.",
    },
    "verified_many": {
        "en": "Thanks, {name}, that's you. I see {count} applications. Which one do you mean?",
        "nl": "Dank je, {name}, je bent geverifieerd. Ik zie {count} sollicitaties. Welke "
        "bedoel je?",
    },
    "status": {
        "en": "Thanks, {name}. Your application for {vacancy} ({reference}), sent on "
        "{applied}: {status}{stage}. {next}",
        "nl": "Dank je, {name}. Je sollicitatie voor {vacancy} ({reference}), verstuurd op "
        "{applied}: {status}{stage}. {next}",
    },
    "your_recruiter": {
        "en": " Your recruiter is {recruiter}.",
        "nl": " Je recruiter is {recruiter}.",
    },
    "next_ack": {
        "en": "We promised to confirm it by {due}, and {recruiter} will be in touch by then.",
        "nl": "We hebben beloofd hem uiterlijk {due} te bevestigen; {recruiter} neemt voor die "
        "tijd contact met je op.",
    },
    "next_update": {
        "en": "You'll get the next update by {due}.",
        "nl": "Je krijgt uiterlijk {due} de volgende update.",
    },
    "next_review": {
        "en": "{recruiter} will let you know the outcome of the review.",
        "nl": "{recruiter} laat je de uitkomst van de beoordeling weten.",
    },
    "next_interview": {
        "en": "{recruiter} will contact you about the next conversation.",
        "nl": "{recruiter} neemt contact met je op over het volgende gesprek.",
    },
    "next_offer": {
        "en": "{recruiter} is available for any question about the offer.",
        "nl": "{recruiter} beantwoordt graag je vragen over het aanbod.",
    },
    "next_closed": {
        "en": "This application is closed.",
        "nl": "Deze sollicitatie is afgerond.",
    },
    "late_ack": {
        "en": "I have to be honest with you: we promised to confirm your application by {due}, "
        "and we haven't. That's our fault, not yours. I've asked {recruiter}, the recruiter "
        "for {vacancy}, to contact you personally by {respond_by}.",
        "nl": "Ik ben eerlijk tegen je: we hadden beloofd je sollicitatie uiterlijk {due} te "
        "bevestigen, en dat is niet gebeurd. Dat ligt aan ons, niet aan jou. Ik heb "
        "{recruiter}, de recruiter voor {vacancy}, gevraagd uiterlijk {respond_by} persoonlijk "
        "contact met je op te nemen.",
    },
    "late_update": {
        "en": "I have to be honest with you: we promised you an update by {due}, and you "
        "haven't had it. That's our fault. I've asked {recruiter}, the recruiter for {vacancy}, "
        "to contact you personally by {respond_by}.",
        "nl": "Ik ben eerlijk tegen je: we hadden je uiterlijk {due} een update beloofd, en die "
        "heb je niet gekregen. Dat ligt aan ons. Ik heb {recruiter}, de recruiter voor "
        "{vacancy}, gevraagd uiterlijk {respond_by} persoonlijk contact met je op te nemen.",
    },
    "handed_over": {
        "en": "I've passed your question to {recruiter}, who will contact you personally by "
        "{respond_by}.",
        "nl": "Ik heb je vraag doorgegeven aan {recruiter}, die uiterlijk {respond_by} "
        "persoonlijk contact met je opneemt.",
    },
    "handed_over_ask_details": {
        "en": "I've passed your question to {recruiter}, who will contact you personally by "
        "{respond_by}. So that {recruiter} can reach you: what is your name?",
        "nl": "Ik heb je vraag doorgegeven aan {recruiter}, die uiterlijk {respond_by} "
        "persoonlijk contact met je opneemt. Zodat {recruiter} je kan bereiken: wat is je naam?",
    },
    "ask_name": {
        "en": "Sorry about that. I'll pass your details to a recruiter. What is your name?",
        "nl": "Vervelend. Ik geef je gegevens door aan een recruiter. Wat is je naam?",
    },
    "ask_contact_email": {
        "en": "Thanks. Which email address can the recruiter use to reach you?",
        "nl": "Dank je. Op welk e-mailadres kan de recruiter je bereiken?",
    },
    "ask_vacancy": {
        "en": "Thanks. Which vacancy did you apply for?",
        "nl": "Dank je. Op welke vacature heb je gesolliciteerd?",
    },
    "unknown_handed_over": {
        "en": "Thank you, {name}. I've passed your details to {recruiter}, who will get back to "
        "you {contact} by {respond_by}.",
        "nl": "Dank je, {name}. Ik heb je gegevens doorgegeven aan {recruiter}, die uiterlijk "
        "{respond_by} contact met je opneemt {contact}.",
    },
    "details_added": {
        "en": "Thank you, I've added that for {recruiter}.",
        "nl": "Dank je, dat heb ik voor {recruiter} toegevoegd.",
    },
    "timeline_general": {
        "en": "We confirm every application within {days} working days, and a recruiter "
        "contacts you personally if we miss that. After that the usual steps are a review of "
        "your CV and motivation (about a week), then one or two interviews, then an offer. "
        "Want your own dates? Give me your application reference or email address.",
        "nl": "We bevestigen elke sollicitatie binnen {days} werkdagen, en als dat niet lukt "
        "neemt een recruiter persoonlijk contact met je op. Daarna volgen meestal een "
        "beoordeling van je cv en motivatie (ongeveer een week), een of twee gesprekken en "
        "dan een aanbod. Wil je je eigen data weten? Geef me je referentie of e-mailadres.",
    },
    "timeline_own": {
        "en": "For your application for {vacancy}: you applied on {applied}, and we promised "
        "to confirm it by {due}. {state}",
        "nl": "Voor je sollicitatie voor {vacancy}: je solliciteerde op {applied}, en we "
        "beloofden hem uiterlijk {due} te bevestigen. {state}",
    },
    "timeline_acknowledged": {
        "en": "We confirmed it on {acknowledged}.",
        "nl": "We hebben hem bevestigd op {acknowledged}.",
    },
    "process_default": {
        "en": "Our selection process: 1) we confirm your application within {days} working "
        "days; 2) a recruiter reviews your CV and motivation; 3) one or two interviews, with "
        "the team and the hiring manager; 4) an offer, or a personal explanation if it "
        "doesn't work out. You can ask me where you stand at any point.",
        "nl": "Onze selectieprocedure: 1) we bevestigen je sollicitatie binnen {days} "
        "werkdagen; 2) een recruiter beoordeelt je cv en motivatie; 3) een of twee gesprekken, "
        "met het team en de leidinggevende; 4) een aanbod, of een persoonlijke toelichting als "
        "het niet doorgaat. Je kunt mij op elk moment vragen hoe het ervoor staat.",
    },
    "process_vacancy": {
        "en": "For {vacancy}: {process}",
        "nl": "Voor {vacancy}: {process}",
    },
    "withdraw_confirm": {
        "en": "Do you want to withdraw your application for {vacancy} ({reference})? This "
        "can't be undone.",
        "nl": "Wil je je sollicitatie voor {vacancy} ({reference}) intrekken? Dit kan niet "
        "ongedaan worden gemaakt.",
    },
    "withdrawn": {
        "en": "Done: your application for {vacancy} is withdrawn, and I've let {recruiter} "
        "know. Thank you for your interest, and good luck!",
        "nl": "Klaar: je sollicitatie voor {vacancy} is ingetrokken, en ik heb {recruiter} "
        "ingelicht. Bedankt voor je interesse, en veel succes!",
    },
    "withdraw_cancelled": {
        "en": "All right, your application stays as it is.",
        "nl": "Prima, je sollicitatie blijft gewoon staan.",
    },
    "withdraw_closed": {
        "en": "Your application for {vacancy} is already closed, so there is nothing to withdraw.",
        "nl": "Je sollicitatie voor {vacancy} is al afgerond, dus er valt niets in te trekken.",
    },
    "privacy": {
        "en": "We keep your application details (name, contact details, CV, letter and our "
        "notes) only for this selection procedure, and delete them {weeks} weeks after it "
        "ends, or after {months} months if you gave consent to keep them for future vacancies. "
        "You can ask to see, correct or delete your data at any time.",
        "nl": "We bewaren je sollicitatiegegevens (naam, contactgegevens, cv, brief en onze "
        "aantekeningen) alleen voor deze procedure, en verwijderen ze {weeks} weken na "
        "afloop, of na {months} maanden als je toestemming gaf om ze te bewaren voor "
        "toekomstige vacatures. Je kunt altijd vragen om inzage, correctie of verwijdering.",
    },
    "privacy_escalated": {
        "en": "I've passed your request to {recruiter}, who will handle it and contact you by "
        "{respond_by}.",
        "nl": "Ik heb je verzoek doorgegeven aan {recruiter}, die het afhandelt en uiterlijk "
        "{respond_by} contact met je opneemt.",
    },
    "privacy_offer": {
        "en": "Would you like to see or delete your data? Say so and I'll pass the request to a "
        "recruiter.",
        "nl": "Wil je je gegevens inzien of laten verwijderen? Zeg het, dan geef ik het verzoek "
        "door aan een recruiter.",
    },
    "choose": {
        "en": "Which application do you mean?",
        "nl": "Welke sollicitatie bedoel je?",
    },
    "error": {
        "en": "Sorry, I can't reach our application system right now. Please try again in a few "
        "minutes, or ask for a person and a recruiter will contact you.",
        "nl": "Sorry, ik kan ons sollicitatiesysteem nu niet bereiken. Probeer het over een "
        "paar minuten opnieuw, of vraag naar een persoon, dan neemt een recruiter contact op.",
    },
    "handover_deferred": {
        "en": "Sorry, I can't reach our application system right now. I've noted that you want "
        "to talk to a person: as soon as the system is back, I'll pass your question to a "
        "recruiter and tell you here who will contact you.",
        "nl": "Sorry, ik kan ons sollicitatiesysteem nu niet bereiken. Ik heb genoteerd dat je "
        "iemand wilt spreken: zodra het systeem weer werkt, geef ik je vraag door aan een "
        "recruiter en laat ik je hier weten wie contact met je opneemt.",
    },
    "contact_by_email": {"en": "at {email}", "nl": "via {email}"},
    "contact_here": {"en": "here in this chat", "nl": "hier in de chat"},
    "linked_here": {
        "en": "I've linked this Telegram chat to your applications, so next time you won't need "
        "a code here. Type /forget to undo that.",
        "nl": "Ik heb deze Telegram-chat aan je sollicitaties gekoppeld, dus de volgende keer heb "
        "je hier geen code nodig. Typ /forget om dat ongedaan te maken.",
    },
    "telegram_offer": {
        "en": "Tip: on Telegram you can ask me without a code. Open {link} to link your chat "
        "(the link works once, for {hours} hours).",
        "nl": "Tip: op Telegram kun je het me zonder code vragen. Open {link} om je chat te "
        "koppelen (de link werkt één keer, {hours} uur lang).",
    },
    "linked": {
        "en": "Hello {name}! I'm {employer}'s automated assistant. This chat is now linked to "
        "your applications, so you can ask me where they stand any time, without a code. "
        "Type /forget to undo that, or /human for a person.",
        "nl": "Hallo {name}! Ik ben de digitale assistent van {employer}. Deze chat is nu "
        "gekoppeld aan je sollicitaties, dus je kunt me altijd zonder code vragen hoe ze "
        "ervoor staan. Typ /forget om dat ongedaan te maken, of /human voor een mens.",
    },
    "link_invalid": {
        "en": "That link has expired or has already been used, so I can't link this chat with "
        "it. No problem: tell me your application reference or email address and I'll send "
        "you a code.",
        "nl": "Die link is verlopen of al gebruikt, dus ik kan deze chat er niet mee koppelen. "
        "Geen probleem: geef me je sollicitatiereferentie of e-mailadres, dan stuur ik je een "
        "code.",
    },
    "forgotten": {
        "en": "Done: I no longer know who you are in this chat. Next time I'll ask for a code "
        "again.",
        "nl": "Klaar: ik weet in deze chat niet meer wie je bent. De volgende keer vraag ik "
        "weer om een code.",
    },
    "nothing_to_forget": {
        "en": "This chat isn't linked to any application, so there's nothing to undo.",
        "nl": "Deze chat is aan geen enkele sollicitatie gekoppeld, dus er valt niets ongedaan "
        "te maken.",
    },
    "choose_language": {
        "en": "Which language would you like me to use?",
        "nl": "In welke taal wil je dat ik antwoord?",
    },
    "telegram_mail_line": {
        "en": "On Telegram? Open {link} to link your chat, and you won't need a code there. The "
        "link works once, for {hours} hours.",
        "nl": "Gebruik je Telegram? Open {link} om je chat te koppelen, dan heb je daar geen "
        "code nodig. De link werkt één keer, {hours} uur lang.",
    },
    "recruiter_joined": {
        "en": "{recruiter}, a recruiter, has joined this chat and will answer you personally. "
        "(The automated assistant is quiet meanwhile.)",
        "nl": "{recruiter}, recruiter, doet nu mee in deze chat en antwoordt je persoonlijk. "
        "(De digitale assistent is zolang stil.)",
    },
    "recruiter_left": {
        "en": "{recruiter} has left the chat. I'm the automated assistant again: ask me "
        "anything about your application.",
        "nl": "{recruiter} heeft de chat verlaten. Ik ben weer de digitale assistent: vraag "
        "me gerust iets over je sollicitatie.",
    },
    "careers_session_refused": {
        "en": "I couldn't confirm your login on the careers site (it may have expired), so I "
        "don't know who you are yet. No problem: give me your application reference or email "
        "address and I'll send you a code.",
        "nl": "Ik kon je inlog op de vacaturesite niet bevestigen (misschien is die verlopen), "
        "dus ik weet nog niet wie je bent. Geen probleem: geef me je sollicitatiereferentie of "
        "e-mailadres, dan stuur ik je een code.",
    },
    "yes": {"en": "Yes", "nl": "Ja"},
    "no": {"en": "No", "nl": "Nee"},
}


def say(key: str, language: str, **values: object) -> str:
    return TEXTS[key][language].format(**values)
