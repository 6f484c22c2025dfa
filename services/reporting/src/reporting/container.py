"""What reporting's composition root (:func:`reporting.bootstrap.build`) builds: the kernel's
infrastructure and every use case and query object the API serves, each typed, each built once
with the narrow dependencies it uses."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
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
