"""What registration's composition root (:func:`registration.bootstrap.build`) builds: the
kernel's infrastructure and every use case and query object the API serves, each typed, each
built once with the narrow dependencies it uses (ADR 26)."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from registration.duplicates.app import DuplicatesQueue
from registration.incidents.app import IncidentRegister
from registration.person_changes.app import PersonChanges
from registration.persons.app import Registering
from registration.persons.queries import PersonQueries
from registration.privacy.app import Privacy
from registration.privacy.vault import PersonVault
from registration.rule_sets.app import RuleBooks


@dataclass(frozen=True, slots=True)
class Container:
    kernel: Kernel
    # Personal data, sealed under each person's key; the UCI's keyed hash.
    vault: PersonVault
    # Persons: register, read and search, change a file.
    registering: Registering
    queries: PersonQueries
    changes: PersonChanges
    # The programme's rule sets (admin publishes versions; every evaluation reads them).
    rules: RuleBooks
    # Loi 25: erasure, export, retention; the duplicates queue; the incident register.
    privacy: Privacy
    duplicates: DuplicatesQueue
    incidents: IncidentRegister
