"""Importing ATS exports: good files, re-imports, changes, and bad files that import nothing."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from ats.import_report import ImportFailed
from ats.importer import import_file
from ats.models import Status
from ats.reference import parse_reference
from ats.rows import UnreadableFile
from tests.ats.helpers import UTC, csv_row, write_csv, write_json

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def good_rows() -> list[dict[str, str]]:
    return [
        csv_row(reference="AP-7K3M-9XQ2", ats_system="greenhouse", ats_id="1001"),
        csv_row(
            candidate_name="James Carter",
            candidate_email="James.Carter@Example.com",
            candidate_language="en",
            candidate_phone="+31 6 1234 5678",
            vacancy_code="DEV-3",
            vacancy_title="Backend Developer",
            recruiter_name="Priya Sharma",
            recruiter_email="priya@example.com",
            applied_at="2026-11-20T14:00:00+01:00",
            status="interview",
            stage="First interview",
            ats_system="greenhouse",
            ats_id="1002",
        ),
        csv_row(
            candidate_name="Fatima El Amrani",
            candidate_email="fatima@example.nl",
            vacancy_code="DEV-3",
            vacancy_title="Backend Developer",
            recruiter_name="Priya Sharma",
            recruiter_email="priya@example.com",
            applied_at="2026-10-01T09:00:00Z",
            acknowledged_at="2026-10-02T09:00:00Z",
            status="On hold",
            next_update_due_at="2026-11-20T12:00:00",
        ),
    ]


async def test_a_csv_file_is_imported(store, db_settings, tmp_path):
    path = write_csv(tmp_path / "export.csv", good_rows())
    summary = await import_file(store, path, db_settings, now=NOW)
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)

    sanne = await store.find_application("AP-7K3M-9XQ2")
    # no offset: the employer's time zone (CET in November)
    assert sanne.applied_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert sanne.candidate.language == "nl"
    assert sanne.ats_system == "greenhouse" and sanne.ats_id == "1001"

    [james] = await store.find_applications_by_email("james.carter@example.com")
    assert parse_reference(james.reference) == james.reference  # generated in the public format
    assert james.status is Status.INTERVIEW and james.stage == "First interview"
    assert james.candidate.email == "james.carter@example.com"
    assert james.candidate.phone == "+31 6 1234 5678"
    assert james.recruiter.name == "Priya Sharma"
    assert james.acknowledged_at == NOW  # past `applied`: acknowledged when we learnt of it

    [fatima] = await store.find_applications_by_email("fatima@example.nl")
    assert fatima.status is Status.ON_HOLD
    assert fatima.next_update_due_at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert fatima.is_update_overdue(NOW)


async def test_importing_the_same_file_again_changes_nothing(store, db_settings, tmp_path):
    path = write_csv(tmp_path / "export.csv", good_rows())
    first = await import_file(store, path, db_settings, now=NOW)
    before = {a.reference: a for a in await _all(store)}
    again = await import_file(store, path, db_settings, now=datetime(2026, 11, 26, tzinfo=UTC))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert {a.reference: a for a in await _all(store)} == before
    assert set(before) == set(first.created_references)
    for reference in before:
        assert len(await store.status_history(reference)) == 1


async def test_a_changed_status_is_updated_and_recorded(store, db_settings, tmp_path):
    rows = good_rows()
    await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    rows[0] = {**rows[0], "status": "screening", "stage": "CV review"}
    rows[1] = {**rows[1], "candidate_name": "James R. Carter"}  # not a status change
    summary = await import_file(store, write_csv(tmp_path / "b.csv", rows), db_settings)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 1)
    sanne = await store.find_application("AP-7K3M-9XQ2")
    assert sanne.status is Status.SCREENING and sanne.stage == "CV review"
    history = await store.status_history("AP-7K3M-9XQ2")
    assert [(e.from_status, e.to_status, e.source) for e in history] == [
        (None, Status.APPLIED, "import"),
        (Status.APPLIED, Status.SCREENING, "import"),
    ]
    [james] = await store.find_applications_by_email("james.carter@example.com")
    assert james.candidate.name == "James R. Carter"
    assert len(await store.status_history(james.reference)) == 1


async def test_rows_without_ids_are_matched_by_candidate_and_vacancy(store, db_settings, tmp_path):
    rows = [csv_row()]
    await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    rows[0]["status"] = "rejected"
    summary = await import_file(store, write_csv(tmp_path / "b.csv", rows), db_settings)
    assert (summary.created, summary.updated) == (0, 1)
    [sanne] = await store.find_applications_by_email("sanne@example.nl")
    assert sanne.status is Status.REJECTED


async def test_a_semicolon_csv_from_a_dutch_spreadsheet_is_read(store, db_settings, tmp_path):
    path = write_csv(tmp_path / "export.csv", good_rows(), delimiter=";")
    summary = await import_file(store, path, db_settings, now=NOW)
    assert summary.created == 3


async def test_a_json_file_is_imported(store, db_settings, tmp_path):
    path = write_json(tmp_path / "export.json", good_rows())
    summary = await import_file(store, path, db_settings, now=NOW)
    assert summary.created == 3
    assert (await store.find_application("AP-7K3M-9XQ2")).candidate.name == "Sanne de Vries"


async def test_a_bad_file_imports_nothing_and_lists_every_bad_row(store, db_settings, tmp_path):
    rows = good_rows() + [
        csv_row(candidate_email="not-an-email", vacancy_code="X-1"),  # line 5
        csv_row(candidate_name="", candidate_email="b@example.com"),  # line 6
        csv_row(candidate_email="c@example.com", applied_at="25/11/2026"),  # line 7
        csv_row(candidate_email="d@example.com", status="ghosted"),  # line 8
        csv_row(candidate_email="e@example.com", reference="AP-1234"),  # line 9
        csv_row(candidate_email="f@example.com", reference="REF-0001"),  # line 10
        csv_row(reference="AP-7K3M-9XQ2", ats_system="greenhouse", ats_id="1001"),  # line 11
        csv_row(candidate_email="g@example.com", candidate_language="fr"),  # line 12
        csv_row(candidate_email="h@example.com", recruiter_email="eva@"),  # line 13
        csv_row(candidate_email="i@example.com", ats_id="77"),  # line 14
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ImportFailed) as failure:
        await import_file(store, path, db_settings, now=NOW)
    found = {(e.line, e.field) for e in failure.value.errors}
    assert found == {
        (5, "candidate_email"),
        (6, "candidate_name"),
        (7, "applied_at"),
        (8, "status"),
        (9, "reference"),
        (10, "reference"),
        (11, "ats_id"),
        (12, "candidate_language"),
        (13, "recruiter_email"),
        (14, "ats_system"),
    }
    reasons = {e.line: e.reason for e in failure.value.errors}
    assert "not an email address" in reasons[5]
    assert reasons[6] == "is missing"
    assert "ISO 8601" in reasons[7]
    assert "ghosted" in reasons[8] and "on_hold" in reasons[8]
    assert "line 2" in reasons[11]
    assert await store.count_applications() == 0
    assert await store.find_applications_by_email("sanne@example.nl") == []


async def test_json_errors_carry_the_line_of_their_object(store, db_settings, tmp_path):
    rows = good_rows()
    rows[2] = {**rows[2], "status": "lost"}
    path = write_json(tmp_path / "bad.json", rows)
    with pytest.raises(ImportFailed) as failure:
        await import_file(store, path, db_settings, now=NOW)
    [error] = failure.value.errors
    text = path.read_text().splitlines()
    assert text[error.line - 1].strip() == "{"
    assert '"lost"' in "\n".join(text[error.line - 1 : error.line + 15])


async def test_a_reference_cannot_move_to_another_application(store, db_settings, tmp_path):
    await import_file(store, write_csv(tmp_path / "a.csv", good_rows()), db_settings, now=NOW)
    # the same reference under another ATS id: a different application claiming it
    clash = [csv_row(reference="AP-7K3M-9XQ2", ats_system="greenhouse", ats_id="9999")]
    with pytest.raises(ImportFailed) as failure:
        await import_file(store, write_csv(tmp_path / "b.csv", clash), db_settings, now=NOW)
    assert "belongs to another application" in failure.value.errors[0].reason
    # the same ATS id with a different reference
    moved = [csv_row(reference="AP-7K3M-9XQ3", ats_system="greenhouse", ats_id="1001")]
    with pytest.raises(ImportFailed) as failure:
        await import_file(store, write_csv(tmp_path / "c.csv", moved), db_settings, now=NOW)
    assert "already has reference AP-7K3M-9XQ2" in failure.value.errors[0].reason
    assert await store.count_applications() == 3


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("name,email\nSanne,sanne@example.nl\n", "lacks the column"),
        ('[{"candidate_name": "x"', "not valid JSON"),
        ('{"candidate_name": "x"}', "list of objects"),
        ('["just a string"]', "must be an object"),
    ],
)
async def test_unreadable_files_are_refused_with_a_reason(
    store, db_settings, tmp_path, content, message
):
    suffix = ".json" if content.startswith(("[", "{")) else ".csv"
    path = tmp_path / f"file{suffix}"
    path.write_text(content)
    with pytest.raises(UnreadableFile, match=message):
        await import_file(store, path, db_settings, now=NOW)
    assert await store.count_applications() == 0


async def test_a_file_that_is_not_utf8_is_refused(store, db_settings, tmp_path):
    path = tmp_path / "latin1.csv"
    header = ",".join(json.loads(json.dumps(list(csv_row()))))
    values = ",".join(csv_row(candidate_name="Zoë Müller").values())
    path.write_bytes((header + "\n" + values + "\n").encode("latin-1"))
    with pytest.raises(UnreadableFile, match="UTF-8"):
        await import_file(store, path, db_settings, now=NOW)


async def _all(store):
    from ats.applications import application_query
    from ats.records import ApplicationRecord

    async with store.engine.connect() as connection:
        rows = await connection.execute(application_query())
        return [ApplicationRecord.from_row(row) for row in rows]


def test_example_file_in_docs_is_valid(settings):
    """The example file the README shows must import cleanly."""
    from ats.importer import check_file

    example = Path(__file__).parents[2] / "docs" / "example-import.csv"
    rows = check_file(example, settings, NOW)
    assert len(rows) >= 3


async def test_a_vacancys_selection_process_is_imported_and_kept(store, db_settings, tmp_path):
    rows = [csv_row(reference="AP-7K3M-9XQ2", vacancy_process="A case study, then two talks.")]
    await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    found = await store.find_application("AP-7K3M-9XQ2")
    assert found.vacancy.process_description == "A case study, then two talks."
    rows[0]["vacancy_process"] = ""  # a later export without it keeps what we know
    summary = await import_file(store, write_csv(tmp_path / "b.csv", rows), db_settings, now=NOW)
    assert summary.unchanged == 1
    found = await store.find_application("AP-7K3M-9XQ2")
    assert found.vacancy.process_description == "A case study, then two talks."


# -- consent from the ATS ---------------------------------------------------------------------


async def _candidate(store, email):
    from sqlalchemy import select

    from ats.models import Candidate

    async with store.session() as session:
        return await session.scalar(select(Candidate).where(Candidate.email == email))


async def test_consent_from_the_ats_is_recorded_and_withdrawn(store, db_settings, tmp_path):
    rows = [
        csv_row(reference="AP-7K3M-9XQ2", ats_system="greenhouse", ats_id="1", consent="ja"),
        csv_row(candidate_email="b@example.com", vacancy_code="X-2", consent="2026-06-01"),
        csv_row(candidate_email="c@example.com", vacancy_code="X-3", consent=""),
    ]
    summary = await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    assert summary.created == 3
    sanne = await _candidate(store, "sanne@example.nl")
    assert sanne.consent_given_at == NOW and sanne.consent_source == "ats"
    assert "applicant tracking system (Greenhouse)" in sanne.consent_wording
    b = await _candidate(store, "b@example.com")
    # a date without a time: the start of that day in the employer's time zone (CEST)
    assert b.consent_given_at == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)
    assert "applicant tracking system and read from it" in b.consent_wording
    assert (await _candidate(store, "c@example.com")).consent_given_at is None

    # the same file again changes nothing; an empty value leaves what is stored
    rows[0]["consent"] = "yes"
    rows[1]["consent"] = ""
    later = datetime(2026, 11, 26, tzinfo=UTC)
    again = await import_file(store, write_csv(tmp_path / "b.csv", rows), db_settings, now=later)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (await _candidate(store, "sanne@example.nl")).consent_given_at == NOW
    assert (await _candidate(store, "b@example.com")).consent_source == "ats"

    # "no" withdraws a consent the ATS gave
    rows[0]["consent"] = "nee"
    withdrawn = await import_file(store, write_csv(tmp_path / "c.csv", rows), db_settings)
    assert (withdrawn.updated, withdrawn.unchanged) == (1, 2)
    sanne = await _candidate(store, "sanne@example.nl")
    assert (sanne.consent_given_at, sanne.consent_source, sanne.consent_wording) == (None,) * 3


async def test_the_ats_cannot_withdraw_consent_given_in_the_conversation(
    store, db_settings, tmp_path
):
    from sqlalchemy import update

    from ats.models import Candidate

    rows = [csv_row(reference="AP-7K3M-9XQ2")]
    await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    async with store.session() as session, session.begin():
        await session.execute(
            update(Candidate).values(
                consent_given_at=NOW, consent_source="conversation", consent_wording="Yes, keep it."
            )
        )
    for value in ("0", "false", "yes"):  # no: not the ATS's to withdraw; yes: already given
        rows[0]["consent"] = value
        summary = await import_file(store, write_csv(tmp_path / "b.csv", rows), db_settings)
        assert summary.unchanged == 1
    sanne = await _candidate(store, "sanne@example.nl")
    assert (sanne.consent_source, sanne.consent_wording) == ("conversation", "Yes, keep it.")


async def test_a_bad_consent_value_is_a_row_error(store, db_settings, tmp_path):
    rows = [
        csv_row(consent="maybe"),
        csv_row(candidate_email="b@example.com", consent="2027-12-01"),  # in the future
    ]
    with pytest.raises(ImportFailed) as failure:
        await import_file(store, write_csv(tmp_path / "a.csv", rows), db_settings, now=NOW)
    reasons = {(e.line, e.field): e.reason for e in failure.value.errors}
    assert set(reasons) == {(2, "consent"), (3, "consent")}
    assert "'maybe' is not yes, no" in reasons[(2, "consent")]
    assert "in the future" in reasons[(3, "consent")]
    assert await store.count_applications() == 0


# -- erased applicants ------------------------------------------------------------------------


@pytest.fixture
async def erase(store, db_settings):
    """Writes tombstones as the erasure does (`scope`, keys): the fixture's store is emptied
    between tests, but not of tombstones on PostgreSQL, so they are cleared here."""
    from sqlalchemy import delete, insert

    from ats.models import ErasureTombstone
    from ats.privacy.keys import ErasureKeys

    async with store.session() as session, session.begin():
        await session.execute(delete(ErasureTombstone))
    keys = ErasureKeys.of(db_settings)

    async def write(*, email: str | None = None, reason: str = "request", **application) -> None:
        hashes = [(h, "application") for h in keys.application(email=email, **application)]
        if reason == "request" and email:
            hashes.append((keys.applicant(email), "applicant"))
        async with store.session() as session, session.begin():
            await session.execute(
                insert(ErasureTombstone),
                [
                    {"key_hash": h, "scope": scope, "reason": reason, "erased_at": NOW}
                    for h, scope in hashes
                ],
            )

    return write


def _erased_rows() -> list[dict[str, str]]:
    return [
        # erased by the retention purge, closed in the ATS: stays erased
        csv_row(
            candidate_email="ann@example.com", status="rejected", ats_system="lever", ats_id="7"
        ),
        # asked to be erased; one application closed, one the ATS still holds as active
        csv_row(candidate_email="bo@example.com", reference="AP-7K3M-9XQ2", status="withdrawn"),
        csv_row(candidate_email="bo@example.com", vacancy_code="DEV-9", status="interview"),
        # erased by the purge but reopened in the ATS: imported again
        csv_row(candidate_email="cy@example.com", vacancy_code="DEV-9", status="screening"),
        # nobody erased
        csv_row(candidate_email="di@example.com", status="hired"),
    ]


async def test_erased_applicants_are_not_imported_again_unless_the_ats_holds_them_active(
    store, db_settings, tmp_path, erase
):
    later = datetime(2026, 12, 1, tzinfo=UTC)
    application = {"reference": None, "ats_system": None, "ats_id": None, "vacancy_code": None}
    await erase(**{**application, "ats_system": "lever", "ats_id": "7"}, reason="retention")
    await erase(**{**application, "reference": "AP-7K3M-9XQ2"}, email="bo@example.com")
    await erase(
        **{**application, "vacancy_code": "DEV-9"}, email="cy@example.com", reason="retention"
    )

    path = write_csv(tmp_path / "export.csv", _erased_rows())
    summary = await import_file(store, path, db_settings, now=later)
    assert (summary.created, summary.erased_skipped, summary.erasure_requested) == (3, 2, 1)
    assert summary.rows == 5
    assert summary.lines() == [
        "2 application(s) of erased applicants not imported again.",
        "1 application(s) of applicants who asked to be erased imported again: the ATS still "
        "holds them as active (the desk shows it).",
    ]
    assert await _candidate(store, "ann@example.com") is None  # not even the person
    assert await store.find_application("AP-7K3M-9XQ2") is None
    [bo] = await store.find_applications_by_email("bo@example.com")
    assert bo.status is Status.INTERVIEW
    assert (await _candidate(store, "bo@example.com")).erasure_requested_at == NOW
    [cy] = await store.find_applications_by_email("cy@example.com")
    assert cy.status is Status.SCREENING
    assert (await _candidate(store, "cy@example.com")).erasure_requested_at is None
    assert len(await store.find_applications_by_email("di@example.com")) == 1

    # the next export: the same again changes nothing and still brings nobody back
    again = await import_file(store, path, db_settings, now=later)
    assert (again.created, again.unchanged, again.erased_skipped) == (0, 3, 2)
    assert again.erasure_requested == 0  # bo's active application is held now
    assert await store.count_applications() == 3


async def test_an_erased_applicant_comes_back_through_the_ats_web_hook_rows(
    store, db_settings, erase
):
    """Web hooks and API pulls import through import_rows: the same rules hold."""
    from ats.importer import import_rows
    from tests.ats.helpers import row

    await erase(
        reference=None, ats_system="greenhouse", ats_id="55", vacancy_code=None, email="e@x.nl"
    )
    closed = row(
        candidate_email="e@x.nl", ats_system="greenhouse", ats_id="55", status=Status.REJECTED
    )
    summary = await import_rows(store, [closed], db_settings, now=NOW)
    assert (summary.created, summary.erased_skipped) == (0, 1)
    active = row(
        candidate_email="e@x.nl", ats_system="greenhouse", ats_id="55", status=Status.OFFER
    )
    summary = await import_rows(store, [active], db_settings, now=NOW)
    assert (summary.created, summary.erasure_requested) == (1, 1)
    assert (await _candidate(store, "e@x.nl")).erasure_requested_at == NOW


def test_the_import_command_says_how_many_erased_applications_it_left_out(settings, tmp_path):
    import asyncio
    import dataclasses
    import os
    import subprocess
    import sys

    from sqlalchemy import insert

    from ats.db import create_engine
    from ats.migrate import upgrade
    from ats.models import ErasureTombstone
    from ats.privacy.keys import ErasureKeys

    url = f"sqlite:///{tmp_path / 'ats.db'}"
    settings = dataclasses.replace(settings, ats_database_url=url, secret_key="s" * 40)
    [tombstone] = ErasureKeys.of(settings).application(
        reference=None, ats_system="lever", ats_id="7", email=None, vacancy_code=None
    )

    async def prepare() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(
                insert(ErasureTombstone).values(
                    key_hash=tombstone, scope="application", reason="retention", erased_at=NOW
                )
            )
        await engine.dispose()

    asyncio.run(prepare())
    path = write_csv(tmp_path / "export.csv", _erased_rows())
    env = {**os.environ, "ATS_DATABASE_URL": url, "HELPDESK_SECRET_KEY": "s" * 40}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("helpdesk")), "ats", "import", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "5 application(s): 4 created, 0 updated, 0 unchanged." in result.stdout
    assert "1 application(s) of erased applicants not imported again." in result.stdout
