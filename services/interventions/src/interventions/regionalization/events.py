"""The regionalization follow-up's events (stream ``regionalization-{id}``) and the fold of its
history to state. The event type names and payloads are stored: change them only with an upcaster.

The decisions live in :mod:`interventions.regionalization.domain`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent


class CheckpointOutcome(StrEnum):
    STAYED = "stayed"
    MOVED = "moved"
    UNKNOWN = "unknown"


# ---- events -----------------------------------------------------------------------------------


class DueCheckpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int
    due_on: date


class RegionalizationFollowUpOpened(DomainEvent):
    event_type = "RegionalizationFollowUpOpened"

    follow_up_id: str
    organization_id: str
    person_id: str
    destination_region: str
    opened_on: date
    checkpoints: tuple[DueCheckpoint, ...]


class RegionalizationCheckpointRecorded(DomainEvent):
    """Carries the person and organization: what is published needs them."""

    event_type = "RegionalizationCheckpointRecorded"

    follow_up_id: str
    organization_id: str
    person_id: str
    months: int
    outcome: CheckpointOutcome
    recorded_on: date
    new_region: str | None = None
    note: str | None = None


class RegionalizationFollowUpCompleted(DomainEvent):
    event_type = "RegionalizationFollowUpCompleted"

    follow_up_id: str
    region: str  # where the person lives at the last checkpoint, as far as known


EVENTS = (RegionalizationFollowUpOpened, RegionalizationCheckpointRecorded, RegionalizationFollowUpCompleted)


# ---- state ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUp:
    follow_up_id: str
    organization_id: str
    person_id: str
    destination_region: str
    opened_on: date
    checkpoints: tuple[DueCheckpoint, ...]
    recorded: tuple[int, ...] = ()  # months of the checkpoints recorded, in order
    current_region: str = ""
    complete: bool = False

    @property
    def pending(self) -> tuple[DueCheckpoint, ...]:
        return tuple(c for c in self.checkpoints if c.months not in self.recorded)


def fold(history: Sequence[DomainEvent]) -> FollowUp | None:
    follow_up: FollowUp | None = None
    for e in history:
        if isinstance(e, RegionalizationFollowUpOpened):
            follow_up = FollowUp(
                e.follow_up_id,
                e.organization_id,
                e.person_id,
                e.destination_region,
                e.opened_on,
                e.checkpoints,
                current_region=e.destination_region,
            )
        elif isinstance(e, RegionalizationCheckpointRecorded):
            assert follow_up is not None
            region = e.new_region or follow_up.current_region
            follow_up = replace(follow_up, recorded=(*follow_up.recorded, e.months), current_region=region)
        elif isinstance(e, RegionalizationFollowUpCompleted):
            assert follow_up is not None
            follow_up = replace(follow_up, complete=True)
    return follow_up
