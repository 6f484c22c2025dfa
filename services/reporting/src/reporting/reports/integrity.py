"""A report's audit trail and the integrity of its submissions, read from the report's own
event stream (the record itself, not a read model).

Integrity: the submission event holds the snapshot and its SHA-256. The stored snapshot is hashed
again (was the record altered?), and the snapshot a submission made now would freeze is compared
with it: ``intact``, or the interventions added, removed or changed (another version) since.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from gsi_kernel.auth import Principal
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.errors import NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from reporting.event_registry import EVENTS
from reporting.reports import events as ev
from reporting.reports.access import require_reader
from reporting.reports.snapshot import compare, sha256
from reporting.reports.verification import Verifier


class Audit:
    def __init__(self, *, db: Database, store: EventStore, clock: Clock, verifier: Verifier) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._verifier = verifier

    def integrity(
        self, organization_id: str, quarter: FiscalQuarter, version: int | None, principal: Principal
    ) -> dict[str, Any]:
        require_reader(principal, organization_id)
        today = montreal_date(self._clock.now())
        with self._db.transaction() as connection:
            submitted = self._submission(connection, organization_id, quarter, version)
            current = self._verifier.current_snapshot(connection, organization_id, quarter, today)
        differences = compare(submitted.snapshot, current)
        recomputed = sha256(submitted.snapshot)
        return {
            "report_id": submitted.report_id,
            "submission_version": submitted.submission_version,
            "status": "intact" if differences.intact else "changed",
            "sha256": submitted.sha256,
            "snapshot_sha256": recomputed,
            "record_intact": recomputed == submitted.sha256,
            "current_sha256": sha256(current),
            "added": [{"intervention_id": i, "version": v} for i, v in differences.added],
            "removed": [{"intervention_id": i, "version": v} for i, v in differences.removed],
            "changed": [
                {"intervention_id": i, "submitted_version": s, "current_version": c}
                for i, s, c in differences.changed
            ],
        }

    def history(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal
    ) -> list[dict[str, Any]]:
        """Every step: what, who, when, and why where a reason was given."""
        require_reader(principal, organization_id)
        stream = ev.report_id(organization_id, quarter)
        with self._db.transaction() as connection:
            envelopes = self._store.load(connection, stream)
        steps = []
        for envelope in envelopes:
            if not EVENTS.knows(envelope.type):
                continue
            steps.append(
                {
                    "version": envelope.stream_version,
                    "event": envelope.type,
                    "at": envelope.occurred_at,
                    "by": envelope.actor,
                    "details": _step_details(envelope.type, envelope.schema_version, envelope.payload),
                }
            )
        return steps

    def _submission(
        self, connection: Any, organization_id: str, quarter: FiscalQuarter, version: int | None
    ) -> ev.ReportSubmitted:
        """The submission asked for (the last one by default), the only event decoded: each
        submission holds its frozen items and findings, thousands of them in a large report."""
        envelopes = self._store.load(connection, ev.report_id(organization_id, quarter))
        for envelope in reversed(envelopes):
            if envelope.type != ev.ReportSubmitted.event_type:
                continue
            event = EVENTS.decode(envelope.type, envelope.schema_version, envelope.payload)
            if isinstance(event, ev.ReportSubmitted) and version in (None, event.submission_version):
                return event
        raise NotFound(
            "report.submission_not_found",
            "Aucune soumission correspondante de ce rapport.",
            "No such submission of this report.",
            details={"submission_version": version},
        )


class _SubmittedStep(BaseModel):
    """What the trail shows of a submission, read without its frozen items and findings: a
    report of 2,000 interventions holds them all in its submission event, and validating them
    made every read of the history (the report and control pages) cost as much as the report's
    size."""

    model_config = ConfigDict(extra="ignore")

    submission_version: int
    sha256: str
    summary: ev.CheckSummary
    late: bool


def _step_details(event_type: str, schema_version: int, payload: dict[str, Any]) -> dict[str, Any]:
    if event_type == ev.ReportSubmitted.event_type and schema_version == ev.ReportSubmitted.schema_version:
        return _SubmittedStep.model_validate(payload).model_dump()
    return _details(EVENTS.decode(event_type, schema_version, payload))


def _details(event: DomainEvent) -> dict[str, Any]:
    """What the audit trail shows of a step (never the frozen items: see the submission)."""
    if isinstance(event, ev.ReportVerified):
        return {"summary": event.summary.model_dump(), "interventions_count": event.interventions_count}
    if isinstance(event, ev.ReportSubmitted):
        return {
            "submission_version": event.submission_version,
            "sha256": event.sha256,
            "summary": event.summary.model_dump(),
            "late": event.late,
        }
    if isinstance(event, ev.ReportAccepted):
        return {"submission_version": event.submission_version, "override_reason": event.override_reason}
    if isinstance(event, ev.ReportRejected):
        return {
            "submission_version": event.submission_version,
            "rejection_number": event.rejection_number,
            "reason": event.reason,
            "items": len(event.items),
        }
    if isinstance(event, ev.RejectionAnswered):
        return {"rejection_number": event.rejection_number, "answers": len(event.answers)}
    if isinstance(event, ev.ReportUnlocked):
        return {"reason": event.reason}
    if isinstance(event, ev.ReportTakenUnderControl | ev.ReportLocked):
        return {"submission_version": event.submission_version}
    return {}
