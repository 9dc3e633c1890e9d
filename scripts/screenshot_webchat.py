"""Screenshots of the web chat for the README (run by hand: .venv/bin/python scripts/...).

Starts the help desk with its demo data, opens the demo careers page in Debian's Chromium at
desktop and at phone width, has the verified status conversation with a demo applicant, and
saves docs/webchat-desktop.png and docs/webchat-phone.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.conftest import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from tests.servers import RunningHelpdesk  # noqa: E402
from tests.web.conftest import last_code  # noqa: E402
from tests.web.test_chat_widget import careers, open_chat, say  # noqa: E402

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        helpdesk = RunningHelpdesk(Path(home), extra_env={"TELEGRAM_BOT_TOKEN": ""}).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
                )
                for name, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
                    page = context.new_page()
                    open_chat(page, careers(helpdesk))
                    say(page, "Hi, did you receive my application?")
                    say(page, "AP-6VFK-8RMB")
                    say(page, "aisha.okafor@example.com")
                    say(page, last_code(helpdesk, "aisha.okafor@example.com"))
                    target = PROJECT / "docs" / f"webchat-{name}.png"
                    page.screenshot(path=str(target))
                    print(target)
                    context.close()
                browser.close()
        finally:
            helpdesk.stop()


if __name__ == "__main__":
    main()
