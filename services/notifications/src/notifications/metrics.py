"""Notifications' metrics (docs/metrics.md): reminders recorded by kind, and e-mails sent,
failed (an attempt that did not deliver) and dead-lettered.

Counted from the service's own events as the projections' catch-up passes them
(:meth:`gsi_kernel.projections.ProjectionRunner.observe`): every event is passed once, by the one
process whose catch-up took the checkpoint's lock, whichever replica or worker recorded it — so
the sum over the replicas is right, and nothing in the delivery or the scheduler needs to know.
Labels: a notice kind (a template's key) and an outcome, never a person, an address or an
organization.

This module reads event types and the payload's ``kind`` by name, so that it depends on the
kernel only (the service's modules move); tests/unit/test_metrics_services.py holds the names
to the service's events.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.metrics.instruments import INSTRUMENTS
from gsi_kernel.runtime import Kernel

REMINDERS_SENT = Counter(
    "gsi_reminders_sent_total",
    "Rappels enregistrés / Reminders the scheduler recorded, by kind (template key)",
    ["service", "kind"],
    registry=INSTRUMENTS,
)
EMAILS = Counter(
    "gsi_emails_total",
    "Courriels envoyés, tentatives échouées, abandonnés / E-mails sent, attempts failed, dead-lettered",
    ["service", "outcome"],
    registry=INSTRUMENTS,
)

# The notice kinds the reminder scheduler records (notifications.domain.schedule).
REMINDER_KINDS = (
    "deadline_reminder",
    "deadline_missed",
    "deadline_escalation",
    "control_reminder",
    "resubmission_reminder",
    "checkpoint_due",
)
NOTICE_RECORDED = "NoticeRecorded"
EMAIL_OUTCOMES = {"EmailSent": "sent", "EmailAttemptFailed": "failed", "EmailDeadLettered": "dead"}


class NotificationEvents:
    """The observer of the catch-up: each batch's reminders and e-mail outcomes counted."""

    def __init__(self, service: str) -> None:
        # Every series from the start at 0, so that rate() sees the first one.
        self._reminders = {kind: REMINDERS_SENT.labels(service, kind) for kind in REMINDER_KINDS}
        self._emails = {t: EMAILS.labels(service, outcome) for t, outcome in EMAIL_OUTCOMES.items()}

    def __call__(self, batch: Sequence[EventEnvelope]) -> None:
        for event in batch:
            if event.type == NOTICE_RECORDED:
                reminder = self._reminders.get(str(event.payload.get("kind")))
                if reminder is not None:
                    reminder.inc()
            elif (email := self._emails.get(event.type)) is not None:
                email.inc()


def register(kernel: Kernel) -> None:
    kernel.projections.observe(NotificationEvents(kernel.settings.service))
