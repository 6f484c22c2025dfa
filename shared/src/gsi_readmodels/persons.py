"""Persons as registration's published events describe them, for the services that follow them
(interventions at declaration, reporting at verify): birth date, status history, region,
registration day, file number, merges and erasures — and the eligibility rule sets registration
publishes, so every service judges eligibility with the very same rules.

    tables = person_tables(metadata)                    # in the service's tables module
    ConsumerSpec("svc.persons", [TOPIC], PersonFollower(tables).handlers)
    PersonDirectory(tables).persons(connection, ids)    # KnownPerson by the id asked for
    PersonDirectory(tables).file_numbers(connection, ids)  # how people name each person
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from gsi_contracts import registration as contract
from gsi_eligibility import PersonFacts, RuleBook, StatusPeriod, load_default_rulebook
from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.prepared import PreparedSelect
from gsi_readmodels.books import published_versions_table
from gsi_readmodels.model import KnownPerson

_MERGE_HOPS = 5  # a merged person's id leads to the surviving one; chains are short
_CHUNK = 500
Handler = Callable[[Connection, EventEnvelope], None]


@dataclass(frozen=True)
class PersonTables:
    persons: Table
    statuses: Table
    rule_sets: Table


def person_tables(metadata: MetaData, *, version: int = 2) -> PersonTables:
    """The three tables, on the consuming service's metadata (version 2 of their schema: the
    file number; ``version=1`` for the frozen first one)."""
    since_v2 = [Column("file_number", Integer)] if version >= 2 else []
    return PersonTables(
        persons=Table(
            "known_persons",
            metadata,
            Column("person_id", String(36), primary_key=True),
            Column("organization_id", String(100), nullable=False, index=True),
            Column("birth_date", Date, nullable=False),
            Column("region", String(2)),
            Column("registered_on", Date, nullable=False),
            Column("merged_into", String(36)),
            Column("erased", Boolean, nullable=False, default=False),
            *since_v2,
        ),
        statuses=Table(
            "known_person_statuses",
            metadata,
            Column("person_id", String(36), primary_key=True),
            Column("seq", Integer, primary_key=True),
            Column("status", String(40), nullable=False),
            Column("effective_from", Date, nullable=False),
            Column("admission_date", Date),
            Column("expires_on", Date),
        ),
        rule_sets=published_versions_table("published_rule_sets", metadata),
    )


def create_person_tables_v1(connection: Connection) -> None:
    """For a service's migration: create version 1 of the three tables (frozen)."""
    metadata = MetaData()
    person_tables(metadata, version=1)
    metadata.create_all(connection)


def upgrade_person_tables_v2(connection: Connection) -> None:
    """For a service's migration: version 1 → 2, the file number (persons registered before it
    get theirs with ``PersonFileNumberAssigned``)."""
    connection.execute(text("ALTER TABLE known_persons ADD COLUMN file_number INTEGER"))


def downgrade_person_tables_v2(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE known_persons DROP COLUMN file_number"))


class PersonFollower:
    """The consumer handlers that keep the tables, by published event type."""

    def __init__(self, tables: PersonTables) -> None:
        self._t = tables
        self.handlers: dict[str, Handler] = {
            contract.PersonRegistered.event_type: self.on_registered,
            contract.PersonFileNumberAssigned.event_type: self.on_file_number_assigned,
            contract.PersonStatusChanged.event_type: self.on_status_changed,
            contract.PersonRegionChanged.event_type: self.on_region_changed,
            contract.PersonsMerged.event_type: self.on_merged,
            contract.PersonErased.event_type: self.on_erased,
            contract.RuleSetPublished.event_type: self.on_rule_set_published,
        }

    def on_registered(self, connection: Connection, event: EventEnvelope) -> None:
        person = contract.PersonRegistered.model_validate(event.payload)
        row = {
            "person_id": person.person_id,
            "organization_id": person.organization_id,
            "birth_date": person.birth_date,
            "region": person.region,
            "registered_on": montreal_date(event.occurred_at),
            "erased": False,
            "file_number": person.file_number,
        }
        # RETURNING says whether this statement inserted (rowcount does not, on PostgreSQL).
        inserted = connection.execute(
            backend_of(connection)
            .insert(self._t.persons)
            .values(row)
            .on_conflict_do_nothing()
            .returning(self._t.persons.c.person_id)
        ).first()
        if inserted is not None:  # a registration seen again adds no second status period
            period = StatusPeriod(
                person.status, person.status_since, person.admission_date, person.status_expires_on
            )
            self._add_status(connection, person.person_id, period)

    def on_file_number_assigned(self, connection: Connection, event: EventEnvelope) -> None:
        numbered = contract.PersonFileNumberAssigned.model_validate(event.payload)
        self._update(connection, numbered.person_id, file_number=numbered.file_number)

    def on_status_changed(self, connection: Connection, event: EventEnvelope) -> None:
        change = contract.PersonStatusChanged.model_validate(event.payload)
        period = StatusPeriod(change.status, change.effective_from, change.admission_date, change.expires_on)
        self._add_status(connection, change.person_id, period)

    def on_region_changed(self, connection: Connection, event: EventEnvelope) -> None:
        change = contract.PersonRegionChanged.model_validate(event.payload)
        self._update(connection, change.person_id, region=change.region)

    def on_merged(self, connection: Connection, event: EventEnvelope) -> None:
        merge = contract.PersonsMerged.model_validate(event.payload)
        self._update(connection, merge.person_id, merged_into=merge.into_person_id)

    def on_erased(self, connection: Connection, event: EventEnvelope) -> None:
        erased = contract.PersonErased.model_validate(event.payload)
        self._update(connection, erased.person_id, erased=True)

    def on_rule_set_published(self, connection: Connection, event: EventEnvelope) -> None:
        published = contract.RuleSetPublished.model_validate(event.payload)
        statement = (
            backend_of(connection)
            .insert(self._t.rule_sets)
            .values(
                program=published.program,
                version=published.version,
                effective_from=published.effective_from,
                document=published.document,
            )
        )
        connection.execute(statement.on_conflict_do_nothing())

    def _update(self, connection: Connection, person_id: str, **values: Any) -> None:
        persons = self._t.persons
        connection.execute(update(persons).where(persons.c.person_id == person_id).values(**values))

    def _add_status(self, connection: Connection, person_id: str, period: StatusPeriod) -> None:
        statuses = self._t.statuses
        seq = connection.execute(
            select(func.coalesce(func.max(statuses.c.seq), 0)).where(statuses.c.person_id == person_id)
        ).scalar_one()
        connection.execute(
            insert(statuses).values(
                person_id=person_id,
                seq=seq + 1,
                status=period.status,
                effective_from=period.effective_from,
                admission_date=period.admission_date,
                expires_on=period.expires_on,
            )
        )


class PersonDirectory:
    """Reads the tables: persons with their facts, and the rule book (shipped + published)."""

    def __init__(self, tables: PersonTables) -> None:
        self._t = tables
        p, s = tables.persons, tables.statuses.c
        # Built once: every declaration reads its person, and building and keying a statement
        # costs more Python than running it (ADR 10).
        with_statuses = select(p, s.status, s.effective_from, s.admission_date, s.expires_on).select_from(
            p.outerjoin(tables.statuses, s.person_id == p.c.person_id)
        )
        self._load_query = with_statuses.where(
            p.c.person_id.in_(bindparam("person_ids", expanding=True))
        ).order_by(p.c.person_id, s.seq)
        # One person (a declaration): an expanding IN rewrites its SQL at every execution; and
        # sent straight to the driver (ADR 10).
        self._load_one = PreparedSelect(
            with_statuses.where(p.c.person_id == bindparam("person_id")).order_by(s.seq)
        )

    def persons(self, connection: Connection, person_ids: Iterable[str]) -> dict[str, KnownPerson]:
        """The persons by the id asked for; a merged person answers with the surviving person;
        unknown and erased persons are left out. One query per 500 persons (merges aside)."""
        wanted = sorted(set(person_ids))
        rows: dict[str, Row[Any]] = {}
        histories: dict[str, list[StatusPeriod]] = {}
        for chunk in _chunks(wanted):
            self._load(connection, chunk, rows, histories)
        found: dict[str, KnownPerson] = {}
        for pid in wanted:
            row = rows.get(pid)
            if row is not None and row.merged_into is not None:
                row = self._follow_merges(connection, row)
                if row is not None and row.person_id not in histories:
                    self._load(connection, [row.person_id], rows, histories)
            if row is None or row.erased:
                continue
            facts = PersonFacts(row.birth_date, tuple(histories.get(row.person_id, ())), row.region)
            found[pid] = KnownPerson(
                row.person_id, row.organization_id, row.registered_on, facts, row.file_number
            )
        return found

    def file_numbers(self, connection: Connection, person_ids: Iterable[str]) -> dict[str, int]:
        """The file number of each person asked for that has one (merged and erased persons too:
        it names the file a report counted; no merge is followed)."""
        persons, wanted = self._t.persons, sorted(set(person_ids))
        numbers: dict[str, int] = {}
        for chunk in _chunks(wanted):
            rows = connection.execute(
                select(persons.c.person_id, persons.c.file_number).where(
                    persons.c.person_id.in_(chunk), persons.c.file_number.is_not(None)
                )
            )
            numbers.update({r.person_id: r.file_number for r in rows})
        return numbers

    def read_of(self, person_id: str) -> tuple[PreparedSelect, dict[str, Any]]:
        """The read :meth:`persons` makes for that one person (for a caller that prefetches)."""
        return self._load_one, {"person_id": person_id}

    def rule_book(self, connection: Connection) -> RuleBook:
        """The shipped rule sets and every version registration published since."""
        documents = connection.execute(select(self._t.rule_sets.c.document)).scalars()
        return load_default_rulebook().with_published(documents)

    def _load(
        self,
        connection: Connection,
        person_ids: list[str],
        rows: dict[str, Row[Any]],
        histories: dict[str, list[StatusPeriod]],
    ) -> None:
        """The persons and their status periods (oldest first), in one query."""
        if len(person_ids) == 1:
            found: Iterable[Row[Any]] = self._load_one.all(connection, *self.read_of(person_ids[0])[1:])
        else:
            found = connection.execute(self._load_query, {"person_ids": person_ids})
        for r in found:
            rows.setdefault(r.person_id, r)
            periods = histories.setdefault(r.person_id, [])
            if r.status is not None:
                periods.append(StatusPeriod(r.status, r.effective_from, r.admission_date, r.expires_on))

    def survivor_of(self, connection: Connection, person_id: str) -> str:
        """The person an id now stands for: itself, or the end of its chain of merges (a few
        hops at most). An id the tables do not know stands for itself."""
        persons = self._t.persons
        for _ in range(_MERGE_HOPS):
            into = connection.execute(
                select(persons.c.merged_into).where(persons.c.person_id == person_id)
            ).scalar()
            if into is None:
                return person_id
            person_id = into
        return person_id

    def _follow_merges(self, connection: Connection, row: Row[Any]) -> Row[Any] | None:
        persons = self._t.persons
        for _ in range(_MERGE_HOPS):
            if row.merged_into is None:
                return row
            found = connection.execute(select(persons).where(persons.c.person_id == row.merged_into)).first()
            if found is None:
                return None
            row = found
        return None


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


__all__ = [
    "KnownPerson",
    "PersonDirectory",
    "PersonFollower",
    "PersonTables",
    "create_person_tables_v1",
    "downgrade_person_tables_v2",
    "upgrade_person_tables_v2",
]
