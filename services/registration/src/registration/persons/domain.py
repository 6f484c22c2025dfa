"""The immigrant person (PI) aggregate: its state is the fold of its events; each decision
takes that history and a command and returns new events or raises a coded domain error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from gsi_eligibility.rules import RuleBook
from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from registration.persons import events as ev
from registration.persons.eligibility import evaluate_all
from registration.persons.values import REGIONS, ConsentPurpose, DocumentKind, FrenchLevel, Sex


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    organization_id: str
    birth_date: date
    statuses: tuple[ev.StatusPeriod, ...]
    region: str | None
    consents: frozenset[ConsentPurpose] = frozenset()
    open_duplicates: frozenset[str] = frozenset()
    merged_into: str | None = None
    erased: bool = False
    documents: tuple[str, ...] = field(default=())
    file_number: int | None = None


def fold(history: Sequence[DomainEvent]) -> Person | None:
    person: Person | None = None
    for event in history:
        person = _apply(person, event)
    return person


def _apply(person: Person | None, event: DomainEvent) -> Person | None:
    if isinstance(event, ev.PersonRegistered):
        return Person(
            event.person_id,
            event.organization_id,
            event.birth_date,
            (event.status,),
            event.region,
            file_number=event.file_number,
        )
    assert person is not None, f"{event.event_type} before PersonRegistered"
    if isinstance(event, ev.FileNumberAssigned):
        return replace(person, file_number=event.file_number)
    if isinstance(event, ev.StatusChanged):
        periods = sorted((*person.statuses, event.period), key=lambda p: p.effective_from)
        return replace(person, statuses=tuple(periods))
    if isinstance(event, ev.AddressChanged):
        return replace(person, region=event.region)
    if isinstance(event, ev.ConsentGiven):
        return replace(person, consents=person.consents | {event.purpose})
    if isinstance(event, ev.ConsentWithdrawn):
        return replace(person, consents=person.consents - {event.purpose})
    if isinstance(event, ev.DocumentAttached):
        return replace(person, documents=(*person.documents, event.document_id))
    if isinstance(event, ev.PossibleDuplicateFlagged):
        return replace(person, open_duplicates=person.open_duplicates | {event.candidate_person_id})
    if isinstance(event, ev.DuplicateDismissed):
        return replace(person, open_duplicates=person.open_duplicates - {event.candidate_person_id})
    if isinstance(event, ev.PersonMerged):
        return replace(person, merged_into=event.into_person_id, open_duplicates=frozenset())
    if isinstance(event, ev.PersonErased):
        return replace(person, erased=True, consents=frozenset())
    return person  # EligibilityEvaluated changes no state


# ---- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterPerson:
    person_id: str
    organization_id: str
    birth_date: date
    sex: Sex
    country_of_birth: str
    languages: tuple[str, ...]
    french_level: FrenchLevel
    status: ev.StatusPeriod
    region: str | None
    uci_hash: str | None
    pii: str
    consents: tuple[ConsentPurpose, ...]
    today: date
    now: datetime
    file_number: int


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    person_id: str
    match: str  # "uci" | "probable"
    score: float


def register(
    history: Sequence[DomainEvent],
    command: RegisterPerson,
    *,
    duplicates: Sequence[DuplicateCandidate],
    rules: RuleBook,
) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "person.already_registered",
            "Cette personne est déjà inscrite.",
            "This person is already registered.",
        )
    if command.birth_date > command.today:
        raise _invalid(
            "person.birth_date_in_future",
            "birth_date",
            "La date de naissance est dans le futur.",
            "The birth date is in the future.",
        )
    _check_period(command.status, command.birth_date, command.today)
    _check_region(command.region)
    registered = ev.PersonRegistered(
        person_id=command.person_id,
        organization_id=command.organization_id,
        birth_date=command.birth_date,
        sex=command.sex,
        country_of_birth=command.country_of_birth,
        languages=command.languages,
        french_level=command.french_level,
        status=command.status,
        region=command.region,
        uci_hash=command.uci_hash,
        pii=command.pii,
        file_number=command.file_number,
    )
    flagged = [
        ev.PossibleDuplicateFlagged(candidate_person_id=d.person_id, match=d.match, score=d.score)
        for d in duplicates
    ]
    consents = [ev.ConsentGiven(purpose=p, given_at=command.now) for p in dict.fromkeys(command.consents)]
    person = fold([registered, *flagged])
    assert person is not None
    evaluated = evaluate_all(person, command.today, rules, trigger="registration")
    return [registered, *flagged, *consents, evaluated]


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    period: ev.StatusPeriod
    reason: str
    today: date


def change_status(
    history: Sequence[DomainEvent], command: ChangeStatus, *, rules: RuleBook
) -> list[DomainEvent]:
    person = active(history)
    _check_period(command.period, person.birth_date, command.today)
    if any(p.effective_from == command.period.effective_from for p in person.statuses):
        raise Conflict(
            "person.status_date_taken",
            "Un statut commence déjà à cette date; choisissez une autre date d'effet.",
            "A status already starts on that date; choose another effective date.",
            details={"field": "effective_from"},
        )
    period = command.period
    if period.admission_date is None:
        # A new status does not re-admit the person: years since admission still count from
        # the admission already on file (e.g. an asylum claimant who becomes a protected person).
        known = [p.admission_date for p in person.statuses if p.admission_date is not None]
        period = period.model_copy(update={"admission_date": known[-1] if known else None})
    changed = ev.StatusChanged(period=period, reason=command.reason)
    after = _apply(person, changed)
    assert after is not None
    return [changed, evaluate_all(after, command.today, rules, trigger="status_change")]


def change_address(
    history: Sequence[DomainEvent],
    *,
    region: str | None,
    effective_from: date,
    pii: str,
    reason: str,
    today: date,
    rules: RuleBook,
) -> list[DomainEvent]:
    """A new address; eligibility is evaluated again, since living in Québec is rule E1."""
    person = active(history)
    _check_region(region)
    changed = ev.AddressChanged(region=region, effective_from=effective_from, pii=pii, reason=reason)
    after = _apply(person, changed)
    assert after is not None
    return [changed, evaluate_all(after, today, rules, trigger="address_change")]


def evaluate_on_request(
    history: Sequence[DomainEvent], on_date: date, *, rules: RuleBook
) -> list[DomainEvent]:
    person = active(history)
    if on_date < person.birth_date:
        raise _invalid(
            "eligibility.date_before_birth",
            "on",
            "La date précède la naissance.",
            "The date is before the birth date.",
        )
    return [evaluate_all(person, on_date, rules, trigger="request")]


def give_consent(history: Sequence[DomainEvent], purpose: ConsentPurpose, now: datetime) -> list[DomainEvent]:
    person = active(history)
    return [] if purpose in person.consents else [ev.ConsentGiven(purpose=purpose, given_at=now)]


def withdraw_consent(
    history: Sequence[DomainEvent], purpose: ConsentPurpose, now: datetime, reason: str
) -> list[DomainEvent]:
    person = active(history)
    if purpose not in person.consents:
        raise Conflict(
            "consent.not_given",
            "Aucun consentement actif pour cette finalité.",
            "No active consent for that purpose.",
            details={"purpose": str(purpose)},
        )
    return [ev.ConsentWithdrawn(purpose=purpose, withdrawn_at=now, reason=reason)]


def attach_document(
    history: Sequence[DomainEvent],
    *,
    document_id: str,
    kind: DocumentKind,
    media_type: str,
    size: int,
    sha256: str,
) -> list[DomainEvent]:
    active(history)
    return [
        ev.DocumentAttached(
            document_id=document_id, kind=kind, media_type=media_type, size=size, sha256=sha256
        )
    ]


def dismiss_duplicate(
    history: Sequence[DomainEvent], candidate_person_id: str, reason: str
) -> list[DomainEvent]:
    person = active(history)
    if candidate_person_id not in person.open_duplicates:
        raise Conflict(
            "duplicate.not_open", "Ce doublon n'est pas en attente.", "This duplicate is not pending."
        )
    return [ev.DuplicateDismissed(candidate_person_id=candidate_person_id, reason=reason)]


def merge_into(history: Sequence[DomainEvent], into_person_id: str, reason: str) -> list[DomainEvent]:
    person = active(history)
    if into_person_id == person.person_id:
        raise _invalid(
            "duplicate.merge_into_self",
            "into_person_id",
            "Une personne ne peut être fusionnée avec elle-même.",
            "A person cannot be merged into itself.",
        )
    return [ev.PersonMerged(into_person_id=into_person_id, reason=reason)]


def assign_file_number(history: Sequence[DomainEvent], file_number: int) -> list[DomainEvent]:
    """Number a file registered before files were numbered (erased or merged files too: their
    number names them in reports); a numbered file keeps its number."""
    person = fold(history)
    if person is None:
        raise _not_registered()
    return [] if person.file_number is not None else [ev.FileNumberAssigned(file_number=file_number)]


def erase(history: Sequence[DomainEvent], reason: str) -> list[DomainEvent]:
    person = fold(history)
    if person is None:
        raise _not_registered()
    return [] if person.erased else [ev.PersonErased(reason=reason)]


def active(history: Sequence[DomainEvent]) -> Person:
    """The person, if it can still change: registered, not merged away, not erased."""
    person = fold(history)
    if person is None:
        raise _not_registered()
    if person.erased:
        raise Conflict(
            "person.erased", "Cette personne a été effacée (Loi 25).", "This person was erased (Loi 25)."
        )
    if person.merged_into is not None:
        raise Conflict(
            "person.merged",
            "Ce dossier a été fusionné avec un autre.",
            "This file was merged into another one.",
            details={"into_person_id": person.merged_into},
        )
    return person


def _check_period(period: ev.StatusPeriod, birth_date: date, today: date) -> None:
    if period.effective_from < birth_date or (period.admission_date and period.admission_date < birth_date):
        raise _invalid(
            "person.status_before_birth",
            "status",
            "La date d'admission ou de statut précède la naissance.",
            "The admission or status date is before the birth date.",
        )
    if period.effective_from > today:
        raise _invalid(
            "person.status_in_future",
            "status",
            "Le statut commence dans le futur.",
            "The status starts in the future.",
        )
    if period.expires_on is not None and period.expires_on < period.effective_from:
        raise _invalid(
            "person.status_expires_before_start",
            "status",
            "Le statut expire avant de commencer.",
            "The status expires before it starts.",
        )


def _check_region(region: str | None) -> None:
    if region is not None and region not in REGIONS:
        raise _invalid(
            "person.unknown_region",
            "region",
            f"Région administrative inconnue : {region} (01 à 17).",
            f"Unknown administrative region: {region} (01 to 17).",
        )


def _invalid(code: str, field_name: str, fr: str, en: str) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field_name})


def _not_registered() -> NotFound:
    return NotFound("person.not_found", "Personne introuvable.", "Person not found.")
