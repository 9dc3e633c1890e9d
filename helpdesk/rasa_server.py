"""`rasa run` as `helpdesk run` starts it, with Rasa's HTTP API on only behind a token.

When HELPDESK_RASA_API_TOKEN is set, the API (used to send recruiter replies and notices with
output_channel=latest) is enabled with that token. The token is added to the arguments inside
this process, so that it never shows in the machine's process list.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from rasa.__main__ import main as rasa_main

    arguments = ["rasa", "run", *sys.argv[1:]]
    token = os.environ.get("HELPDESK_RASA_API_TOKEN", "").strip()
    if token:
        arguments += ["--enable-api", "--auth-token", token]
    sys.argv = arguments
    rasa_main()


if __name__ == "__main__":
    main()
