"""What an ATS's stage names and rejection reasons mean in the help desk's vocabulary.

Each employer names its stages itself, so the mapping is configurable: HELPDESK_ATS_MAPPING
names a JSON file such as

    {"greenhouse": {"stages": {"Application Review": "applied", "Hiring Manager Call": "interview"},
                    "withdrawn_reasons": ["Candidate withdrew", "Took another offer"]}}

Stages not in the file are recognised by common words (screen, interview, assessment, offer,
hired); anything else counts as screening: past the first stage, the application has evidently
been looked at, so it is acknowledged.

`consent_field` says where the ATS keeps the applicant's consent to the longer retention period
(read as the import file's `consent` column: yes/no, or the date it was given): for Greenhouse
the key of a candidate custom field (Harvest's `custom_fields`/`keyed_custom_fields`); for Lever
`dataProtection.store`, the consent object Lever documents on an opportunity, to be named only
when the employer's Lever relies on the applicant's consent (under legitimate interest Lever
allows storage without it). Without it, nothing is read and the stored consent stays as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ats.models import Status
from ats.settings import ConfigurationError

# words in a stage name, in order of precedence, and the status they mean
STAGE_WORDS: tuple[tuple[str, Status], ...] = (
    ("hired", Status.HIRED),
    ("offer", Status.OFFER),
    ("interview", Status.INTERVIEW),
    ("onsite", Status.INTERVIEW),
    ("on-site", Status.INTERVIEW),
    ("face to face", Status.INTERVIEW),
    ("assessment", Status.INTERVIEW),
    ("screen", Status.SCREENING),
    ("review", Status.APPLIED),
    ("applied", Status.APPLIED),
    ("new", Status.APPLIED),
)


@dataclass(frozen=True)
class StageMapping:
    """One ATS's stage names and withdrawal reasons, as one employer uses them."""

    stages: dict[str, Status] = field(default_factory=dict)
    withdrawn_reasons: frozenset[str] = frozenset()
    consent_field: str | None = None

    def status_of(self, stage: str | None) -> Status:
        name = (stage or "").strip().lower()
        if name in self.stages:
            return self.stages[name]
        for word, status in STAGE_WORDS:
            if word in name:
                return status
        return Status.SCREENING if name else Status.APPLIED

    def is_withdrawal(self, *reasons: str | None) -> bool:
        return any((reason or "").strip().lower() in self.withdrawn_reasons for reason in reasons)


# reasons the ATSs themselves use for an applicant who withdrew
BUILT_IN_WITHDRAWALS = {
    "greenhouse": {"they rejected us", "candidate withdrew", "withdrew"},
}


def load_mapping(ats: str, path: str | Path | None = None) -> StageMapping:
    """One ATS's part of the JSON file at `path` (HELPDESK_ATS_MAPPING, `Settings.
    ats_mapping_path`); without a file, stage names are read by their words."""
    raw_path = str(path or "").strip()
    configured: dict[str, Any] = {}
    if raw_path:
        try:
            configured = json.loads(Path(raw_path).read_text(encoding="utf-8")).get(ats, {})
        except (OSError, ValueError, AttributeError) as error:
            raise ConfigurationError(
                f"HELPDESK_ATS_MAPPING={raw_path!r} is not a readable JSON mapping: {error}"
            ) from None
    stages: dict[str, Status] = {}
    for name, value in (configured.get("stages") or {}).items():
        try:
            stages[str(name).strip().lower()] = Status(str(value).strip().lower())
        except ValueError:
            raise ConfigurationError(
                f"HELPDESK_ATS_MAPPING: stage {name!r} of {ats} maps to {value!r}, which is "
                f"not one of {', '.join(s.value for s in Status)}"
            ) from None
    reasons = {str(r).strip().lower() for r in configured.get("withdrawn_reasons") or []}
    consent_field = configured.get("consent_field")
    if consent_field is not None and not (isinstance(consent_field, str) and consent_field.strip()):
        raise ConfigurationError(
            f"HELPDESK_ATS_MAPPING: consent_field of {ats} must name a field, not {consent_field!r}"
        )
    return StageMapping(
        stages,
        frozenset(reasons | BUILT_IN_WITHDRAWALS.get(ats, set())),
        consent_field.strip() if consent_field else None,
    )
