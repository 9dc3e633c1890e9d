"""Keyed hashes that name erased applications, applicants and conversations without holding
them: a tombstone must recognise an erased person in the next import, and a Rasa server must
recognise an erased conversation in its memory, yet neither may keep who it was.

The key is derived from the help desk's secret key: a new secret key forgets the tombstones
(the next import may then bring erased closed applications back until the purge runs again).
"""

from __future__ import annotations

import hashlib
import hmac

from ats.keys import derived_key, secret_key
from ats.settings import Settings


class ErasureKeys:
    """The hashes for one help desk (one secret key)."""

    def __init__(self, key: bytes) -> None:
        self._key = bytes.fromhex(derived_key(key, "erasure"))

    @classmethod
    def of(cls, settings: Settings) -> ErasureKeys:
        return cls(secret_key(settings))

    def _hash(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def conversation(self, conversation_id: str) -> str:
        return self._hash(f"conversation:{conversation_id}")

    def applicant(self, email: str) -> str:
        return self._hash(f"applicant:{email.strip().lower()}")

    def application(
        self,
        *,
        reference: str | None,
        ats_system: str | None,
        ats_id: str | None,
        email: str | None,
        vacancy_code: str | None,
    ) -> list[str]:
        """Every key an import row could match this application by (see ImportRow.key)."""
        keys = []
        if ats_id:
            keys.append(self._hash(f"ats:{ats_system or ''}:{ats_id}"))
        if reference:
            keys.append(self._hash(f"reference:{reference}"))
        if email and vacancy_code:
            keys.append(self._hash(f"candidate_vacancy:{email.lower()}:{vacancy_code}"))
        return keys
