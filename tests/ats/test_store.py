"""The ATS store's async API, on SQLite and on PostgreSQL."""

import asyncio
import dataclasses
from datetime import datetime

import pytest

from ats.models import EscalationReason, EscalationState, Status
from ats.records import EscalationRequest
from ats.store_basics import ApplicationNotFound, RecruiterNotFound
from tests.ats.helpers import UTC, add, days, row

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_an_application_is_found_by_its_reference_however_it_is_typed(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    for typed in ("AP-7K3M-9XQ2", "ap7k3m9xq2", "ap 7k3m 9xq2", "AP-7K3M-9XQ2 "):
        found = await store.find_application(typed)
        assert found is not None, typed
        assert found.reference == "AP-7K3M-9XQ2"
    found = await store.find_application("AP-7K3M-9XQ2")
    assert found.candidate.name == "Sanne de Vries"
    assert found.vacancy.title == "Data Analyst"
    assert found.recruiter.name == "Eva Jansen"
    assert found.applied_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert found.ack_due_at == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


async def test_unknown_or_malformed_references_find_nothing(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    assert await store.find_application("AP-7K3M-9XQ3") is None
    assert await store.find_application("not a reference") is None
    assert await store.find_application("") is None


async def test_applications_are_found_by_email_in_any_case_newest_first(store, db_settings):
    await add(
        store,
        db_settings,
        row(2, vacancy_code="A", applied_at=NOW - days(10)),
        row(3, vacancy_code="B", vacancy_title="Nurse", applied_at=NOW - days(2)),
        row(4, candidate_email="other@example.com", candidate_name="Other", vacancy_code="A"),
    )
    found = await store.find_applications_by_email("  SANNE@Example.NL ")
    assert [a.vacancy.code for a in found] == ["B", "A"]
    assert await store.find_applications_by_email("nobody@example.com") == []


async def test_a_status_change_is_recorded_with_its_event(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"), now=NOW - days(1))
    changed = await store.record_status_change(
        "AP-7K3M-9XQ2",
        Status.SCREENING,
        actor="Eva Jansen",
        source="desk",
        stage="CV check",
        at=NOW,
    )
    assert changed.status is Status.SCREENING
    assert changed.stage == "CV check"
    # moving past `applied` is the acknowledgement
    assert changed.acknowledged_at == NOW
    history = await store.status_history("AP-7K3M-9XQ2")
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, Status.APPLIED),
        (Status.APPLIED, Status.SCREENING),
    ]
    assert history[-1].actor == "Eva Jansen"
    assert history[-1].source == "desk"
    assert (await store.find_application("AP-7K3M-9XQ2")).status is Status.SCREENING


async def test_no_event_when_nothing_changes(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    await store.record_status_change("AP-7K3M-9XQ2", "applied", actor="x", source="test")
    assert len(await store.status_history("AP-7K3M-9XQ2")) == 1


async def test_closing_keeps_the_reason_and_a_closed_application_is_not_overdue(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2", applied_at=NOW - days(20)))
    assert [o.application.reference for o in await store.list_overdue(NOW)] == ["AP-7K3M-9XQ2"]
    closed = await store.record_status_change(
        "AP-7K3M-9XQ2", "withdrawn", actor="applicant", source="bot", close_reason="took a job"
    )
    assert closed.is_closed
    assert closed.close_reason == "took a job"
    assert closed.acknowledged_at is None
    assert await store.list_overdue(NOW) == []


async def test_a_status_change_for_an_unknown_application_is_an_error(store):
    with pytest.raises(ApplicationNotFound):
        await store.record_status_change("AP-0000-0000", "hired", actor="x", source="test")
    with pytest.raises(ValueError):
        await store.record_status_change("AP-0000-0000", "promoted", actor="x", source="test")


async def test_list_overdue_finds_late_acknowledgements_and_late_updates(store, db_settings):
    await add(
        store,
        db_settings,
        # ack due 9 Nov: overdue
        row(2, reference="AP-AAAA-0001", candidate_email="a@example.com"),
        # fresh: due in the future
        row(3, reference="AP-AAAA-0002", candidate_email="b@example.com", applied_at=NOW),
        # acknowledged in time
        row(
            4,
            reference="AP-AAAA-0003",
            candidate_email="c@example.com",
            acknowledged_at=datetime(2026, 11, 3, tzinfo=UTC),
        ),
        # on hold, promised update passed
        row(
            5,
            reference="AP-AAAA-0004",
            candidate_email="d@example.com",
            status=Status.ON_HOLD,
            acknowledged_at=datetime(2026, 11, 3, tzinfo=UTC),
            next_update_due_at=NOW - days(1),
        ),
        # on hold, promised update still ahead
        row(
            6,
            reference="AP-AAAA-0005",
            candidate_email="e@example.com",
            status=Status.ON_HOLD,
            acknowledged_at=datetime(2026, 11, 3, tzinfo=UTC),
            next_update_due_at=NOW + days(1),
        ),
        # rejected without acknowledgement: closed, not overdue
        row(7, reference="AP-AAAA-0006", candidate_email="f@example.com", status=Status.REJECTED),
        # unacknowledged and past an update date: listed once, as ack_overdue
        row(
            8,
            reference="AP-AAAA-0007",
            candidate_email="g@example.com",
            next_update_due_at=NOW - days(2),
        ),
    )
    overdue = await store.list_overdue(NOW)
    assert [(o.application.reference, o.reason) for o in overdue] == [
        ("AP-AAAA-0001", EscalationReason.ACK_OVERDUE),
        ("AP-AAAA-0007", EscalationReason.ACK_OVERDUE),
        ("AP-AAAA-0004", EscalationReason.UPDATE_OVERDUE),
    ]
    assert overdue[0].due_at == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    assert all(o.application.overdue_reason(NOW) is o.reason for o in overdue)
    assert len(await store.list_overdue(NOW, limit=2)) == 2
    # just before the first deadline nothing was overdue yet
    assert await store.list_overdue(datetime(2026, 11, 9, 8, 59, tzinfo=UTC)) == []


async def test_an_escalation_goes_to_the_vacancy_recruiter(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    escalation, created, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=NOW + days(1),
            application_reference="ap-7k3m-9xq2",
            channel="rest",
            conversation_id="chat-1",
        )
    )
    assert created
    assert escalation.state is EscalationState.OPEN
    assert escalation.recruiter.name == "Eva Jansen"
    assert escalation.application_reference == "AP-7K3M-9XQ2"
    assert escalation.applicant_email == "sanne@example.nl"
    assert escalation.respond_by == NOW + days(1)


async def test_opening_the_same_escalation_twice_returns_the_first(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    request = EscalationRequest(
        reason=EscalationReason.ACK_OVERDUE,
        respond_by=NOW,
        application_reference="AP-7K3M-9XQ2",
    )
    first, created_first, _ = await store.open_escalation(request)
    second, created_second, _ = await store.open_escalation(request)
    assert (created_first, created_second) == (True, False)
    assert first.id == second.id
    # another reason for the same application is another escalation
    other, created, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.PRIVACY_REQUEST,
            respond_by=NOW,
            application_reference="AP-7K3M-9XQ2",
        )
    )
    assert created and other.id != first.id


async def test_concurrent_escalations_open_exactly_one(store, db_settings):
    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    request = EscalationRequest(
        reason=EscalationReason.ACK_OVERDUE, respond_by=NOW, application_reference="AP-7K3M-9XQ2"
    )
    results = await asyncio.gather(*(store.open_escalation(request) for _ in range(20)))
    assert sum(created for _, created, _ in results) == 1
    assert len({escalation.id for escalation, _, _ in results}) == 1


async def test_the_database_refuses_a_second_open_escalation(store, db_settings):
    """The uniqueness is the database's, not just the API's: a raw insert is refused too."""
    from sqlalchemy.exc import IntegrityError

    from ats.models import Escalation

    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    request = EscalationRequest(
        reason=EscalationReason.ACK_OVERDUE, respond_by=NOW, application_reference="AP-7K3M-9XQ2"
    )
    first, _, _ = await store.open_escalation(request)
    async with store.session() as session:
        stored = await session.get(Escalation, first.id)
        duplicate = Escalation(
            application_id=stored.application_id,
            reason="ack_overdue",
            recruiter_id=stored.recruiter_id,
            state="open",
            respond_by=NOW,
            created_at=NOW,
        )
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        # once resolved, a new one may be opened
        stored = await session.get(Escalation, first.id)
        stored.state = "resolved"
        await session.commit()
    again, created, _ = await store.open_escalation(request)
    assert created and again.id != first.id


async def test_an_unknown_applicant_is_escalated_to_the_named_recruiter(store, db_settings):
    await add(store, db_settings, row())
    escalation, created, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.UNKNOWN_APPLICANT,
            respond_by=NOW,
            recruiter_email="EVA@example.com",
            applicant_name="Piet Pieters",
            applicant_email="Piet@Example.com",
            vacancy_hint="the nursing job",
        )
    )
    assert created
    assert escalation.application_reference is None
    assert escalation.applicant_email == "piet@example.com"
    assert escalation.recruiter.email == "eva@example.com"
    with pytest.raises(RecruiterNotFound):
        await store.open_escalation(
            EscalationRequest(
                reason=EscalationReason.UNKNOWN_APPLICANT,
                respond_by=NOW,
                recruiter_email="nobody@example.com",
            )
        )


async def test_a_lookup_survives_postgresql_dropping_its_connections(settings):
    """After a database restart the pool holds dead connections: the next lookup still answers."""
    import asyncpg

    from ats.db import create_engine
    from ats.store import ATSStore
    from tests.conftest import TABLES, require_postgres

    url = require_postgres()
    store = ATSStore(create_engine(url))
    try:
        async with store.engine.begin() as connection:
            await connection.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        settings = dataclasses.replace(settings, ats_database_url=url)
        await add(store, settings, row(reference="AP-7K3M-9XQ2"))
        assert await store.find_application("AP-7K3M-9XQ2") is not None
        admin = await asyncpg.connect(url)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert killed >= 1
            # termination is asynchronous: wait until the server has really closed them
            for _ in range(100):
                left = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if not left:
                    break
                await asyncio.sleep(0.05)
        finally:
            await admin.close()
        found = await store.find_application("AP-7K3M-9XQ2")
        assert found is not None and found.candidate.name == "Sanne de Vries"
    finally:
        await store.close()


async def test_the_overdue_query_reads_the_partial_index_not_the_table(store, db_settings):
    from ats.applications import overdue_query
    from ats.db import explain

    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    async with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # a tiny table is cheapest to scan: forbid that, to see whether the index applies
            await connection.exec_driver_sql("SET enable_seqscan = off")
        plan = await explain(connection, overdue_query(NOW))
    assert "ix_applications_unacknowledged_ack_due_at" in plan, plan
    assert "ix_applications_open_next_update_due_at" in plan, plan
    assert "SCAN applications" not in plan  # SQLite's word for reading the whole table
    assert "Seq Scan on applications" not in plan


async def test_an_escalations_mails_are_queued_with_it_once(store, db_settings):
    from sqlalchemy import func, select

    from ats.models import OutgoingMail
    from ats.records import Mail

    await add(store, db_settings, row(reference="AP-7K3M-9XQ2"))
    request = EscalationRequest(
        reason=EscalationReason.ACK_OVERDUE, respond_by=NOW, application_reference="AP-7K3M-9XQ2"
    )

    def mails(escalation):
        return [Mail(escalation.recruiter.email, f"Escalation {escalation.id}", "Late.", "esc")]

    results = await asyncio.gather(*(store.open_escalation(request, mails) for _ in range(10)))
    queued = [ids for _, created, ids in results if created]
    assert len(queued) == 1 and len(queued[0]) == 1
    async with store.session() as session:
        stored = (await session.scalars(select(OutgoingMail))).all()
        assert await session.scalar(select(func.count()).select_from(OutgoingMail)) == 1
    assert stored[0].to_address == "eva@example.com"
    assert stored[0].escalation_id == results[0][0].id


async def test_the_default_recruiter(store, db_settings):
    with pytest.raises(RecruiterNotFound):
        await store.default_recruiter()
    await add(store, db_settings, row())
    assert (await store.default_recruiter()).email == "eva@example.com"
    added = await store.default_recruiter("Talent@Example.com", "Tess Talent")
    assert (added.name, added.email) == ("Tess Talent", "talent@example.com")
    assert (await store.default_recruiter("talent@example.com")).name == "Tess Talent"


async def test_a_telegram_update_is_seen_once_even_when_redelivered_concurrently(store):
    results = await asyncio.gather(*(store.first_time_seen(555001) for _ in range(10)))
    assert sum(results) == 1
    assert await store.first_time_seen(555002) is True
    assert await store.first_time_seen(555001) is False
