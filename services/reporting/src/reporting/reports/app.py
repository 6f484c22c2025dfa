"""Reporting's use cases on a report: verify and submit (the organization's managers), take,
accept, reject and lock (its assigned reviewers, or an admin), unlock (an admin), answer a
rejection (the organization). Each is one event on the report's stream, or a refusal with a code.

Verify and submit run the checks in a read transaction first, then record the outcome: the
report's own write stays short, and its state is checked again when the event is appended.

Whether the quarter owes a report (an agreement covers it) and whether it has ended are facts
this layer establishes and hands to the report, which decides (``report_period``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import Connection, select

from gsi_kernel.auth import Principal
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from reporting.calendar import app as calendar
from reporting.reports import domain as report
from reporting.reports import period as report_period
from reporting.reports.access import require_controller, require_member
from reporting.reports.coverage import quarter_facts
from reporting.reports.domain import Action, QuarterFacts, ReportState
from reporting.reports.events import ItemAnswer, RejectedItem, report_id
from reporting.reports.rejection_details import described
from reporting.reports.resubmission import ResubmissionWindow
from reporting.reports.verification import Verdict, Verifier
from reporting.tables import reports


def parse_quarter(text: str) -> FiscalQuarter:
    try:
        return FiscalQuarter.parse(text)
    except ValueError as exc:
        raise InvalidInput(
            "report.invalid_quarter",
            f"Trimestre invalide : {text} (ex. 2026-2027-Q3).",
            f"Invalid quarter: {text} (e.g. 2026-2027-Q3).",
            details={"field": "quarter"},
        ) from exc


class Reports:
    def __init__(
        self, *, writer: StreamWriter, db: Database, clock: Clock, verifier: Verifier, program: str
    ) -> None:
        self._writer = writer
        self._db = db
        self._clock = clock
        self._verifier = verifier
        self._program = program

    def today(self) -> date:
        return montreal_date(self._clock.now())

    # ---- the organization ------------------------------------------------------------------

    def verify(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal, context: CommandContext
    ) -> Verdict:
        """Run the checks over the quarter and record their summary; return every finding."""
        require_member(principal, organization_id)
        self._precheck(organization_id, quarter, Action.VERIFY)
        verdict = self._run(organization_id, quarter)
        self._record(
            organization_id,
            quarter,
            context,
            lambda c, h: report.verify(h, verdict.verification, self._facts(c, organization_id, quarter)),
        )
        return verdict

    def submit(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal, context: CommandContext
    ) -> Verdict:
        """Run the checks again and submit: the snapshot, its hash and the findings are frozen."""
        require_member(principal, organization_id)
        self._precheck(organization_id, quarter, Action.SUBMIT)
        verdict = self._run(organization_id, quarter)
        today = self.today()

        def decide(connection: Connection, history: list[DomainEvent]) -> Sequence[DomainEvent]:
            deadlines = calendar.deadlines(connection, quarter, today)
            facts = self._facts(connection, organization_id, quarter, today)
            return report.submit(history, verdict.verification, deadlines, facts)

        self._record(organization_id, quarter, context, decide)
        return verdict

    def answer(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        answers: Sequence[ItemAnswer],
        principal: Principal,
        context: CommandContext,
    ) -> None:
        require_member(principal, organization_id)
        self._record(
            organization_id,
            quarter,
            context,
            lambda _c, h: report.answer(h, organization_id, quarter, answers),
        )

    # ---- the ministry ------------------------------------------------------------------------

    def take(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal, context: CommandContext
    ) -> None:
        """Open the submitted report for control."""
        require_controller(principal, organization_id)
        self._record(
            organization_id, quarter, context, lambda _c, h: report.take(h, organization_id, quarter)
        )

    def accept(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        override_reason: str | None,
        principal: Principal,
        context: CommandContext,
    ) -> None:
        require_controller(principal, organization_id)
        self._record(
            organization_id,
            quarter,
            context,
            lambda c, h: report.accept(
                h, organization_id, quarter, override_reason, self._facts(c, organization_id, quarter)
            ),
        )

    def reject(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        reason: str,
        items: Sequence[RejectedItem],
        principal: Principal,
        context: CommandContext,
        resubmission_due: date | None = None,
    ) -> None:
        """Reject, giving the organization until ``resubmission_due`` (a reviewer's choice,
        checked) or the calendar's default to resubmit."""
        require_controller(principal, organization_id)
        today = self.today()

        def decide(connection: Connection, history: list[DomainEvent]) -> Sequence[DomainEvent]:
            due = calendar.resubmission_window(connection, quarter, today).deadline(resubmission_due)
            named = described(connection, history, items, self._program)  # by person, date, code
            rejection = report.Rejection(organization_id, quarter, reason, named, due)
            return report.reject(history, rejection)

        self._record(organization_id, quarter, context, decide)

    def resubmission_window(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal
    ) -> ResubmissionWindow:
        """What a rejection made today would give by default, and the days a reviewer may choose."""
        require_controller(principal, organization_id)
        with self._db.transaction() as connection:
            return calendar.resubmission_window(connection, quarter, self.today())

    def lock(
        self, organization_id: str, quarter: FiscalQuarter, principal: Principal, context: CommandContext
    ) -> None:
        """Close the quarter: interventions refuses writes in it from then on."""
        require_controller(principal, organization_id)
        self._record(
            organization_id,
            quarter,
            context,
            lambda c, h: report.lock(h, organization_id, quarter, self._facts(c, organization_id, quarter)),
        )

    def unlock(
        self, organization_id: str, quarter: FiscalQuarter, reason: str, context: CommandContext
    ) -> None:
        """Reopen a locked quarter (admins only: the API checks the role)."""
        self._record(
            organization_id,
            quarter,
            context,
            lambda _c, h: report.unlock(h, organization_id, quarter, reason),
        )

    # ---- helpers -------------------------------------------------------------------------------

    def _run(self, organization_id: str, quarter: FiscalQuarter) -> Verdict:
        with self._db.transaction() as connection:
            return self._verifier.run(connection, organization_id, quarter, self.today())

    def _facts(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter, today: date | None = None
    ) -> QuarterFacts:
        return quarter_facts(connection, self._program, organization_id, quarter, today or self.today())

    def _precheck(self, organization_id: str, quarter: FiscalQuarter, action: Action) -> None:
        """Refuse early what the report's state or its quarter refuses anyway, before running the
        checks."""
        query = select(reports.c.state).where(reports.c.report_id == report_id(organization_id, quarter))
        with self._db.transaction() as connection:
            state = connection.execute(query).scalar()
            facts = self._facts(connection, organization_id, quarter)
        report.ensure_allowed(ReportState(state or ReportState.DRAFT), action)
        report_period.ensure_may(action, facts)

    def _record(
        self,
        organization_id: str,
        quarter: FiscalQuarter,
        context: CommandContext,
        decide: Callable[[Connection, list[DomainEvent]], Sequence[DomainEvent]],
    ) -> None:
        with self._db.transaction() as connection:
            self._writer.execute(
                report_id(organization_id, quarter),
                lambda history: decide(connection, history),
                context,
                connection=connection,
            )
