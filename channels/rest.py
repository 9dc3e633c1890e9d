"""Rasa's REST channel (POST /webhooks/rest/webhook), with the help desk's server-side fixes.

The Rasa server imports the channels named in credentials.yml; loading this module is how the
fixes in helpdesk.rasa_speedups reach the Rasa server process.
"""

from rasa.core.channels.rest import RestInput as RasaRestInput

from helpdesk import rasa_speedups

rasa_speedups.apply()


class RestInput(RasaRestInput):
    """Same URL, same payloads as Rasa's own REST channel."""

    @classmethod
    def name(cls) -> str:
        return "rest"
