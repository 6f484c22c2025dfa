"""What interventions' composition root (:func:`interventions.bootstrap.build`) builds: the
kernel's infrastructure and every use case and query object the API serves, each typed, each
built once with the narrow dependencies it uses."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from interventions.action_plans.app import ActionPlans
from interventions.catalogue.app import CatalogueAdmin
from interventions.checks.app import DeclarationChecks
from interventions.declarations.app import Interventions
from interventions.imports.app import Imports
from interventions.imports.history import ImportHistory
from interventions.lock_exceptions.app import LockExceptions
from interventions.queries import InterventionQueries
from interventions.regionalization.app import RegionalizationFollowUps
from interventions.sessions.app import GroupSessions


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
