"""The routes' dependencies: each use case, read from the container reporting's composition
root built (:func:`reporting.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from reporting.app.calendar import Calendars
from reporting.app.exports import AcceptedReportsExport
from reporting.app.handlers import Reports
from reporting.app.integrity import Audit
from reporting.app.program_indicators import ProgramIndicators
from reporting.app.queries import ReportQueries
from reporting.app.queue import ReportLists
from reporting.app.registry import Organizations
from reporting.app.registry_agreements import Agreements
from reporting.app.targets import Performance
from reporting.container import Container

_of = parts_of(Container)

ReportsDep = Annotated[Reports, _of(lambda c: c.reports)]
QueriesDep = Annotated[ReportQueries, _of(lambda c: c.report_queries)]
AuditDep = Annotated[Audit, _of(lambda c: c.report_audit)]
ListsDep = Annotated[ReportLists, _of(lambda c: c.report_lists)]
CalendarsDep = Annotated[Calendars, _of(lambda c: c.calendars)]
OrganizationsDep = Annotated[Organizations, _of(lambda c: c.organizations)]
AgreementsDep = Annotated[Agreements, _of(lambda c: c.agreements)]
PerformanceDep = Annotated[Performance, _of(lambda c: c.performance)]
IndicatorsDep = Annotated[ProgramIndicators, _of(lambda c: c.program_indicators)]
ExportDep = Annotated[AcceptedReportsExport, _of(lambda c: c.exports)]
