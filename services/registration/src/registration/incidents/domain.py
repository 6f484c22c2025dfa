"""The confidentiality-incident register (Loi 25: an organization keeps a register of every
confidentiality incident involving personal information, with the items the regulation lists,
for five years after it learns of the incident).

An incident's stream: recorded with its facts — the personal information concerned, the
circumstances, when it occurred (a day or a period, possibly estimated), when it was detected,
how many persons are concerned (possibly estimated), the assessment of the risk of serious
injury — then corrected, notices to the Commission d'accès à l'information, to the persons and
to the public, measures taken, and closed. Who did each, and when, is the event's envelope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from registration.incidents.events import (
    IncidentClosed,
    IncidentCorrected,
    IncidentFacts,
    IncidentMeasureTaken,
    IncidentNoticeSent,
    IncidentRecorded,
    NoticeRecipient,
)

RETENTION_YEARS = 5  # the register keeps an incident this long after it was detected


def typed_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A correction's changes (as stored: JSON values) typed as the facts' fields."""
    typed = {}
    for name, value in changes.items():
        annotation = IncidentFacts.model_fields[name].annotation
        assert annotation is not None, name
        typed[name] = TypeAdapter[Any](annotation).validate_python(value)
    return typed


def incident_stream(incident_id: str) -> str:
    return f"incident-{incident_id}"


def kept_until(detected_on: date) -> date:
    try:
        return detected_on.replace(year=detected_on.year + RETENTION_YEARS)
    except ValueError:  # February 29
        return detected_on.replace(year=detected_on.year + RETENTION_YEARS, day=28)


@dataclass(frozen=True, slots=True)
class Incident:
    incident_id: str
    facts: IncidentFacts
    notices: tuple[tuple[NoticeRecipient, date], ...] = ()
    closed: bool = False

    def notified(self, recipient: NoticeRecipient) -> bool:
        return any(r is recipient for r, _ in self.notices)


def fold(history: Sequence[DomainEvent]) -> Incident | None:
    incident: Incident | None = None
    for event in history:
        if isinstance(event, IncidentRecorded):
            incident = Incident(event.incident_id, event.facts)
            continue
        assert incident is not None, f"{event.event_type} before IncidentRecorded"
        if isinstance(event, IncidentCorrected):
            incident = replace(incident, facts=_corrected(incident.facts, event.changes))
        elif isinstance(event, IncidentNoticeSent):
            incident = replace(incident, notices=(*incident.notices, (event.recipient, event.sent_on)))
        elif isinstance(event, IncidentClosed):
            incident = replace(incident, closed=True)
    return incident


# ---- decisions ---------------------------------------------------------------------------------


def record(
    history: Sequence[DomainEvent], incident_id: str, facts: IncidentFacts, today: date
) -> list[DomainEvent]:
    if history:
        raise Conflict("incident.exists", "Cet incident existe déjà.", "This incident already exists.")
    check_facts(facts, today)
    return [IncidentRecorded(incident_id=incident_id, facts=facts)]


def correct(
    history: Sequence[DomainEvent], changes: dict[str, Any], reason: str, today: date
) -> list[DomainEvent]:
    incident = _open(history)
    corrected = _corrected(incident.facts, changes)
    changed = {
        k: getattr(corrected, k) for k in changes if getattr(corrected, k) != getattr(incident.facts, k)
    }
    if not changed:
        raise InvalidInput(
            "incident.nothing_to_change",
            "Aucun changement : les valeurs sont déjà celles du registre.",
            "Nothing to change: the register already has these values.",
        )
    check_facts(corrected, today)
    return [IncidentCorrected(changes=changed, reason=reason)]


def _corrected(facts: IncidentFacts, changes: dict[str, Any]) -> IncidentFacts:
    """The facts with ``changes`` (values typed or as stored in JSON) applied, validated."""
    try:
        return IncidentFacts.model_validate({**facts.model_dump(), **changes})
    except ValidationError as exc:  # e.g. a required item set to nothing
        raise InvalidInput(
            "incident.invalid_change",
            "Cette correction laisserait le registre incomplet ou invalide.",
            "This correction would leave the register entry incomplete or invalid.",
            details={"fields": sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})},
        ) from exc


def send_notice(
    history: Sequence[DomainEvent], recipient: NoticeRecipient, sent_on: date, today: date
) -> list[DomainEvent]:
    incident = _open(history)
    _not_in_future("sent_on", sent_on, today)
    if sent_on < incident.facts.detected_on:
        raise InvalidInput(
            "incident.notice_before_detection",
            "Un avis ne peut précéder la détection de l'incident.",
            "A notice cannot come before the incident was detected.",
            details={"sent_on": sent_on.isoformat(), "detected_on": incident.facts.detected_on.isoformat()},
        )
    if incident.notified(recipient):
        raise Conflict(
            "incident.notice_already_recorded",
            "Cet avis est déjà inscrit au registre.",
            "This notice is already in the register.",
            details={"recipient": str(recipient)},
        )
    return [IncidentNoticeSent(recipient=recipient, sent_on=sent_on)]


def take_measure(
    history: Sequence[DomainEvent], description: str, taken_on: date, today: date
) -> list[DomainEvent]:
    incident = _open(history)
    _not_in_future("taken_on", taken_on, today)
    if taken_on < incident.facts.occurred_on:
        raise InvalidInput(
            "incident.measure_before_incident",
            "Une mesure prise en réponse ne peut précéder l'incident.",
            "A measure taken in response cannot come before the incident.",
            details={"taken_on": taken_on.isoformat(), "occurred_on": incident.facts.occurred_on.isoformat()},
        )
    return [IncidentMeasureTaken(description=description, taken_on=taken_on)]


def close(history: Sequence[DomainEvent], reason: str) -> list[DomainEvent]:
    """Close the file. Where there is a risk of serious injury, the Commission and the persons
    (or the public) must have been notified first."""
    incident = _open(history)
    if incident.facts.serious_injury_risk:
        missing = []
        if not incident.notified(NoticeRecipient.COMMISSION):
            missing.append(str(NoticeRecipient.COMMISSION))
        if not (incident.notified(NoticeRecipient.PERSONS) or incident.notified(NoticeRecipient.PUBLIC)):
            missing.append(str(NoticeRecipient.PERSONS))
        if missing:
            raise Conflict(
                "incident.notices_missing",
                "Risque de préjudice sérieux : aviser la Commission et les personnes avant de fermer.",
                "Risk of serious injury: notify the Commission and the persons before closing.",
                details={"missing": missing},
            )
    return [IncidentClosed(reason=reason)]


def _open(history: Sequence[DomainEvent]) -> Incident:
    incident = fold(history)
    if incident is None:
        raise NotFound("incident.not_found", "Incident introuvable.", "Incident not found.")
    if incident.closed:
        raise Conflict(
            "incident.closed",
            "Cet incident est fermé : le registre n'est plus modifiable.",
            "This incident is closed: its register entry can no longer change.",
        )
    return incident


def check_facts(facts: IncidentFacts, today: date) -> None:
    """The facts hold together: no date in the future, a period that ends after it starts,
    detected on or after it occurred, no negative count."""
    for name in ("occurred_on", "occurred_until", "detected_on"):
        _not_in_future(name, getattr(facts, name), today)
    if facts.occurred_until is not None and facts.occurred_until < facts.occurred_on:
        raise InvalidInput(
            "incident.invalid_period",
            "La fin de la période précède son début.",
            "The period ends before it starts.",
            details={
                "occurred_on": facts.occurred_on.isoformat(),
                "occurred_until": facts.occurred_until.isoformat(),
            },
        )
    if facts.detected_on < facts.occurred_on:
        raise InvalidInput(
            "incident.detected_before_occurred",
            "L'incident ne peut avoir été détecté avant d'être survenu.",
            "The incident cannot have been detected before it occurred.",
            details={
                "occurred_on": facts.occurred_on.isoformat(),
                "detected_on": facts.detected_on.isoformat(),
            },
        )
    if facts.persons_concerned < 0:
        raise InvalidInput(
            "incident.negative_count",
            "Le nombre de personnes concernées ne peut être négatif.",
            "The number of persons concerned cannot be negative.",
            details={"persons_concerned": facts.persons_concerned},
        )


def _not_in_future(name: str, day: date | None, today: date) -> None:
    if day is not None and day > today:
        raise InvalidInput(
            "incident.date_in_future",
            "Une date du registre ne peut être dans le futur.",
            "A register date cannot be in the future.",
            details={"field": name, "date": day.isoformat(), "today": today.isoformat()},
        )
