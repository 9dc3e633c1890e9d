"""The help desk's domain: its copy of the employer's applicant tracking system, and everything
else that is not Rasa.

Models and migrations, the store's async API, the acknowledgement-deadline calendar, imports and
the live sync with each ATS, one-time codes and what conversations proved, limits, chat links,
mail, the Telegram Bot API client, metrics, settings, and the builder that wires them for every
process. It imports nothing from Rasa, the channels, the desk or the monitor.
"""
