"""What interventions' composition root (:func:`interventions.bootstrap.build`) builds: the
kernel's infrastructure and every use case and query object the API serves, each typed, each
built once with the narrow dependencies it uses."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from interventions.app.action_plans import ActionPlans
from interventions.app.catalogue import CatalogueAdmin
from interventions.app.declaration_checks import DeclarationChecks
from interventions.app.import_history import ImportHistory
from interventions.app.imports import Imports
from interventions.app.interventions import Interventions
from interventions.app.lock_exceptions import LockExceptions
from interventions.app.queries import InterventionQueries
from interventions.app.regionalization import RegionalizationFollowUps
from interventions.app.sessions import GroupSessions


@dataclass(frozen=True, slots=True)
class Container:
    kernel: Kernel
    # Declarations: declare, correct, cancel, check before saving, group sessions, read.
    interventions: Interventions
    declaration_checks: DeclarationChecks
    sessions: GroupSessions
    intervention_queries: InterventionQueries
    # Locked quarters: the exceptions the ministry grants.
    lock_exceptions: LockExceptions
    # Bulk imports and their history.
    imports: Imports
    import_history: ImportHistory
    # The catalogue's versions (admin).
    catalogue: CatalogueAdmin
    # Action plans and regionalization follow-ups.
    action_plans: ActionPlans
    regionalization: RegionalizationFollowUps
