"""HTTP resources (admin): the reminder schedule, and the ministry's contact directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, Lines, label
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from notifications.deps import ScheduleAdminDep as AdminDep
from notifications.notices.contacts import MinistryContact
from notifications.reminders.domain import Schedule

router = authenticated_router(tags=["rappels / reminders"])

UserId = Annotated[Line, Path(min_length=1, max_length=200, examples=["nadia@mifi"])]


class ScheduleChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "schedule": {
                        "deadline_reminders": [15, 7, 1],
                        "deadline_missed": True,
                        "escalations": [7],
                        "control_reminders": [20],
                        "resubmission_reminders": [3],
                        "checkpoint_reminders": [7, 0],
                        "grace_days": 3,
                    },
                    "reason": "Rappel supplémentaire une semaine avant les jalons",
                }
            ]
        },
    )

    schedule: Schedule = Field(json_schema_extra=label("Calendrier des rappels", "Reminder schedule"))
    reason: Lines = Field(min_length=3, max_length=1000)


@router.get("/schedule", response_model=Schedule)
async def get_schedule(_principal: Admin, admin: AdminDep) -> Schedule:
    """Calendrier des rappels en vigueur / The reminder schedule in force."""
    return await run_short(lambda: admin.schedule())


@router.put("/schedule", response_model=Schedule)
async def put_schedule(change: ScheduleChange, principal: Admin, admin: AdminDep) -> Schedule:
    """Modifier les délais des rappels (avec motif) / Change the reminder offsets (with a reason)."""
    return await run_short(lambda: admin.configure(principal, change.schedule, change.reason))


@router.get("/ministry-contacts/{user_id}", response_model=MinistryContact)
async def get_contact(user_id: UserId, _principal: Admin, admin: AdminDep) -> MinistryContact:
    """Adresse et langue d'un utilisateur du ministère / A ministry user's address and language."""
    return await run_short(lambda: admin.contact(user_id))


@router.put("/ministry-contacts/{user_id}", response_model=MinistryContact)
async def put_contact(
    user_id: UserId, contact: MinistryContact, principal: Admin, admin: AdminDep
) -> MinistryContact:
    """Définir l'adresse et la langue d'un utilisateur du ministère / Set a ministry user's address."""
    return await run_short(lambda: admin.set_contact(principal, user_id, contact))
