"""What reporting's composition root (:func:`reporting.bootstrap.build`) builds: the kernel's
infrastructure and every use case and query object the API serves, each typed, each built once
with the narrow dependencies it uses."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from reporting.agreements.app import Agreements
from reporting.calendar.app import Calendars
from reporting.control.queue import ReportLists
from reporting.exports.app import AcceptedReportsExport
from reporting.organizations.app import Organizations
from reporting.performance.app import Performance
from reporting.performance.indicators import ProgramIndicators
from reporting.reports.app import Reports
from reporting.reports.integrity import Audit
from reporting.reports.queries import ReportQueries


@dataclass(frozen=True, slots=True)
class Container:
    kernel: Kernel
    # The report workflow and its reading.
    reports: Reports
    report_queries: ReportQueries
    report_audit: Audit
    report_lists: ReportLists
    calendars: Calendars
    # The registry: organizations, reviewer assignments, agreements.
    organizations: Organizations
    agreements: Agreements
    # Performance against targets, program indicators and the warehouse export.
    performance: Performance
    program_indicators: ProgramIndicators
    exports: AcceptedReportsExport
