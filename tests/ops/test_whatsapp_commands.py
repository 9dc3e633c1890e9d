"""`helpdesk whatsapp templates`: what an operator submits to Meta for approval."""

from __future__ import annotations

import os
import subprocess

from tests.servers import HELPDESK


def test_the_templates_are_printed_in_english_and_dutch_with_metas_placeholders():
    env = {**os.environ, "WHATSAPP_NOTICE_TEMPLATE": "northwind_late_notice"}
    result = subprocess.run(
        [HELPDESK, "whatsapp", "templates"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    english, dutch = result.stdout.split("name: ")[1:]
    assert english.startswith("northwind_late_notice\nlanguage: en\ncategory: UTILITY")
    assert "Hello {{1}}" in english and "{{4}} now has your application" in english
    assert dutch.startswith("northwind_late_notice\nlanguage: nl")
    assert "Hallo {{1}}" in dutch and "uiterlijk {{5}}" in dutch
    assert "name, vacancy, reference, recruiter, respond_by" in result.stdout
