"""The persons follower shared by interventions and reporting: what registration's events make
of a person, on a throwaway SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, MetaData, create_engine

from gsi_contracts import registration as contract
from gsi_eligibility import load_default_rulebook
from gsi_kernel.events import DomainEvent
from gsi_readmodels.persons import PersonDirectory, PersonFollower, person_tables
from tests.consumers import published
from tests.databases import postgres_schema

EVENING = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # still March 1 in Montréal


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata = MetaData()
    person_tables(metadata)
    metadata.create_all(engine)
    with engine.begin() as connection:
        yield connection


def apply(connection: Connection, *events: DomainEvent) -> None:
    follower = PersonFollower(person_tables(MetaData()))
    for event in events:
        follower.handlers[event.event_type](connection, published(event, occurred_at=EVENING))


def registered(person_id: str, org: str = "org-a") -> contract.PersonRegistered:
    return contract.PersonRegistered(
        person_id=person_id,
        organization_id=org,
        birth_date=date(1990, 5, 4),
        status="temporary_worker",
        status_since=date(2025, 1, 1),
        region="05",
        status_expires_on=date(2027, 1, 1),
    )


def directory() -> PersonDirectory:
    return PersonDirectory(person_tables(MetaData()))


def test_a_registered_person_is_known_from_the_montreal_day_of_registration(connection: Connection) -> None:
    apply(connection, registered("p1"))
    person = directory().persons(connection, ["p1", "nobody"])
    assert list(person) == ["p1"]
    assert person["p1"].registered_on == date(2026, 3, 1)
    assert person["p1"].organization_id == "org-a"
    assert person["p1"].facts.status_on(date(2026, 1, 1)).status == "temporary_worker"  # type: ignore[union-attr]


def test_status_history_and_region_changes_are_followed(connection: Connection) -> None:
    apply(
        connection,
        registered("p1"),
        contract.PersonStatusChanged(
            person_id="p1",
            organization_id="org-a",
            status="permanent_resident",
            effective_from=date(2026, 2, 1),
        ),
        contract.PersonRegionChanged(
            person_id="p1", organization_id="org-a", region="03", effective_from=date(2026, 2, 1)
        ),
    )
    facts = directory().persons(connection, ["p1"])["p1"].facts
    assert [p.status for p in facts.statuses] == ["temporary_worker", "permanent_resident"]
    assert facts.status_on(date(2026, 1, 31)).status == "temporary_worker"  # type: ignore[union-attr]
    assert facts.status_on(date(2026, 2, 1)).status == "permanent_resident"  # type: ignore[union-attr]
    assert facts.region == "03"


def test_a_merged_person_answers_as_the_surviving_one_and_an_erased_one_not_at_all(
    connection: Connection,
) -> None:
    apply(
        connection,
        registered("kept"),
        registered("twin", org="org-b"),
        registered("gone"),
        contract.PersonsMerged(person_id="twin", into_person_id="kept"),
        contract.PersonErased(person_id="gone"),
    )
    persons = directory().persons(connection, ["twin", "gone", "kept"])
    assert sorted(persons) == ["kept", "twin"]
    assert persons["twin"].person_id == "kept"
    assert persons["twin"].organization_id == "org-a"


def test_an_id_stands_for_the_end_of_its_chain_of_merges(connection: Connection) -> None:
    apply(connection, registered("a"), registered("b"), registered("c"), registered("d"))
    apply(connection, contract.PersonsMerged(person_id="a", into_person_id="b"))
    apply(connection, contract.PersonsMerged(person_id="b", into_person_id="c"))
    people = directory()
    assert [people.survivor_of(connection, p) for p in ("a", "b", "c", "d", "nobody")] == [
        "c",
        "c",
        "c",
        "d",
        "nobody",
    ]


def test_published_rule_sets_join_the_shipped_ones_once(connection: Connection) -> None:
    shipped = load_default_rulebook()
    document = {**next(iter(shipped)).to_document(), "version": "2027.1", "effective_from": "2027-04-01"}
    event = contract.RuleSetPublished(
        program="PASI", version="2027.1", effective_from=date(2027, 4, 1), document=document
    )
    apply(connection, event, event)  # redelivered: no second row, no error
    book = directory().rule_book(connection)
    assert len(book) == len(shipped) + 1
    assert book.for_date("PASI", date(2027, 4, 1)).version == "2027.1"


def test_the_file_number_comes_with_the_registration_or_later(connection: Connection) -> None:
    numbered = registered("p1").model_copy(update={"file_number": 123})
    apply(connection, numbered, registered("p2"), registered("gone"))
    apply(
        connection,
        contract.PersonFileNumberAssigned(person_id="p2", organization_id="org-a", file_number=7),
        contract.PersonFileNumberAssigned(person_id="gone", organization_id="org-a", file_number=8),
        contract.PersonErased(person_id="gone"),
    )
    people = directory()
    assert {p: k.file_number for p, k in people.persons(connection, ["p1", "p2"]).items()} == {
        "p1": 123,
        "p2": 7,
    }
    assert people.file_numbers(connection, ["p1", "p2", "gone", "nobody"]) == {"p1": 123, "p2": 7, "gone": 8}


@pytest.mark.postgres
def test_a_registration_seen_again_adds_no_second_status_period_on_postgresql(postgres_url: str) -> None:
    """The follower tells a new registration by RETURNING: on PostgreSQL an INSERT … ON CONFLICT
    DO NOTHING answers rowcount -1 through SQLAlchemy, inserted or not."""
    with postgres_schema(postgres_url) as schema:
        engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
        metadata = MetaData()
        person_tables(metadata)
        metadata.create_all(engine)
        with engine.begin() as pg:
            apply(pg, registered("p1"), registered("p1"))
            assert len(directory().persons(pg, ["p1"])["p1"].facts.statuses) == 1
        engine.dispose()
