"""Reading and checking an ATS export, one application per row, before anything is stored.

The whole file is checked first and every problem reported with its line, field and reason,
so an operator fixes the file once instead of one error at a time; a file with any bad row is
not imported at all.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ats.models import Status
from ats.reference import InvalidReference, parse_reference

UTC = timezone.utc

COLUMNS = (
    "reference",
    "candidate_name",
    "candidate_email",
    "candidate_language",
    "candidate_phone",
    "vacancy_code",
    "vacancy_title",
    "vacancy_process",
    "recruiter_name",
    "recruiter_email",
    "applied_at",
    "acknowledged_at",
    "status",
    "stage",
    "next_update_due_at",
    "ats_system",
    "ats_id",
    "consent",
)
REQUIRED = (
    "candidate_name",
    "candidate_email",
    "vacancy_code",
    "vacancy_title",
    "recruiter_name",
    "recruiter_email",
    "applied_at",
    "status",
)
LANGUAGES = ("en", "nl")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
STATUS_ALIASES = {s.value: s for s in Status} | {
    "on hold": Status.ON_HOLD,
    "on-hold": Status.ON_HOLD,
}
MAX_LENGTH = {
    "candidate_name": 200,
    "candidate_email": 320,
    "vacancy_code": 100,
    "vacancy_title": 300,
    "vacancy_process": 4000,
    "recruiter_name": 200,
    "recruiter_email": 320,
    "stage": 200,
    "ats_system": 50,
    "ats_id": 100,
}
# The applicant's consent to the longer retention period, as the ATS records it: a yes or no
# (English or Dutch), or the date it was given. Empty: the ATS does not say.
CONSENT_WORDS = {
    "yes": True,
    "true": True,
    "1": True,
    "ja": True,
    "no": False,
    "false": False,
    "0": False,
    "nee": False,
}
# A clock or time-zone slip of a few hours is plausible; an application days ahead is not.
FUTURE_SLACK = timedelta(days=1)


class UnreadableFile(ValueError):
    """The file cannot be read as a CSV or JSON import at all."""


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One checked, normalised application from an import file."""

    line: int
    reference: str | None
    candidate_name: str
    candidate_email: str
    candidate_language: str
    candidate_phone: str | None
    vacancy_code: str
    vacancy_title: str
    recruiter_name: str
    recruiter_email: str
    applied_at: datetime
    acknowledged_at: datetime | None
    status: Status
    stage: str | None
    next_update_due_at: datetime | None
    ats_system: str | None
    ats_id: str | None
    vacancy_process: str | None = None
    # True: consent given (on `consent_given_at` when the ATS says when); False: no consent
    # (a consent recorded from the ATS is withdrawn); None: the ATS does not say.
    consent: bool | None = None
    consent_given_at: datetime | None = None

    @property
    def key(self) -> tuple[str, ...]:
        """The upsert key: the ATS's own id when given, else the reference, else who and what."""
        if self.ats_id:
            return ("ats", self.ats_system or "", self.ats_id)
        if self.reference:
            return ("reference", self.reference)
        return ("candidate_vacancy", self.candidate_email, self.vacancy_code)

    @property
    def key_field(self) -> str:
        return {"ats": "ats_id", "reference": "reference"}.get(self.key[0], "candidate_email")


ErrorReporter = Callable[[str, str], None]
"""Records a problem with a field of the row being checked: (field, reason)."""


# -- reading -----------------------------------------------------------------------------------


def read_file(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, raw fields) for each row of a CSV or JSON import file."""
    try:
        with path.open("rb") as probe:
            head = probe.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json" or head.startswith("["):
        yield from _read_json(path)
    else:
        yield from _read_csv(path)


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
        with handle:
            header_line = handle.readline()
            if not header_line.strip():
                raise UnreadableFile(f"{path} is empty: expected a header row")
            try:
                # Spreadsheets set to Dutch save CSV with semicolons.
                dialect = csv.Sniffer().sniff(header_line, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            handle.seek(0)
            reader = csv.reader(handle, dialect)
            header = [h.strip().lower() for h in next(reader)]
            _check_header(header)
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                fields = dict(zip(header, values, strict=False))
                if len(values) > len(header):
                    fields["\0extra"] = str(len(values) - len(header))
                yield reader.line_num, fields
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path} is not UTF-8 text; save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise UnreadableFile(f"{path} is not a readable CSV file: {exc}") from None


def _check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnreadableFile(
            "the header row lacks the column(s) "
            + ", ".join(missing)
            + f"; expected columns: {', '.join(COLUMNS)}"
        )


def _read_json(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path} is not UTF-8 text") from None
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise UnreadableFile(f"{path}: a JSON import is a list of objects, [ {{...}}, ... ]")
    position = _skip_space(text, position + 1)
    line, counted = 1, 0
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted, position)
        counted = position
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(f"{path}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(item, dict):
            raise UnreadableFile(f"{path}: line {line}: each item must be an object, {{...}}")
        yield line, {str(k).strip().lower(): _json_text(v) for k, v in item.items()}
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position < len(text) and text[position] != "]":
            line += text.count("\n", counted, position)
            raise UnreadableFile(f"{path}: line {line}: expected , or ] between objects")
    if position >= len(text):
        raise UnreadableFile(f"{path}: the JSON list is not closed with ]")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


# -- checking ---------------------------------------------------------------------------------


class RowChecker:
    """Turns raw rows into ImportRows, collecting every error instead of stopping at the first."""

    def __init__(self, tz: ZoneInfo, now: datetime) -> None:
        self.tz = tz
        self.now = now
        self.errors: list[RowError] = []
        self._keys: dict[tuple[str, ...], int] = {}
        self._references: dict[str, int] = {}
        self._vacancy_recruiters: dict[str, tuple[str, int]] = {}

    def check(self, line: int, raw: dict[str, str]) -> ImportRow | None:
        errors_before = len(self.errors)

        def error(field: str, reason: str) -> None:
            self.errors.append(RowError(line, field, reason))

        if "\0extra" in raw:
            error("row", f"has {raw.pop(chr(0) + 'extra')} more value(s) than the header")
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        for column in REQUIRED:
            if not values[column]:
                error(column, "is missing")
        for column, limit in MAX_LENGTH.items():
            if len(values[column]) > limit:
                error(column, f"is longer than {limit} characters")

        reference = None
        if values["reference"]:
            try:
                reference = parse_reference(values["reference"])
            except InvalidReference as exc:
                error("reference", f"{values['reference']!r} is not a valid reference: {exc}")

        for column in ("candidate_email", "recruiter_email"):
            if values[column] and not EMAIL.match(values[column]):
                error(column, f"{values[column]!r} is not an email address")

        language = values["candidate_language"].lower().replace("_", "-").split("-")[0] or "en"
        if language not in LANGUAGES:
            error("candidate_language", f"{values['candidate_language']!r} is not en or nl")

        phone = values["candidate_phone"] or None
        if phone and not PHONE.match(phone):
            error("candidate_phone", f"{phone!r} is not a phone number")

        status = STATUS_ALIASES.get(values["status"].lower().replace("_", " ").strip())
        if status is None and values["status"]:
            status = STATUS_ALIASES.get(values["status"].lower())
        if status is None and values["status"]:
            error(
                "status",
                f"{values['status']!r} is not one of " + ", ".join(s.value for s in Status),
            )

        applied_at = self._time(values, "applied_at", error)
        acknowledged_at = self._time(values, "acknowledged_at", error)
        next_update_due_at = self._time(values, "next_update_due_at", error)
        if applied_at and applied_at > self.now + FUTURE_SLACK:
            error("applied_at", f"{values['applied_at']} is in the future")
        if applied_at and acknowledged_at and acknowledged_at < applied_at:
            error("acknowledged_at", "is before applied_at")
        if acknowledged_at and acknowledged_at > self.now + FUTURE_SLACK:
            error("acknowledged_at", f"{values['acknowledged_at']} is in the future")

        consent, consent_given_at = self._consent(values["consent"], error)

        ats_system = values["ats_system"].lower() or None
        ats_id = values["ats_id"] or None
        if bool(ats_system) != bool(ats_id):
            error("ats_id" if ats_system else "ats_system", "ats_system and ats_id go together")

        if len(self.errors) > errors_before:
            return None
        # Without errors both were read (a missing one is reported as an error above).
        assert applied_at is not None and status is not None
        row = ImportRow(
            line=line,
            reference=reference,
            candidate_name=values["candidate_name"],
            candidate_email=values["candidate_email"].lower(),
            candidate_language=language,
            candidate_phone=phone,
            vacancy_code=values["vacancy_code"],
            vacancy_title=values["vacancy_title"],
            recruiter_name=values["recruiter_name"],
            recruiter_email=values["recruiter_email"].lower(),
            applied_at=applied_at,
            acknowledged_at=acknowledged_at,
            status=status,
            stage=values["stage"] or None,
            next_update_due_at=next_update_due_at,
            ats_system=ats_system,
            ats_id=ats_id,
            vacancy_process=values["vacancy_process"] or None,
            consent=consent,
            consent_given_at=consent_given_at,
        )
        return row if self._check_against_earlier_rows(row, error) else None

    def _check_against_earlier_rows(self, row: ImportRow, error: ErrorReporter) -> bool:
        ok = True
        first = self._keys.setdefault(row.key, row.line)
        if first != row.line:
            error(row.key_field, f"the same application as line {first}")
            ok = False
        if row.reference:
            first = self._references.setdefault(row.reference, row.line)
            if first != row.line and ok:
                error("reference", f"{row.reference} is already used on line {first}")
                ok = False
        recruiter, first = self._vacancy_recruiters.setdefault(
            row.vacancy_code, (row.recruiter_email, row.line)
        )
        if recruiter != row.recruiter_email:
            error(
                "recruiter_email",
                f"vacancy {row.vacancy_code} has recruiter {recruiter} on line {first}",
            )
            ok = False
        return ok

    def _time(self, values: dict[str, str], column: str, error: ErrorReporter) -> datetime | None:
        text = values[column]
        if not text:
            return None
        try:
            return parse_time(text, self.tz)
        except ValueError:
            error(column, f"{text!r} is not an ISO 8601 date and time (2026-03-14T09:30:00+01:00)")
            return None

    def _consent(self, text: str, error: ErrorReporter) -> tuple[bool | None, datetime | None]:
        if not text:
            return None, None
        try:
            given, at = parse_consent(text, self.tz)
        except ValueError:
            error(
                "consent",
                f"{text!r} is not yes, no (ja, nee, true, false, 1, 0) or the date consent was "
                "given (2026-03-14)",
            )
            return None, None
        if at is not None and at > self.now + FUTURE_SLACK:
            error("consent", f"{text} is in the future")
            return None, None
        return given, at


def parse_consent(text: str, tz: ZoneInfo) -> tuple[bool | None, datetime | None]:
    """An ATS's consent value: (True, None) for yes, (False, None) for no, (True, the time) for
    the date consent was given, (None, None) for nothing; ValueError for anything else."""
    text = text.strip()
    if not text:
        return None, None
    word = CONSENT_WORDS.get(text.lower())
    if word is not None:
        return word, None
    return True, parse_time(text, tz)


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 time; without an offset it is the employer's local time. Returns UTC."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
