"""What a consuming service knows of a person registration described (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gsi_eligibility import PersonFacts


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A person as registration's events describe them: the registering organization, the day
    of registration (Montréal), the facts eligibility is judged on, and the file number people
    name the person by (None only briefly, for a person registered before files were numbered)."""

    person_id: str
    organization_id: str
    registered_on: date
    facts: PersonFacts
    file_number: int | None = None
