"""The intervention aggregate: a service an organization declares for a person, then may correct
or cancel, each change with its author (in the envelope) and reason. Its vocabulary, events and
their fold to state: :mod:`.events`.

Pure decisions, and every invariant of a write lives here: the hard errors (a date in the future
or before the person's registration, a change in a quarter locked for the organization that no
granted lock exception opens) refuse it; conformity problems are recorded with it as flags, so
the organization sees at once what would be rejected at verify. What a decision needs from
outside its stream — today, the person's registration day, the organization's quarter locks and
lock exceptions (:class:`Facts`), the shared checks' findings (:class:`Checked`) — the
application layer reads and passes in the command; it decides nothing.

The lock rule is :func:`refuse_closed_quarter`. Reporting's verify warns about the same lock
again, at report time, in its own context: check C7 of ``gsi_conformity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput, Locked, NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_readmodels.model import KnownPerson
from interventions.declarations import events
from interventions.lock_exceptions.domain import LockException, covers

# The vocabulary, the events, the state and the fold, under this module's name too: callers import
# them from here (an assignment is a public name for mypy --strict, a plain import is not).
EVENTS = events.EVENTS
Details = events.Details
Flag = events.Flag
Intervention = events.Intervention
InterventionCancelled = events.InterventionCancelled
InterventionCorrected = events.InterventionCorrected
InterventionDeclared = events.InterventionDeclared
Mode = events.Mode
Volet = events.Volet
fold = events.fold

PersonOnFile = KnownPerson  # a person as this service knows them from registration's events


@dataclass(frozen=True, slots=True)
class Checked:
    """The application layer's verdict on one version of an intervention: the shared checks' findings and
    the versions of the catalogue and rules they were made with."""

    flags: tuple[Flag, ...]
    catalogue_version: str
    rule_set_version: str | None


# ---- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuarterLocks:
    """An organization's quarter locks, as reporting published them (an accepted report locks
    its quarter), and the lock exceptions asked on them (on those a write touches, at least)."""

    locked: frozenset[str] = frozenset()
    exceptions: tuple[LockException, ...] = ()

    def closed(self, today: date) -> frozenset[str]:
        """The locked quarters that no granted exception still valid ``today`` opens: closed
        to every change."""
        opened = {e.quarter for e in self.exceptions if covers(e.status, e.valid_until, today)}
        return self.locked - opened


@dataclass(frozen=True, slots=True)
class Facts:
    """What a write's invariants need from outside the stream, read when deciding."""

    today: date  # in Montréal
    registered_on: date  # the person's registration day
    locks: QuarterLocks  # the organization's


@dataclass(frozen=True, slots=True)
class DeclareIntervention:
    intervention_id: str
    organization_id: str
    person_id: str
    details: Details
    checked: Checked
    facts: Facts
    session_id: str | None = None
    import_id: str | None = None


def declare(history: Sequence[DomainEvent], command: DeclareIntervention) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "intervention.already_declared",
            "Cette intervention existe déjà.",
            "This intervention already exists.",
        )
    refuse_declaration(command.organization_id, command.details, command.facts)
    return [
        InterventionDeclared(
            intervention_id=command.intervention_id,
            organization_id=command.organization_id,
            person_id=command.person_id,
            details=command.details,
            session_id=command.session_id,
            import_id=command.import_id,
            flags=command.checked.flags,
            catalogue_version=command.checked.catalogue_version,
            rule_set_version=command.checked.rule_set_version,
        )
    ]


@dataclass(frozen=True, slots=True)
class CorrectIntervention:
    details: Details
    reason: str
    checked: Checked
    facts: Facts


def correct(history: Sequence[DomainEvent], command: CorrectIntervention) -> list[DomainEvent]:
    state = _active(history)
    refuse_correction(state, command.details, command.facts)
    if command.details == state.details:
        raise InvalidInput(
            "intervention.nothing_to_correct",
            "La correction ne change rien à l'intervention.",
            "The correction changes nothing in the intervention.",
        )
    if state.session_id is not None and command.details.code != state.details.code:
        raise InvalidInput(
            "intervention.session_code_fixed",
            "Le code d'une intervention de séance de groupe ne se corrige pas (annulez-la).",
            "A group-session intervention's code cannot be corrected (cancel it instead).",
            details={"field": "code"},
        )
    return [
        InterventionCorrected(
            intervention_id=state.intervention_id,
            organization_id=state.organization_id,
            person_id=state.person_id,
            details=command.details,
            reason=command.reason,
            flags=command.checked.flags,
            catalogue_version=command.checked.catalogue_version,
            rule_set_version=command.checked.rule_set_version,
        )
    ]


@dataclass(frozen=True, slots=True)
class CancelIntervention:
    reason: str
    today: date
    locks: QuarterLocks


def cancel(history: Sequence[DomainEvent], command: CancelIntervention) -> list[DomainEvent]:
    state = _active(history)
    refuse_closed_quarter(state.organization_id, state.details.service_date, command.today, command.locks)
    return [
        InterventionCancelled(
            intervention_id=state.intervention_id,
            organization_id=state.organization_id,
            person_id=state.person_id,
            service_date=state.details.service_date,
            reason=command.reason,
        )
    ]


def current(history: Sequence[DomainEvent]) -> Intervention:
    state = fold(history)
    if state is None:
        raise NotFound("intervention.not_found", "Intervention introuvable.", "Intervention not found.")
    return state


def _active(history: Sequence[DomainEvent]) -> Intervention:
    state = current(history)
    if state.cancelled:
        raise Conflict(
            "intervention.cancelled",
            "Cette intervention est annulée : elle ne peut plus changer.",
            "This intervention is cancelled: it can no longer change.",
        )
    return state


# ---- hard errors -----------------------------------------------------------------------------
# The decisions above raise them; the application layer may ask them first (before it spends the
# shared checks on a write the aggregate would refuse), with the same facts.


def refuse_unknown_person(person: PersonOnFile | None, organization_id: str, person_id: str) -> PersonOnFile:
    """The person on file, if the organization registered them."""
    # Another organization's person is answered exactly like an unknown one: no leak.
    if person is None or person.organization_id != organization_id:
        raise InvalidInput(
            "intervention.unknown_person",
            "Personne inconnue de votre organisme (inscrivez-la d'abord).",
            "Person unknown to your organization (register them first).",
            details={"field": "person_id", "person_id": person_id},
        )
    return person


def refuse_declaration(organization_id: str, details: Details, facts: Facts) -> None:
    """A declaration's hard errors: its date, then its quarter's lock."""
    refuse_bad_date(details.service_date, today=facts.today, registered_on=facts.registered_on)
    refuse_closed_quarter(organization_id, details.service_date, facts.today, facts.locks)


def refuse_correction(state: Intervention, details: Details, facts: Facts) -> None:
    """A correction's hard errors: both the quarter it leaves and the one it enters must be open."""
    refuse_closed_quarter(state.organization_id, state.details.service_date, facts.today, facts.locks)
    refuse_declaration(state.organization_id, details, facts)


def refuse_bad_date(service_date: date, *, today: date, registered_on: date) -> None:
    if service_date > today:
        raise InvalidInput(
            "intervention.date_in_future",
            f"La date de l'intervention ({service_date.isoformat()}) est dans le futur.",
            f"The intervention date ({service_date.isoformat()}) is in the future.",
            details={"field": "service_date"},
        )
    if service_date < registered_on:
        raise InvalidInput(
            "intervention.date_before_registration",
            f"La date de l'intervention précède l'inscription de la personne ({registered_on.isoformat()}).",
            f"The intervention date is before the person's registration ({registered_on.isoformat()}).",
            details={"field": "service_date", "registered_on": registered_on.isoformat()},
        )


def refuse_closed_quarter(organization_id: str, day: date, today: date, locks: QuarterLocks) -> None:
    """Refuse a change on ``day`` if its quarter is locked for the organization and no granted
    lock exception, still valid ``today``, opens it (423: ask for an exception)."""
    quarter = FiscalQuarter.of(day)
    if str(quarter) in locks.closed(today):
        raise Locked(
            "quarter.locked",
            f"Le trimestre {quarter} est verrouillé pour votre organisme : demandez une exception.",
            f"Quarter {quarter} is locked for your organization: request a lock exception.",
            details={"quarter": str(quarter), "organization_id": organization_id},
        )
