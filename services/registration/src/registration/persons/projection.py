"""The persons read model and its companions (consents, documents, duplicate queue), projected
from the person streams. Names are decrypted here, once; an erased person's names are gone
from the read model, and a rebuild cannot bring them back (their key is destroyed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, delete, insert, update

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.ports import Backend
from gsi_kernel.store.purge import owe as owe_purge
from registration.persons import events as ev
from registration.persons.names import name_key, normalize, search_keys
from registration.persons.new_rows import NewRows
from registration.persons.values import VOLETS
from registration.tables import (
    ERASURE_PURGE,
    consents,
    documents,
    duplicate_queue,
    name_tokens,
    persons,
)


class PiiReader(Protocol):
    def decrypt(self, connection: Connection, subject_id: str, token: str) -> dict[str, Any] | None:
        """The sealed fields, or None once the subject's key was destroyed."""


def person_id_of(stream_id: str) -> str:
    return stream_id.removeprefix("person-")


class PersonsProjection:
    name = "registration.persons"

    def __init__(self, pii: PiiReader) -> None:
        self._pii = pii
        self._handlers: dict[type[DomainEvent], Callable[[Connection, str, Any, datetime, str], None]] = {
            ev.FileNumberAssigned: _file_numbered,
            ev.StatusChanged: _status_changed,
            ev.AddressChanged: _address_changed,
            ev.EligibilityEvaluated: _evaluated,
            ev.ConsentGiven: _consent_given,
            ev.ConsentWithdrawn: _consent_withdrawn,
            ev.DocumentAttached: _document_attached,
            ev.PossibleDuplicateFlagged: _duplicate_flagged,
            ev.DuplicateDismissed: _duplicate_dismissed,
            ev.PersonMerged: _merged,
            ev.PersonErased: _erased,
        }

    def apply_batch(self, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
        """Apply the events, then mark each person's latest activity once (not once per event).
        New persons' rows (their name tokens, their first consents) go in together, in one
        statement each."""
        active: dict[str, datetime] = {}
        registered: dict[str, datetime] = {}
        decoded_batch = [
            (event, ev.EVENTS.decode(event.type, event.schema_version, event.payload))
            for event in batch
            if ev.EVENTS.knows(event.type) and event.stream_id.startswith("person-")
        ]
        folded = _first_evaluations_of_new_persons(decoded_batch)
        already_applied = {id(e) for e in folded.values()}
        new_rows = NewRows()
        for event, decoded in decoded_batch:
            person_id = person_id_of(event.stream_id)
            if isinstance(decoded, ev.PersonRegistered):
                self._registered(
                    connection, new_rows, person_id, decoded, event.occurred_at, folded.get(person_id)
                )
                registered[person_id] = event.occurred_at
            elif isinstance(decoded, ev.ConsentGiven) and new_rows.first_consent(person_id, decoded):
                pass  # a new person's consent: a new row, inserted with the others
            elif id(decoded) not in already_applied:
                new_rows.flush(connection)  # the handlers may update those rows
                self._handlers[type(decoded)](connection, person_id, decoded, event.occurred_at, event.actor)
            active[person_id] = max(event.occurred_at, active.get(person_id, event.occurred_at))
        new_rows.flush(connection)
        for person_id, at in active.items():
            if registered.get(person_id) != at:  # the registration row already says so
                _touch(connection, person_id, at)

    def reset(self, connection: Connection) -> None:
        for table in (persons, name_tokens, consents, documents, duplicate_queue):
            connection.execute(delete(table))

    def _registered(
        self,
        c: Connection,
        new_rows: NewRows,
        person_id: str,
        e: ev.PersonRegistered,
        at: datetime,
        evaluated: ev.EligibilityEvaluated | None = None,
    ) -> None:
        """The person's row — with the eligibility evaluated at registration when the same
        batch holds it (one INSERT instead of an INSERT and an UPDATE)."""
        eligible = {r.volet: r.eligible for r in evaluated.results} if evaluated else {}
        pii = self._pii.decrypt(c, person_id, e.pii)
        family, given = (pii["family_name"], pii["given_name"]) if pii else (None, None)
        family_norm = normalize(family) if family else None
        given_norm = normalize(given) if given else None
        if family and given and family_norm and given_norm:
            new_rows.tokens += [
                {
                    "token": t,
                    "person_id": person_id,
                    "organization_id": e.organization_id,
                    "family_norm": family_norm,
                    "given_norm": given_norm,
                    "registered_at": at,
                }
                for t in search_keys(family, given)
            ]
        new_rows.registered(person_id)
        new_rows.persons.append(
            {
                "person_id": person_id,
                "organization_id": e.organization_id,
                "family_name": family,
                "given_name": given,
                "name_key": name_key(family, given) if family and given else None,
                "family_norm": family_norm,
                "given_norm": given_norm,
                "birth_date": e.birth_date,
                "sex": e.sex,
                "country_of_birth": e.country_of_birth,
                "status": e.status.status,
                "status_since": e.status.effective_from,
                "region": e.region,
                "uci_hash": e.uci_hash if pii else None,
                **{f"eligible_{volet.lower()}": eligible.get(volet, False) for volet in VOLETS},
                "eligibility_on": evaluated.on_date if evaluated else None,
                "registered_at": at,
                "last_activity_at": at,
                "erased": pii is None,
                "file_number": e.file_number,
            }
        )


# Built once (the statements of every registration): SQLAlchemy then only binds parameters.
_TOUCH = (
    update(persons).where(persons.c.person_id == bindparam("pid")).values(last_activity_at=bindparam("at"))
)
_ELIGIBILITY = (
    update(persons)
    .where(persons.c.person_id == bindparam("pid"))
    .values(
        {
            **{persons.c[f"eligible_{v.lower()}"]: bindparam(f"flag_{v.lower()}") for v in VOLETS},
            persons.c.eligibility_on: bindparam("on"),
        }
    )
)


@cache
def _consent_upsert(backend: Backend) -> Any:
    upsert = backend.insert(consents)
    return upsert.on_conflict_do_update(
        index_elements=["person_id", "purpose"],
        set_={"given_at": upsert.excluded.given_at, "withdrawn_at": None, "withdrawal_reason": None},
    )


def _first_evaluations_of_new_persons(
    decoded_batch: Sequence[tuple[EventEnvelope, DomainEvent]],
) -> dict[str, ev.EligibilityEvaluated]:
    """For each person registered in this batch, the first evaluation that follows it."""
    registered: set[str] = set()
    first: dict[str, ev.EligibilityEvaluated] = {}
    for event, decoded in decoded_batch:
        person_id = person_id_of(event.stream_id)
        if isinstance(decoded, ev.PersonRegistered):
            registered.add(person_id)
        elif isinstance(decoded, ev.EligibilityEvaluated) and person_id in registered:
            first.setdefault(person_id, decoded)
    return first


def _touch(c: Connection, person_id: str, at: datetime) -> None:
    c.execute(_TOUCH, {"pid": person_id, "at": at})


def _file_numbered(
    c: Connection, person_id: str, e: ev.FileNumberAssigned, _at: datetime, _actor: str
) -> None:
    c.execute(update(persons).where(persons.c.person_id == person_id).values(file_number=e.file_number))


def _status_changed(c: Connection, person_id: str, e: ev.StatusChanged, _at: datetime, _actor: str) -> None:
    # The read model shows the latest period; the full history lives in the stream.
    c.execute(
        update(persons)
        .where(persons.c.person_id == person_id, persons.c.status_since <= e.period.effective_from)
        .values(status=e.period.status, status_since=e.period.effective_from)
    )


def _address_changed(c: Connection, person_id: str, e: ev.AddressChanged, _at: datetime, _actor: str) -> None:
    c.execute(update(persons).where(persons.c.person_id == person_id).values(region=e.region))


def _evaluated(c: Connection, person_id: str, e: ev.EligibilityEvaluated, _at: datetime, _actor: str) -> None:
    flags = {f"flag_{v.lower()}": False for v in VOLETS} | {
        f"flag_{r.volet.lower()}": r.eligible for r in e.results
    }
    c.execute(_ELIGIBILITY, {"pid": person_id, "on": e.on_date, **flags})


def _consent_given(c: Connection, person_id: str, e: ev.ConsentGiven, _at: datetime, _actor: str) -> None:
    row = {"person_id": person_id, "purpose": e.purpose, "given_at": e.given_at}
    c.execute(_consent_upsert(backend_of(c)), row)


def _consent_withdrawn(
    c: Connection, person_id: str, e: ev.ConsentWithdrawn, _at: datetime, _actor: str
) -> None:
    c.execute(
        update(consents)
        .where(consents.c.person_id == person_id, consents.c.purpose == e.purpose)
        .values(withdrawn_at=e.withdrawn_at, withdrawal_reason=e.reason)
    )


def _document_attached(
    c: Connection, person_id: str, e: ev.DocumentAttached, at: datetime, actor: str
) -> None:
    c.execute(
        insert(documents).values(
            document_id=e.document_id,
            person_id=person_id,
            kind=e.kind,
            media_type=e.media_type,
            size=e.size,
            sha256=e.sha256,
            uploaded_at=at,
            uploaded_by=actor,
        )
    )


def _duplicate_flagged(
    c: Connection, person_id: str, e: ev.PossibleDuplicateFlagged, at: datetime, _actor: str
) -> None:
    c.execute(
        insert(duplicate_queue).values(
            person_id=person_id,
            candidate_person_id=e.candidate_person_id,
            match=e.match,
            score=e.score,
            state="open",
            flagged_at=at,
        )
    )


def _resolve(c: Connection, person_id: str, candidate: str | None, state: str, at: datetime) -> None:
    query = update(duplicate_queue).where(
        duplicate_queue.c.person_id == person_id, duplicate_queue.c.state == "open"
    )
    if candidate is not None:
        query = query.where(duplicate_queue.c.candidate_person_id == candidate)
    c.execute(query.values(state=state, resolved_at=at))


def _duplicate_dismissed(
    c: Connection, person_id: str, e: ev.DuplicateDismissed, at: datetime, _actor: str
) -> None:
    _resolve(c, person_id, e.candidate_person_id, "dismissed", at)


def _merged(c: Connection, person_id: str, e: ev.PersonMerged, at: datetime, _actor: str) -> None:
    _resolve(c, person_id, e.into_person_id, "merged", at)
    _resolve(c, person_id, None, "dismissed", at)  # the other candidates are moot now
    c.execute(update(persons).where(persons.c.person_id == person_id).values(merged_into=e.into_person_id))


def _erased(c: Connection, person_id: str, _e: ev.PersonErased, at: datetime, _actor: str) -> None:
    c.execute(delete(name_tokens).where(name_tokens.c.person_id == person_id))
    c.execute(
        update(persons)
        .where(persons.c.person_id == person_id)
        .values(
            family_name=None,
            given_name=None,
            name_key=None,
            family_norm=None,
            given_norm=None,
            uci_hash=None,
            erased=True,
        )
    )
    # Nothing else is kept about them: their consents and documents go (the contents went with
    # the erasure), and no open duplicate pair names them, on either side.
    c.execute(delete(consents).where(consents.c.person_id == person_id))
    c.execute(delete(documents).where(documents.c.person_id == person_id))
    _resolve(c, person_id, None, "dismissed", at)
    c.execute(
        update(duplicate_queue)
        .where(duplicate_queue.c.candidate_person_id == person_id, duplicate_queue.c.state == "open")
        .values(state="dismissed", resolved_at=at)
    )
    # The names' old bytes are still in the files (dead row versions, the WAL): the erasure
    # command purges them once this has committed (ADR 19).
    owe_purge(c, ERASURE_PURGE, at)
