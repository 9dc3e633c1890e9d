"""The statements of every message on asyncpg itself: the same rows as SQLAlchemy's, on
PostgreSQL (the only database they run on; needs ATS_TEST_POSTGRES_URL's server, as the other
PostgreSQL tests). What the transactions do with them is tested with the code that runs them
(tests/ats/test_verification.py, test_limits.py), on both databases."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import String, bindparam, func, select, type_coerce
from sqlalchemy.types import TypeDecorator

from ats.applications import APPLICATION_BY_REFERENCE, APPLICATIONS_BY_EMAIL
from ats.direct_statements import KEPT_STATEMENTS, DirectPostgres
from ats.models import (
    Application,
    Candidate,
    ConversationProof,
    Escalation,
    EscalationReason,
    OutgoingMail,
    Recruiter,
    Vacancy,
)
from ats.outbox import QUEUE_ONE
from ats.proofs import PROOFS_OF_CONVERSATION
from ats.records import EscalationRequest
from ats.store import ATSStore
from tests.ats.helpers import UTC, add, days, row
from tests.conftest import require_postgres

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# columns of every kind the ATS reads: text, integers, booleans, times, enums, labels, NULLs
ESCALATIONS_OF_CONVERSATION = (
    select(
        Escalation.id,
        Escalation.reason,
        Escalation.state,
        Escalation.verified,
        Escalation.respond_by,
        Escalation.resolved_at,
        Recruiter.name.label("recruiter"),
        func.lower(Recruiter.email).label("address"),
    )
    .join(Recruiter, Escalation.recruiter_id == Recruiter.id)
    .where(
        Escalation.conversation_id == bindparam("conversation_id"),
        Escalation.respond_by > bindparam("after"),
        Escalation.respond_by != bindparam("after"),  # one parameter in two places
        Escalation.respond_by < bindparam("before"),
    )
    .order_by(Escalation.id)
    .limit(5)
)
APPLICATIONS_IN = select(Application.reference).where(
    Application.reference.in_(bindparam("references", expanding=True))
)
VACANCIES = (
    select(Vacancy.code, Vacancy.ack_working_days, Recruiter.email)
    .outerjoin(Recruiter, Vacancy.recruiter_id == Recruiter.id)
    .order_by(Vacancy.code)
)


class Masked(TypeDecorator):
    """A type of the help desk's own make: changes values on their way in and out."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value.lower()

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value[:2] + "***"


# both ways through a TypeDecorator, as UTCDateTime is
MASKED_RECRUITERS = select(type_coerce(Recruiter.email, Masked()).label("email")).where(
    Recruiter.email == type_coerce(bindparam("email"), Masked())
)


@pytest.fixture
def database_url() -> str:
    return require_postgres()


@pytest.fixture
async def direct(store: ATSStore) -> Any:
    reads = DirectPostgres(store.engine.url, store.engine.dialect, 3)
    yield reads
    await reads.close()


async def seeded(store: ATSStore, settings: Any) -> None:
    await add(
        store,
        settings,
        row(reference="AP-7K3M-9XQ2"),
        row(2, vacancy_code="B", vacancy_title="Nurse", applied_at=NOW - days(2)),
        now=NOW - days(1),
    )
    for reason in (EscalationReason.APPLICANT_REQUEST, EscalationReason.PRIVACY_REQUEST):
        await store.open_escalation(
            EscalationRequest(
                reason=reason,
                respond_by=NOW + days(1),
                application_reference="AP-7K3M-9XQ2",
                channel="telegram",
                conversation_id="chat-1",
            )
        )
    async with store.session() as session, session.begin():
        session.add_all(
            ConversationProof(
                conversation_id="chat-1",
                channel=channel,
                reference=reference,
                email="sanne@example.nl",
                client=client,
                proven_at=NOW,
                last_seen_at=NOW + timedelta(seconds=n),
            )
            for n, (channel, client, reference) in enumerate(
                (("telegram", None, "AP-7K3M-9XQ2"), ("rest", "k3y", "AP-4RTP-2WQ9"))
            )
        )


async def by_sqlalchemy(store: ATSStore, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    async with store.engine.connect() as connection:
        return list((await connection.execute(statement, parameters)).all())


async def test_each_read_gives_the_rows_sqlalchemy_gives(store, db_settings, direct) -> None:
    """Values, their types, names and positions: what a caller can see of a row."""
    await seeded(store, db_settings)
    candidate = (await by_sqlalchemy(store, select(Candidate.email), {}))[0].email
    reads = [
        (APPLICATION_BY_REFERENCE, {"reference": "AP-7K3M-9XQ2"}, 1),
        (APPLICATIONS_BY_EMAIL, {"email": candidate}, 2),
        (PROOFS_OF_CONVERSATION, {"conversation_id": "chat-1"}, 2),
        (
            ESCALATIONS_OF_CONVERSATION,
            {"conversation_id": "chat-1", "after": NOW, "before": NOW + days(30)},
            2,
        ),
        (
            ESCALATIONS_OF_CONVERSATION,
            {"conversation_id": "chat-1", "after": NOW + days(2), "before": NOW + days(30)},
            0,
        ),
        (VACANCIES, {}, 2),
        (MASKED_RECRUITERS, {"email": "EVA@example.com"}, 1),
        (PROOFS_OF_CONVERSATION, {"conversation_id": "nobody's"}, 0),
    ]
    for statement, parameters, count in reads:
        expected = await by_sqlalchemy(store, statement, parameters)
        got = await direct.fetch(statement, parameters)
        assert got is not None, statement
        assert len(got) == len(expected) == count
        # a proof's rows come in no set order
        for mine, theirs in zip(sorted(got, key=repr), sorted(expected, key=repr), strict=True):
            assert tuple(mine) == tuple(theirs)
            assert [type(value) for value in mine] == [type(value) for value in theirs]
            for name in theirs._fields:
                assert getattr(mine, name) == getattr(theirs, name), name
        # and through the store's own read, as the actions use it
        assert [tuple(r) for r in await store.read(statement, parameters)] == [
            tuple(r) for r in expected
        ]
    proofs = await direct.fetch(PROOFS_OF_CONVERSATION, {"conversation_id": "chat-1"})
    seen = sorted(proof.last_seen_at for proof in proofs)
    assert seen == [NOW, NOW + timedelta(seconds=1)] and seen[0].tzinfo is not None
    masked = await direct.fetch(MASKED_RECRUITERS, {"email": "EVA@example.com"})
    assert [r.email for r in masked] == ["ev***"]


async def test_a_read_only_sqlalchemy_can_run_is_left_to_it(store, db_settings, direct) -> None:
    """An IN list that expands is compiled per call by SQLAlchemy: the store runs it there."""
    await seeded(store, db_settings)
    assert await direct.fetch(APPLICATIONS_IN, {"references": ["AP-7K3M-9XQ2"]}) is None
    rows = await store.read(APPLICATIONS_IN, {"references": ["AP-7K3M-9XQ2", "AP-0000-0000"]})
    assert [r.reference for r in rows] == ["AP-7K3M-9XQ2"]


async def test_a_read_after_the_database_dropped_its_connections_succeeds(
    store, db_settings
) -> None:
    """A restart or failover leaves dead connections in the pool: the read is tried once more
    on a new one, and the applicant gets an answer."""
    await seeded(store, db_settings)
    assert len(await store.read(APPLICATION_BY_REFERENCE, {"reference": "AP-7K3M-9XQ2"})) == 1
    terminate = sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    observer = sa.create_engine(db_settings.ats_database_url.replace("+asyncpg", ""))
    try:
        with observer.connect() as connection:
            assert connection.execute(terminate).scalar_one() >= 1
    finally:
        observer.dispose()
    rows = await store.read(APPLICATION_BY_REFERENCE, {"reference": "AP-7K3M-9XQ2"})
    assert [r.reference for r in rows] == ["AP-7K3M-9XQ2"]


async def test_statements_built_anew_are_left_to_sqlalchemy_past_a_few(
    store, db_settings, direct
) -> None:
    """Each statement given is kept compiled: a caller building one per read would grow that
    without end, so past KEPT_STATEMENTS they go to SQLAlchemy (which bounds its own cache),
    each still read right."""
    await seeded(store, db_settings)
    kept = []
    for n in range(KEPT_STATEMENTS + 5):
        statement = select(Vacancy.code, sa.literal(n).label("n")).order_by(Vacancy.code)
        rows = await direct.fetch(statement, {})
        assert (rows is not None) == (n < KEPT_STATEMENTS)
        assert [(r.code, r.n) for r in await store.read(statement, {})] == [("B", n), ("DATA-1", n)]
        kept.append(statement)


async def test_a_row_inserted_or_changed_alone_gives_its_id_or_count(store, db_settings) -> None:
    """The store's own INSERT and UPDATE of one statement, as the mailer uses them."""
    await seeded(store, db_settings)
    escalations = await by_sqlalchemy(store, select(Escalation.id).order_by(Escalation.id), {})
    new = {
        "to_address": "sanne@example.nl",
        "subject": "Je code",
        "body": "123456",
        "purpose": "verification_code",
        "attachments": None,
        "sender_name": None,
        "escalation_id": escalations[0].id,
        "created_at": NOW,
        "sent_at": None,
        "attempts": 1,
        "last_error": None,
        "claimed_until": None,
    }
    first = await store.insert(QUEUE_ONE, new)
    second = await store.insert(QUEUE_ONE, new | {"escalation_id": None})
    stored = await by_sqlalchemy(
        store, select(OutgoingMail.id, OutgoingMail.escalation_id).order_by(OutgoingMail.id), {}
    )
    assert [tuple(r) for r in stored] == [(first, escalations[0].id), (second, None)]
    sent = (
        sa.update(OutgoingMail)
        .where(OutgoingMail.id == bindparam("mail"))
        .values(sent_at=bindparam("at"))
    )
    assert await store.write(sent, {"mail": second, "at": NOW}) == 1
    assert await store.write(sent, {"mail": second + 1000, "at": NOW}) == 0
    marked = await by_sqlalchemy(store, select(OutgoingMail.id, OutgoingMail.sent_at), {})
    assert {tuple(r) for r in marked} == {(first, None), (second, NOW)}


async def test_a_transaction_is_read_committed_whatever_the_database_default(store) -> None:
    """As SQLAlchemy's sessions: the limits' upserts and the code's row lock are written for
    READ COMMITTED, and a database set to SERIALIZABLE would fail them under load instead."""
    database = store.engine.url.database
    observer = sa.create_engine(
        str(store.engine.url.set(drivername="postgresql")), isolation_level="AUTOCOMMIT"
    )
    try:
        with observer.connect() as connection:
            connection.execute(
                sa.text(
                    f'ALTER DATABASE "{database}" SET default_transaction_isolation = serializable'
                )
            )
        other = ATSStore(store.engine)
        try:
            async with other.transaction() as transaction:
                level = await transaction.scalar(
                    sa.text("SHOW transaction_isolation").columns(transaction_isolation=sa.String)
                )
            assert level == "read committed"
        finally:
            await other._direct.close()
    finally:
        with observer.connect() as connection:
            connection.execute(
                sa.text(f'ALTER DATABASE "{database}" RESET default_transaction_isolation')
            )
        observer.dispose()
