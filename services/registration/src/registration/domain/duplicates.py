"""Probable duplicates: the same person registered twice, perhaps by two organizations.

Exact match on the UCI (compared as keyed hashes). Probable match on the same birth date and
sex and names that compare equal once normalised — accents, case, hyphens, apostrophes and the
order of the names do not count — scored with rapidfuzz's token-sort ratio, so small spelling
differences ("Mohamed" / "Mohammed") still match. A probable match is only ever flagged for
review; nothing is merged automatically.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

PROBABLE_THRESHOLD = 90.0
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`.,]+")


def normalize(text: str) -> str:
    """Lower case, no accents, separators as single spaces: "Marie-Ève O'Neil" → "marie eve o neil"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare).strip()


def name_key(family_name: str, given_name: str) -> str:
    """The normalised names as sorted tokens: the order of names does not matter."""
    return " ".join(sorted(f"{normalize(family_name)} {normalize(given_name)}".split()))


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
