"""The persons pages' pick-lists, each value with its name in the person's language: statuses,
sexes, French levels, consents, document kinds and volets (our catalogue's messages), countries
and languages (Babel's names of the ISO codes), and Québec's administrative regions with the
postal-code autofill table (``data/fsa_regions.json``: its ``about`` says where it comes from
and how far to trust it)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale

from portal.forms import Options
from portal.i18n import LOCALES, N_, Language, translations

Gettext = Callable[[str], str]
DATA = Path(__file__).resolve().parents[1] / "data" / "fsa_regions.json"

STATUSES = {
    "permanent_resident": N_("Permanent resident"),
    "csq_holder": N_("Québec selection certificate (CSQ) holder"),
    "government_assisted_refugee": N_("Government-assisted refugee"),
    "privately_sponsored_refugee": N_("Privately sponsored refugee"),
    "protected_person": N_("Protected person"),
    "asylum_claimant": N_("Asylum claimant"),
    "temporary_worker": N_("Temporary worker"),
    "international_student": N_("International student"),
    "citizen": N_("Canadian citizen"),
}
SEXES = {"F": N_("Female"), "M": N_("Male"), "X": N_("Another gender (X)")}
FRENCH_LEVELS = {
    "none": N_("None"),
    "beginner": N_("Beginner"),
    "intermediate": N_("Intermediate"),
    "advanced": N_("Advanced"),
    "native": N_("First language"),
}
CONSENTS = {
    "service_delivery": N_("Service delivery"),
    "ministry_reporting": N_("Reporting to the ministry"),
    "research": N_("Research"),
}
DOCUMENT_KINDS = {
    "status_document": N_("Proof of status"),
    "identity_document": N_("Identity document"),
    "proof_of_address": N_("Proof of address"),
    "other": N_("Other document"),
}
VOLETS = {
    "V1": N_("V1 — Personalized support (Accompagnement Québec)"),
    "V2": N_("V2 — Full participation"),
    "V3": N_("V3 — Government-assisted refugees selected abroad"),
    "V4": N_("V4 — Asylum claimants"),
    "V5": N_("V5 — Innovation projects"),
}
# Territories Babel names that are not ISO 3166-1 countries (groupings, reserved codes).
_NOT_COUNTRIES = frozenset({"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})


@cache
def gettext_for(language: Language) -> Gettext:
    """The language's catalogue for messages made in Python (errors, pick-lists)."""
    return translations(language).gettext


@dataclass(frozen=True)
class RegionTable:
    names: dict[str, str]  # "05" -> "Estrie"
    by_fsa: dict[str, tuple[str, ...]]  # "J1H" -> ("05",)

    def label(self, code: str | None) -> str:
        return f"{self.names[code]} ({code})" if code in self.names else (code or "")

    def of_postal_code(self, postal_code: str) -> tuple[str, tuple[str, ...]]:
        """The postal code's FSA and the regions it covers (none when unknown)."""
        fsa = "".join(postal_code.split()).upper()[:3]
        return fsa, self.by_fsa.get(fsa, ())


@cache
def regions() -> RegionTable:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    return RegionTable(
        names=dict(document["regions"]),
        by_fsa={fsa: tuple(codes) for fsa, codes in document["fsa"].items()},
    )


def _sort_key(text: str) -> str:
    """Alphabetical as a reader expects it: accents and case do not move a name."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def countries(language: Language) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(LOCALES[language]).territories
    found = {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code.isupper() and code not in _NOT_COUNTRIES
    }
    return tuple(sorted(found.items(), key=lambda item: _sort_key(item[1])))


@cache
def languages(language: Language) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(LOCALES[language]).languages
    found = {
        code: name for code, name in names.items() if len(code) == 2 and code.isalpha() and code.islower()
    }
    return tuple(sorted(found.items(), key=lambda item: _sort_key(item[1])))


def translated(labels: dict[str, str], _: Gettext) -> Options:
    return [(value, _(label)) for value, label in labels.items()]


def options(name: str, language: Language) -> Options:
    """The pick-list ``name`` in ``language`` (value, text), in the order a person reads it."""
    _ = gettext_for(language)
    if name == "countries":
        return list(countries(language))
    if name == "languages":
        return list(languages(language))
    if name == "regions":
        return [(code, f"{code} — {text}") for code, text in regions().names.items()]
    lists = {
        "statuses": STATUSES,
        "sexes": SEXES,
        "french_levels": FRENCH_LEVELS,
        "consents": CONSENTS,
        "document_kinds": DOCUMENT_KINDS,
        "volets": VOLETS,
    }
    return translated(lists[name], _)
