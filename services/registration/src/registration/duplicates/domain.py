"""Probable duplicates: the same person registered twice, perhaps by two organizations.

Exact match on the UCI (compared as keyed hashes). Probable match on the same birth date and
sex and names that compare equal once normalised — accents, case, punctuation, spacing and the
order of the names do not count: the normalization name search uses too (:mod:`.names`) —
scored with rapidfuzz's token-sort ratio, so small spelling differences ("Mohamed" /
"Mohammed") still match. A probable match is only ever flagged for review; nothing is merged
automatically. The same UCI twice in one organization is not a duplicate to review: it is
refused at registration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from gsi_contracts.registration import file_reference
from gsi_kernel.errors import Conflict
from registration.persons.names import name_key, normalize

PROBABLE_THRESHOLD = 90.0


@dataclass(frozen=True, slots=True)
class Identity:
    person_id: str
    name_key: str
    birth_date: date
    sex: str
    uci_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    person_id: str
    match: str  # "uci" | "probable"
    score: float


def matches(new: Identity, candidates: Iterable[Identity]) -> list[Match]:
    """Every candidate that is the same person (UCI) or probably the same, best first."""
    found: list[Match] = []
    for other in candidates:
        if other.person_id == new.person_id:
            continue
        if new.uci_hash and other.uci_hash == new.uci_hash:
            found.append(Match(other.person_id, "uci", 100.0))
        elif other.birth_date == new.birth_date and other.sex == new.sex:
            score = fuzz.token_sort_ratio(new.name_key, other.name_key)
            if score >= PROBABLE_THRESHOLD:
                found.append(Match(other.person_id, "probable", round(score, 1)))
    return sorted(found, key=lambda m: (-m.score, m.person_id))


@dataclass(frozen=True, slots=True)
class ExistingFile:
    """The organization's file that already holds a UCI."""

    person_id: str
    file_number: int | None


def duplicate_uci(existing: ExistingFile) -> Conflict:
    """The same UCI twice in one organization: the organization already has this person's file
    (across organizations it is a possible duplicate, left for review)."""
    reference = file_reference(existing.file_number) if existing.file_number else None
    fr, en = (f" (dossier {reference})", f" (file {reference})") if reference else ("", "")
    return Conflict(
        "person.duplicate_uci",
        f"Votre organisme a déjà inscrit une personne avec cet IUC{fr} : ouvrez son dossier plutôt "
        "que d'en créer un second.",
        f"Your organization already registered a person with this UCI{en}: open that file instead "
        "of creating a second one.",
        details={
            "person_id": existing.person_id,
            "file_number": existing.file_number,
            "file_reference": reference,
        },
    )


__all__ = [
    "PROBABLE_THRESHOLD",
    "ExistingFile",
    "Identity",
    "Match",
    "duplicate_uci",
    "matches",
    "name_key",
    "normalize",
]
