"""The routes' dependencies: each use case, read from the container interventions' composition
root built (:func:`interventions.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from interventions.action_plans.app import ActionPlans
from interventions.catalogue.app import CatalogueAdmin
from interventions.checks.app import DeclarationChecks
from interventions.container import Container
from interventions.declarations.app import Interventions
from interventions.imports.app import Imports
from interventions.imports.history import ImportHistory
from interventions.lock_exceptions.app import LockExceptions
from interventions.queries import InterventionQueries
from interventions.regionalization.app import RegionalizationFollowUps
from interventions.sessions.app import GroupSessions

_of = parts_of(Container)

InterventionsDep = Annotated[Interventions, _of(lambda c: c.interventions)]
ChecksDep = Annotated[DeclarationChecks, _of(lambda c: c.declaration_checks)]
SessionsDep = Annotated[GroupSessions, _of(lambda c: c.sessions)]
QueriesDep = Annotated[InterventionQueries, _of(lambda c: c.intervention_queries)]
ExceptionsDep = Annotated[LockExceptions, _of(lambda c: c.lock_exceptions)]
ImportsDep = Annotated[Imports, _of(lambda c: c.imports)]
HistoryDep = Annotated[ImportHistory, _of(lambda c: c.import_history)]
CatalogueDep = Annotated[CatalogueAdmin, _of(lambda c: c.catalogue)]
PlansDep = Annotated[ActionPlans, _of(lambda c: c.action_plans)]
FollowUpsDep = Annotated[RegionalizationFollowUps, _of(lambda c: c.regionalization)]
