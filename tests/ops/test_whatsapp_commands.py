"""`helpdesk whatsapp templates`: what an operator submits to Meta for approval."""

from __future__ import annotations

import os
import subprocess

from tests.servers import HELPDESK


def test_the_templates_are_printed_in_english_and_dutch_with_metas_placeholders():
    env = {
        **os.environ,
        "WHATSAPP_NOTICE_TEMPLATE": "northwind_late_notice",
        "WHATSAPP_FOLLOWUP_TEMPLATE": "northwind_recruiter_reply",
    }
    result = subprocess.run(
        [HELPDESK, "whatsapp", "templates"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    english, dutch, reply_en, reply_nl = result.stdout.split("name: ")[1:]
    assert english.startswith("northwind_late_notice\nlanguage: en\ncategory: UTILITY")
    assert "Hello {{1}}" in english and "{{4}} now has your application" in english
    assert dutch.startswith("northwind_late_notice\nlanguage: nl")
    assert "Hallo {{1}}" in dutch and "uiterlijk {{5}}" in dutch
    assert "parameters, in order: name, vacancy, reference, recruiter, respond_by" in english
    assert reply_en.startswith("northwind_recruiter_reply\nlanguage: en\ncategory: UTILITY")
    assert "{{1}} of {{2}} has answered your question:\n\n{{3}}\n\nReply to" in reply_en
    assert reply_nl.startswith("northwind_recruiter_reply\nlanguage: nl")
    assert "{{1}} van {{2}} heeft je vraag beantwoord:\n\n{{3}}\n\nBeantwoord" in reply_nl
    assert "parameters, in order: recruiter, employer, reply" in reply_nl
    for body in (english, dutch, reply_en, reply_nl):
        # Meta refuses a template whose body starts or ends with a parameter
        text = body.split("body:\n", 1)[1].split("\nparameters", 1)[0].strip()
        assert not text.startswith("{{") and not text.endswith("}}"), text
