"""The routes' dependencies: each use case, read from the container reporting's composition
root built (:func:`reporting.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from reporting.agreements.app import Agreements
from reporting.calendar.app import Calendars
from reporting.container import Container
from reporting.control.queue import ReportLists
from reporting.exports.app import AcceptedReportsExport
from reporting.organizations.app import Organizations
from reporting.performance.app import Performance
from reporting.performance.indicators import ProgramIndicators
from reporting.reports.app import Reports
from reporting.reports.integrity import Audit
from reporting.reports.queries import ReportQueries

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
