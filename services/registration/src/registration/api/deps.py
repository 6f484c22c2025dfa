"""The routes' dependencies: each use case, read from the container registration's composition
root built (:func:`registration.bootstrap.build`)."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from registration.app.changes import PersonChanges
from registration.app.duplicates import DuplicatesQueue
from registration.app.incidents import IncidentRegister
from registration.app.privacy import Privacy
from registration.app.queries import PersonQueries
from registration.app.registering import Registering
from registration.app.rules import RuleBooks
from registration.app.vault import PersonVault
from registration.container import Container

_of = parts_of(Container)

RegisteringDep = Annotated[Registering, _of(lambda c: c.registering)]
QueriesDep = Annotated[PersonQueries, _of(lambda c: c.queries)]
VaultDep = Annotated[PersonVault, _of(lambda c: c.vault)]
ChangesDep = Annotated[PersonChanges, _of(lambda c: c.changes)]
RulesDep = Annotated[RuleBooks, _of(lambda c: c.rules)]
PrivacyDep = Annotated[Privacy, _of(lambda c: c.privacy)]
DuplicatesDep = Annotated[DuplicatesQueue, _of(lambda c: c.duplicates)]
IncidentsDep = Annotated[IncidentRegister, _of(lambda c: c.incidents)]
