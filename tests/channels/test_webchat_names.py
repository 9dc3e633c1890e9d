"""Who wrote a message, as the channels show it (issue 17): on Telegram a recruiter's own
messages start with their name; joining and leaving are the bot's words and do not. (The web
chat shows the name in the widget: tests/web/test_handover_widget.py.)"""

from __future__ import annotations

from ats.telegram_api import TelegramSettings
from channels.telegram import TelegramInput
from tests.channels.test_telegram import SECRET, fake, telegram_api  # noqa: F401  (fixtures)


async def test_a_recruiters_message_on_telegram_starts_with_their_name(fake):  # noqa: F811
    """Today's main: "Hoi Thijs, met Priya: ik bel je morgen." with nothing saying who sent it."""
    channel = TelegramInput(TelegramSettings(fake.token, SECRET, None, fake.base_url))
    output = channel.get_output_channel()
    assert output is not None
    # as desk/handoff.py sends them: joined, a reply, left
    await output.send_text_message(
        "9601", "Priya doet nu mee.", recruiter="Priya", handover="joined"
    )
    await output.send_text_message(
        "9601", "Ik bel je morgen.", recruiter="Priya Sharma", handover=None
    )
    await output.send_text_message("9601", "Priya is weg.", recruiter="Priya", handover="left")
    await output.send_text_message("9601", "Hallo! Ik ben de digitale assistent.")  # the bot
    assert [m["text"] for m in fake.sent()] == [
        "Priya doet nu mee.",
        "Priya Sharma: Ik bel je morgen.",
        "Priya is weg.",
        "Hallo! Ik ben de digitale assistent.",
    ]
    await (await channel.bot()).shutdown()
