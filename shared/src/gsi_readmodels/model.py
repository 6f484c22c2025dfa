"""What a consuming service knows of a person registration described (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gsi_eligibility import PersonFacts


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A person as registration's events describe them: the registering organization, the day
    of registration (Montréal) and the facts eligibility is judged on."""

    person_id: str
    organization_id: str
    registered_on: date
    facts: PersonFacts
