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
