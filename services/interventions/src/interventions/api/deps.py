"""The routes' dependencies: each use case, read from the container interventions' composition
root built (:func:`interventions.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
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
from interventions.container import Container

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
