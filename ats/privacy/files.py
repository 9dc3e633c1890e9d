"""Removing erased people from the outbox folder (HELPDESK_OUTBOX_DIR), where the help desk
writes its mails as .eml files when no SMTP server is configured: the mails sent to them or
about them, and any other mail (a recruiter's digest) that names them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import Iterable
from pathlib import Path

# the outbox's file names: <created>-<id, six digits or more>-<purpose>.eml
_MAIL_ID = re.compile(r"^\d{8}T\d{6}-(\d+)-")


async def remove_outbox_files(folder: Path, mail_ids: Iterable[int], needles: Iterable[str]) -> int:
    """Delete the outbox files of these mails and those that mention any of `needles`."""
    return await asyncio.to_thread(_remove, folder, set(mail_ids), [n for n in needles if n])


def _remove(folder: Path, mail_ids: set[int], needles: list[str]) -> int:
    if not folder.is_dir():
        return 0
    lowered = [needle.lower() for needle in needles]
    removed = 0
    for path in folder.glob("*.eml"):
        match = _MAIL_ID.match(path.name)
        if (match and int(match.group(1)) in mail_ids) or _mentions(path, lowered):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _mentions(path: Path, needles: list[str]) -> bool:
    if not needles:
        return False
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    except OSError:
        return False
    parts = [str(message.get("Subject", "")), str(message.get("To", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_filename():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    text = "\n".join(parts).lower()
    return any(needle in text for needle in needles)
