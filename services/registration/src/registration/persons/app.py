"""Registering a person: refuse a UCI the organization's files already hold, seal the personal
data under the person's new key, look for the same person elsewhere (UCI, or probable match),
number the file, claim its UCI, decide, and evaluate eligibility — one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, bindparam, or_, select

from gsi_eligibility.model import Evaluation
from gsi_eligibility.rules import RuleBook
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.writer import Decision, StreamWriter
from registration.duplicates import domain as duplicates
from registration.persons import domain as person
from registration.persons import events as ev
from registration.persons import file_numbers
from registration.persons.eligibility import explain
from registration.persons.values import ConsentPurpose, FrenchLevel, Sex
from registration.privacy.vault import PersonVault
from registration.rule_sets.app import RuleBooks
from registration.tables import persons


@dataclass(frozen=True, slots=True)
class Pii:
    """The personal data that is only ever stored sealed."""

    family_name: str
    given_name: str
    uci: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    municipality: str | None = None
    postal_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class NewPerson:
    pii: Pii
    birth_date: date
    sex: Sex
    country_of_birth: str
    languages: tuple[str, ...]
    french_level: FrenchLevel
    status: ev.StatusPeriod
    region: str | None
    consents: tuple[ConsentPurpose, ...]


@dataclass(frozen=True, slots=True)
class Registered:
    person_id: str
    file_number: int
    possible_duplicate: bool  # all the registering organization learns about other files
    eligibility: list[Evaluation]


class Registering:
    def __init__(
        self, *, db: Database, writer: StreamWriter, clock: Clock, vault: PersonVault, rules: RuleBooks
    ) -> None:
        self._db = db
        self._writer = writer
        self._clock = clock
        self._vault = vault
        self._rules = rules

    def register(self, new: NewPerson, *, organization_id: str, context: CommandContext) -> Registered:
        person_id = str(uuid.uuid4())
        book = self._rules.current()
        uci_hash = self._vault.uci_hash(new.pii.uci) if new.pii.uci else None
        with self._db.transaction() as connection:
            same_uci = file_numbers.uci_holder(connection, organization_id, uci_hash) if uci_hash else None
            if same_uci is not None:  # refused before anything is sealed or numbered
                raise duplicates.duplicate_uci(same_uci)
            command, candidates = self._command(connection, person_id, organization_id, new, uci_hash)
            if uci_hash:  # a registration of the same UCI running at the same time: one wins
                holder = file_numbers.claim_uci(
                    connection, organization_id, uci_hash, person_id, command.file_number
                )
                if holder is not None:
                    raise duplicates.duplicate_uci(holder)

            def decide(history: list[DomainEvent]) -> Decision[Registered]:
                decided = person.register(history, command, duplicates=candidates, rules=book)
                return Decision(decided, _registered(decided, command.today, book))

            return self._writer.execute(
                f"person-{person_id}", decide, context, new_stream=True, connection=connection
            ).result

    def _command(
        self,
        connection: Connection,
        person_id: str,
        organization_id: str,
        new: NewPerson,
        uci_hash: str | None,
    ) -> tuple[person.RegisterPerson, list[person.DuplicateCandidate]]:
        """The command, with its personal data sealed and its file numbered, and the files that
        could be the same person."""
        identity = duplicates.Identity(
            person_id,
            duplicates.name_key(new.pii.family_name, new.pii.given_name),
            new.birth_date,
            new.sex,
            uci_hash,
        )
        found = duplicates.matches(identity, _candidates(connection, identity))
        now = self._clock.now()
        command = person.RegisterPerson(
            person_id=person_id,
            organization_id=organization_id,
            birth_date=new.birth_date,
            sex=new.sex,
            country_of_birth=new.country_of_birth,
            languages=new.languages,
            french_level=new.french_level,
            status=new.status,
            region=new.region,
            uci_hash=uci_hash,
            pii=self._vault.seal(connection, person_id, new.pii.as_dict(), new=True),
            consents=new.consents,
            today=montreal_date(now),
            now=now,
            file_number=file_numbers.next_file_number(connection),
        )
        return command, [person.DuplicateCandidate(m.person_id, m.match, m.score) for m in found]


def _registered(decided: Sequence[DomainEvent], today: date, book: RuleBook) -> Registered:
    """What the registering organization learns of the new file."""
    state = person.fold(decided)
    assert state is not None
    assert state.file_number is not None
    flagged = any(isinstance(e, ev.PossibleDuplicateFlagged) for e in decided)
    return Registered(state.person_id, state.file_number, flagged, explain(state, today, book))


def _candidates(connection: Connection, identity: duplicates.Identity) -> list[duplicates.Identity]:
    """Files that could be the same person, in any organization (erased ones cannot)."""
    if identity.uci_hash:
        params = {"birth_date": identity.birth_date, "sex": identity.sex, "uci_hash": identity.uci_hash}
        rows = connection.execute(_SAME_IDENTITY_OR_UCI, params)
    else:
        rows = connection.execute(_SAME_IDENTITY, {"birth_date": identity.birth_date, "sex": identity.sex})
    return [duplicates.Identity(r.person_id, r.name_key or "", r.birth_date, r.sex, r.uci_hash) for r in rows]


def _candidates_query(*, with_uci: bool) -> Select[Any]:
    same: ColumnElement[bool] = (persons.c.birth_date == bindparam("birth_date")) & (
        persons.c.sex == bindparam("sex")
    )
    if with_uci:
        same = or_(same, persons.c.uci_hash == bindparam("uci_hash"))
    columns = (
        persons.c.person_id,
        persons.c.name_key,
        persons.c.birth_date,
        persons.c.sex,
        persons.c.uci_hash,
    )
    return select(*columns).where(same, persons.c.erased.is_(False), persons.c.merged_into.is_(None))


# Built once (every registration runs one): SQLAlchemy then only binds the parameters.
_SAME_IDENTITY = _candidates_query(with_uci=False)
_SAME_IDENTITY_OR_UCI = _candidates_query(with_uci=True)
