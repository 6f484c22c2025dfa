"""What the interventions, action plans and imports pages share: persons shown by name, birth
date and file number (never an id), the intervention catalogue grouped by volet, the names of
modes, checks and quarters, and a page of a list.

Persons' names live in registration only: a page asks for the persons it shows in one list
call (``GET /persons?person_id=…``, 200 at most per call, the calls made together), never one
call per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from gsi_kernel.fiscal import FiscalQuarter
from portal.backend import Backends
from portal.i18n import N_, Language
from portal.routes.persons import Search, find
from portal.routes.persons_choices import STATUSES as PERSON_STATUSES
from portal.routes.persons_choices import VOLETS, gettext_for, regions

LOOKUP_CHUNK = 200  # registration's most persons per list call
PAGE_SIZE = 25

MODES = {"in_person": N_("In person"), "remote": N_("Remote"), "group": N_("Group")}
CHECKS = {
    "C1": N_("C1 — Eligibility, code and volet"),
    "C2": N_("C2 — Service date"),
    "C3": N_("C3 — Code and required details"),
    "C4": N_("C4 — Duplicates"),
    "C5": N_("C5 — Action plan"),
    "C6": N_("C6 — Conditions of the code"),
    "C7": N_("C7 — Locked quarter"),
    "C8": N_("C8 — Unusual volumes"),
}
SEVERITIES = {"error": N_("Error"), "warning": N_("Warning")}
STATUSES = {"active": N_("Active"), "cancelled": N_("Cancelled")}


@dataclass(frozen=True)
class PersonLabel:
    """A person as a page shows them; ``known`` False: registration no longer shows the file
    (erased, or of another organization)."""

    person_id: str
    name: str
    birth_date: str | None
    file_reference: str | None
    known: bool = True

    @classmethod
    def of(cls, person: dict[str, Any]) -> PersonLabel:
        names = [person.get("given_name"), person.get("family_name")]
        return cls(
            person_id=str(person["person_id"]),
            name=" ".join(n for n in names if n) or "—",
            birth_date=person.get("birth_date"),
            file_reference=person.get("file_reference"),
        )

    @classmethod
    def unknown(cls, person_id: str) -> PersonLabel:
        return cls(person_id, "", None, None, known=False)


class PersonLabels(dict[str, PersonLabel]):
    """The page's persons by id; an id registration did not answer shows as an unknown file."""

    def __missing__(self, person_id: str) -> PersonLabel:
        return PersonLabel.unknown(person_id)


async def person_labels(backends: Backends, token: str, ids: Iterable[str | None]) -> PersonLabels:
    wanted = sorted({i for i in ids if i})
    chunks = [wanted[n : n + LOOKUP_CHUNK] for n in range(0, len(wanted), LOOKUP_CHUNK)]
    pages = await asyncio.gather(
        *(
            backends.get("registration", "/persons", token=token, person_id=chunk, limit=LOOKUP_CHUNK)
            for chunk in chunks
        )
    )
    return PersonLabels({str(p["person_id"]): PersonLabel.of(p) for page in pages for p in page["items"]})


async def find_persons(
    backends: Backends, token: str, query: str, language: Language
) -> tuple[list[PersonLabel], str | None]:
    """The persons a name, a UCI or a file number finds (the persons search's rules), and
    registration's refusal of the query, if any."""
    if not query.strip():
        return [], None
    results = await find(backends, token, Search.of(query, "", "", "", "1"), language)
    return [PersonLabel.of(p) for p in results.persons], results.refused


async def person_choice(
    backends: Backends, token: str, query: str, chosen: Sequence[str], language: Language
) -> dict[str, Any]:
    """A form's choice of persons: those chosen (by name), those the query finds, whether it
    searched, and registration's refusal of the query."""
    labels, (results, refused) = await asyncio.gather(
        person_labels(backends, token, chosen), find_persons(backends, token, query, language)
    )
    return {
        "chosen": [labels[i] for i in chosen],
        "results": results,
        "searched": bool(query.strip()),
        "search_refused": refused,
    }


def names(language: Language) -> dict[str, Any]:
    """What the pages' components name in words: volets, persons' statuses, regions."""
    _ = gettext_for(language)
    return {
        "volets": VOLETS,
        "status_names": {code: _(label) for code, label in PERSON_STATUSES.items()},
        "region_names": regions(),
    }


# ---- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    code: str
    fr: str
    en: str
    volets: tuple[str, ...]
    rule: dict[str, Any]

    def label(self, language: Language) -> str:
        return self.en if language == "en" else self.fr

    @property
    def requires_group(self) -> bool:
        return bool(self.rule.get("requires_group"))

    @property
    def requires_referral_target(self) -> bool:
        return bool(self.rule.get("requires_referral_target"))


@dataclass(frozen=True)
class Catalogue:
    version: str
    codes: dict[str, Code]
    max_duration_minutes: int

    @classmethod
    def of(cls, document: dict[str, Any]) -> Catalogue:
        codes = {
            code: Code(code, rule["fr"], rule["en"], tuple(rule["volets"]), rule)
            for code, rule in document["codes"].items()
        }
        outliers = document.get("outliers") or {}
        return cls(str(document["version"]), codes, int(outliers.get("max_duration_minutes", 480)))

    def label(self, code: str | None, language: Language) -> str:
        found = self.codes.get(code or "")
        return f"{code} — {found.label(language)}" if found else (code or "")

    def offers(self, *, group: bool | None = None) -> list[tuple[str, list[Code]]]:
        """The codes grouped by volet, in the catalogue's order (a code offered in two volets
        is in both groups); ``group``: only the codes that are (or are not) group sessions."""
        grouped: dict[str, list[Code]] = {volet: [] for volet in VOLETS}
        for code in self.codes.values():
            if group is None or code.requires_group == group:
                for volet in code.volets:
                    grouped.setdefault(volet, []).append(code)
        return [(volet, codes) for volet, codes in grouped.items() if codes]


async def catalogue(backends: Backends, token: str) -> Catalogue:
    return Catalogue.of(await backends.get("interventions", "/catalogue", token=token))


def offer(code: str | None, volet: str | None) -> str:
    """One choice of the code list: a code in a volet (``V1:SUI``)."""
    return f"{volet}:{code}" if code and volet else ""


def split_offer(value: str) -> tuple[str | None, str | None]:
    volet, _, code = value.partition(":")
    return (code or None, volet or None) if code else (None, None)


# ---- quarters and pages --------------------------------------------------------------------


def recent_quarters(today: date, count: int = 8) -> list[FiscalQuarter]:
    """This quarter and the ones before it, newest first."""
    quarters = [FiscalQuarter.of(today)]
    while len(quarters) < count:
        last = quarters[-1]
        quarters.append(
            FiscalQuarter(last.start_year - 1, 4)
            if last.number == 1
            else FiscalQuarter(last.start_year, last.number - 1)
        )
    return quarters


@dataclass(frozen=True)
class Pager:
    """Page ``page`` (from 1) of ``total`` rows; ``link(n)``: the same list's page n."""

    page: int
    total: int
    query: dict[str, str]
    path: str
    size: int = PAGE_SIZE

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return min(self.total, (self.page - 1) * self.size + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.page * self.size)

    def link(self, page: int, **changes: str) -> str:
        query = {**self.query, **changes, "page": str(page) if page > 1 else ""}
        return f"{self.path}?{urlencode({k: v for k, v in query.items() if v})}"


def rows_of(page: int, size: int = PAGE_SIZE) -> dict[str, int]:
    """A list page's rows, as the services' ``offset`` and ``limit``."""
    return {"offset": (page - 1) * size, "limit": size}


def page_number(value: str, limit: int = 40_000) -> int:
    return min(max(int(value), 1), limit) if value.isdigit() else 1
