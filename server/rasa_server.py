"""`rasa run` as `helpdesk run` (and `helpdesk serve rasa`) starts it: the process's settings
read once, its services built on them (the channels and the desk use those), the help desk's
patches to Rasa applied (server/patches.py), and Rasa's HTTP API on only behind a token.

The patches are applied here, before Rasa loads anything, and not by the channels: which
channels credentials.yml lists changes nothing about timeouts, apologies, metrics or what is
closed when the server stops. When one no longer fits the installed Rasa, the server does not
start (server/patches.py says which and why).

When HELPDESK_RASA_API_TOKEN is set, the API (used to send recruiter replies and notices with
output_channel=latest) is enabled with that token. The token is added to the arguments inside
this process, so that it never shows in the machine's process list.

The libraries' deprecation warnings are filtered before Rasa is imported (server/quiet.py).
"""

from __future__ import annotations

import sys

from ats.services import Services, use_services
from ats.settings import Settings
from server.patches import RASA_SERVER, RasaChanged, apply_all
from server.quiet import quiet_third_party

# before Rasa is imported: its libraries warn while they are imported (server/quiet.py)
quiet_third_party(Settings.from_env().verbose)

# isort: split
from rasa.__main__ import main as rasa_main  # noqa: E402


def main() -> None:
    settings = Settings.from_env()
    try:
        apply_all(RASA_SERVER, settings.servers)
    except RasaChanged as error:
        sys.exit(f"helpdesk: the Rasa server does not start. {error}")
    use_services(Services.create(settings))
    arguments = ["rasa", "run", *sys.argv[1:]]
    token = settings.servers.rasa_api_token
    if token:
        arguments += ["--enable-api", "--auth-token", token]
    sys.argv = arguments
    rasa_main()


if __name__ == "__main__":
    main()
