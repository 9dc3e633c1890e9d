"""What an import reports: how many applications it created, updated or left alone, or the
rows that stopped it; and the callback through which it tells its progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ats.rows import RowError

Progress = Callable[[str, int, int], None]


class ImportFailed(Exception):
    """The file has bad rows; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported")
        self.errors = list(errors)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # closed applications of erased applicants (a tombstone matched): not brought back
    erased_skipped: int = 0
    # open applications of applicants who asked to be erased, imported because the ATS still
    # holds them as active (their candidate's erasure_requested_at is set: the desk shows it)
    erasure_requested: int = 0
    created_references: list[str] = field(default_factory=list)
    # applications whose status a desk change keeps (ats/desk_changes.py): reference, the
    # desk's status, the status this import brought and did not apply
    kept_for_desk: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.erased_skipped

    def lines(self) -> list[str]:
        """What an operator reads about the import, beyond the counts of the first line."""
        told = []
        if self.erased_skipped:
            told.append(
                f"{self.erased_skipped} application(s) of erased applicants not imported again."
            )
        if self.erasure_requested:
            told.append(
                f"{self.erasure_requested} application(s) of applicants who asked to be erased "
                "imported again: the ATS still holds them as active (the desk shows it)."
            )
        if self.kept_for_desk:
            told.append(
                f"{len(self.kept_for_desk)} status(es) not applied: a recruiter changed them in "
                "the desk and the ATS does not say so yet (the desk shows each one):"
            )
            told.extend(
                f"  {reference}: desk {desk}, ATS {ats}"
                for reference, desk, ats in self.kept_for_desk[:50]
            )
            if len(self.kept_for_desk) > 50:
                told.append(f"  ... and {len(self.kept_for_desk) - 50} more")
        return told
