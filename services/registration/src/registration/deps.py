"""The routes' dependencies: each use case, read from the container registration's composition
root built (:func:`registration.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from registration.container import Container
from registration.duplicates.app import DuplicatesQueue
from registration.incidents.app import IncidentRegister
from registration.person_changes.app import PersonChanges
from registration.persons.app import Registering
from registration.persons.queries import PersonQueries
from registration.privacy.app import Privacy
from registration.privacy.vault import PersonVault
from registration.rule_sets.app import RuleBooks

_of = parts_of(Container)

RegisteringDep = Annotated[Registering, _of(lambda c: c.registering)]
QueriesDep = Annotated[PersonQueries, _of(lambda c: c.queries)]
VaultDep = Annotated[PersonVault, _of(lambda c: c.vault)]
ChangesDep = Annotated[PersonChanges, _of(lambda c: c.changes)]
RulesDep = Annotated[RuleBooks, _of(lambda c: c.rules)]
PrivacyDep = Annotated[Privacy, _of(lambda c: c.privacy)]
DuplicatesDep = Annotated[DuplicatesQueue, _of(lambda c: c.duplicates)]
IncidentsDep = Annotated[IncidentRegister, _of(lambda c: c.incidents)]
