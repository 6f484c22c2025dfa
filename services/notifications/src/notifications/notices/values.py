"""A notice's vocabulary: its kinds, audiences, languages and recipients."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

Language = Literal["fr", "en"]


class Audience(StrEnum):
    ORGANIZATION = "organization"  # the organization's contacts and users
    MINISTRY = "ministry"  # the reviewers assigned to the organization


class NoticeKind(StrEnum):
    """What a notice is about; each kind has a French and an English template."""

    DEADLINE_REMINDER = "deadline_reminder"  # D-15, D-7, D-1 while the report is not submitted
    DEADLINE_MISSED = "deadline_missed"  # on the day the deadline passes, to org and reviewer
    DEADLINE_ESCALATION = "deadline_escalation"  # D+7, still not submitted
    CONTROL_REMINDER = "control_reminder"  # D+20 of the control window, still under control
    RESUBMISSION_REMINDER = "resubmission_reminder"  # before the resubmission deadline
    CHECKPOINT_DUE = "checkpoint_due"  # a regionalization checkpoint falls due
    REPORT_SUBMITTED = "report_submitted"  # to the reviewer
    REPORT_ACCEPTED = "report_accepted"
    REPORT_REJECTED = "report_rejected"  # with the reasons and the failed checks
    QUARTER_LOCKED = "quarter_locked"
    QUARTER_UNLOCKED = "quarter_unlocked"
    LOCK_EXCEPTION_GRANTED = "lock_exception_granted"
    LOCK_EXCEPTION_REFUSED = "lock_exception_refused"
    IMPORT_FINISHED = "import_finished"


class Recipient(BaseModel):
    """Someone a notice is for. ``email`` is None when no address is known (the notice still
    reaches the inbox; the missing e-mail is recorded as a failed delivery with its reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str | None
    name: str | None = None
    user_id: str | None = None
    language: Language = "fr"
