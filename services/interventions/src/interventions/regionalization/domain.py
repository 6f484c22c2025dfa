"""The regionalization follow-up aggregate, stream ``regionalization-{id}``: a person settled in
a region outside Montréal, contacted at checkpoints (3, 6 and 12 months after settling) to learn
whether they stayed.

The checkpoints and their due dates are fixed when the follow-up opens and recorded in the
opening event, so a later change of the offsets never rewrites an open follow-up's calendar.
Checkpoints are recorded in order (a missed contact is recorded as ``unknown``): the retention
figures read a person's path checkpoint by checkpoint. Its events and their fold to state:
:mod:`.events`.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from interventions.regionalization import events

# The events, the state and the fold, under this module's name too: callers import them from here
# (an assignment is a public name for mypy --strict, a plain import is not).
EVENTS = events.EVENTS
CheckpointOutcome = events.CheckpointOutcome
DueCheckpoint = events.DueCheckpoint
FollowUp = events.FollowUp
RegionalizationCheckpointRecorded = events.RegionalizationCheckpointRecorded
RegionalizationFollowUpCompleted = events.RegionalizationFollowUpCompleted
RegionalizationFollowUpOpened = events.RegionalizationFollowUpOpened
fold = events.fold

CHECKPOINT_MONTHS: tuple[int, ...] = (3, 6, 12)
"""Months after settling at which the person is contacted [default: the ministry may change it]."""

REGIONS: dict[str, str] = {
    "01": "Bas-Saint-Laurent",
    "02": "Saguenay–Lac-Saint-Jean",
    "03": "Capitale-Nationale",
    "04": "Mauricie",
    "05": "Estrie",
    "06": "Montréal",
    "07": "Outaouais",
    "08": "Abitibi-Témiscamingue",
    "09": "Côte-Nord",
    "10": "Nord-du-Québec",
    "11": "Gaspésie–Îles-de-la-Madeleine",
    "12": "Chaudière-Appalaches",
    "13": "Laval",
    "14": "Lanaudière",
    "15": "Laurentides",
    "16": "Montérégie",
    "17": "Centre-du-Québec",
}
"""Québec's administrative regions, by code."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---- commands and decisions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenFollowUp:
    follow_up_id: str
    organization_id: str
    person_id: str
    destination_region: str
    opened_on: date
    today: date
    checkpoint_months: tuple[int, ...] = CHECKPOINT_MONTHS


def open_follow_up(history: Sequence[DomainEvent], command: OpenFollowUp) -> list[DomainEvent]:
    if history:
        raise Conflict(
            "regionalization.already_opened", "Ce suivi existe déjà.", "This follow-up already exists."
        )
    _known_region(command.destination_region, "destination_region")
    _not_in_future(command.opened_on, command.today, "opened_on")
    checkpoints = tuple(
        DueCheckpoint(months=m, due_on=add_months(command.opened_on, m))
        for m in sorted(set(command.checkpoint_months))
    )
    opened = RegionalizationFollowUpOpened(
        follow_up_id=command.follow_up_id,
        organization_id=command.organization_id,
        person_id=command.person_id,
        destination_region=command.destination_region,
        opened_on=command.opened_on,
        checkpoints=checkpoints,
    )
    return [opened]


@dataclass(frozen=True, slots=True)
class RecordCheckpoint:
    organization_id: str
    months: int
    outcome: CheckpointOutcome
    recorded_on: date
    today: date
    new_region: str | None = None
    note: str | None = None


def record_checkpoint(history: Sequence[DomainEvent], command: RecordCheckpoint) -> list[DomainEvent]:
    follow_up = owned(history, command.organization_id)
    _check_checkpoint(follow_up, command.months)
    _not_in_future(command.recorded_on, command.today, "recorded_on")
    if command.recorded_on < follow_up.opened_on:
        raise _invalid(
            "regionalization.date_before_opening",
            "recorded_on",
            "La date précède l'établissement de la personne.",
            "The date is before the person settled.",
        )
    _check_new_region(command, follow_up.current_region)
    recorded = RegionalizationCheckpointRecorded(
        follow_up_id=follow_up.follow_up_id,
        organization_id=follow_up.organization_id,
        person_id=follow_up.person_id,
        months=command.months,
        outcome=command.outcome,
        recorded_on=command.recorded_on,
        new_region=command.new_region,
        note=command.note,
    )
    if len(follow_up.pending) > 1:
        return [recorded]
    region = command.new_region or follow_up.current_region
    return [recorded, RegionalizationFollowUpCompleted(follow_up_id=follow_up.follow_up_id, region=region)]


def owned(history: Sequence[DomainEvent], organization_id: str) -> FollowUp:
    """The follow-up, if it is this organization's (any other: not found, no leak)."""
    follow_up = fold(history)
    if follow_up is None or follow_up.organization_id != organization_id:
        raise NotFound(
            "regionalization.not_found",
            "Suivi de régionalisation introuvable.",
            "Regionalization follow-up not found.",
        )
    return follow_up


def _check_checkpoint(follow_up: FollowUp, months: int) -> None:
    planned = [c.months for c in follow_up.checkpoints]
    if months not in planned:
        raise InvalidInput(
            "regionalization.unknown_checkpoint",
            "Ce jalon n'est pas prévu pour ce suivi.",
            "This checkpoint is not planned for this follow-up.",
            details={"field": "months", "checkpoints": planned},
        )
    if months in follow_up.recorded:
        raise Conflict(
            "regionalization.checkpoint_recorded",
            "Ce jalon est déjà consigné.",
            "This checkpoint is already recorded.",
            details={"months": months},
        )
    first_pending = follow_up.pending[0].months
    if months != first_pending:
        raise Conflict(
            "regionalization.earlier_checkpoint_pending",
            "Consignez d'abord le jalon précédent (« inconnu » si le contact a manqué).",
            "Record the earlier checkpoint first (“unknown” if there was no contact).",
            details={"months": first_pending},
        )


def _check_new_region(command: RecordCheckpoint, current_region: str) -> None:
    if command.outcome is not CheckpointOutcome.MOVED:
        if command.new_region is not None:
            raise _invalid(
                "regionalization.new_region_unexpected",
                "new_region",
                "Une nouvelle région ne se donne que si la personne a déménagé.",
                "A new region is given only when the person moved.",
            )
        return
    if command.new_region is None:
        raise _invalid(
            "regionalization.new_region_required",
            "new_region",
            "Indiquez la région où la personne a déménagé.",
            "Give the region the person moved to.",
        )
    _known_region(command.new_region, "new_region")
    if command.new_region == current_region:
        raise _invalid(
            "regionalization.same_region",
            "new_region",
            "La personne habitait déjà cette région.",
            "The person already lived in that region.",
        )


def _known_region(code: str, field: str) -> None:
    if code not in REGIONS:
        raise InvalidInput(
            "regionalization.unknown_region",
            "Région administrative inconnue (01 à 17).",
            "Unknown administrative region (01 to 17).",
            details={"field": field, "value": code},
        )


def _not_in_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise _invalid(
            "regionalization.date_in_future",
            field,
            "La date est dans le futur.",
            "The date is in the future.",
        )


def _invalid(code: str, field: str, fr: str, en: str) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field})
