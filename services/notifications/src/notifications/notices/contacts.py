"""The ministry's contact directory: the e-mail address and language of a reviewer (or any
ministry user) that notices to the ministry go to. Organizations' contacts come with the
organization from reporting; ministry staff are known to notifications only by their user id."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.events import DomainEvent
from gsi_kernel.fields import Email, MaybeName
from notifications.notices.values import Language


class MinistryContact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    email: Email
    name: MaybeName = Field(default=None, max_length=200)
    language: Language = "fr"


class MinistryContactSet(DomainEvent):
    event_type = "MinistryContactSet"

    user_id: str
    contact: MinistryContact


def contact_stream(user_id: str) -> str:
    return f"contact-{user_id}"


def set_contact(history: Sequence[DomainEvent], user_id: str, contact: MinistryContact) -> list[DomainEvent]:
    current = [e.contact for e in history if isinstance(e, MinistryContactSet)]
    if current and current[-1] == contact:
        return []
    return [MinistryContactSet(user_id=user_id, contact=contact)]
