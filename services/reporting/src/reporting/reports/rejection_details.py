"""What names each intervention of a rejection to the people who read it: the person's file
number, the service date and the code with its labels — from the version the organization
submitted, and from reporting's read models (persons and catalogues from the other services'
events). Recorded with the rejection, so that what notifications publishes needs no lookup and
never shows an id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, select

from gsi_conformity import CatalogueBook
from gsi_conformity.book import NoCatalogue
from gsi_kernel.events import DomainEvent
from gsi_readmodels.catalogues import catalogue_book
from gsi_readmodels.persons import PersonDirectory
from reporting.reports.events import RejectedItem, ReportSubmitted
from reporting.tables import PERSONS, catalogue_versions, intervention_versions

_CHUNK = 500


def described(
    connection: Connection, history: Sequence[DomainEvent], items: Sequence[RejectedItem], program: str
) -> tuple[RejectedItem, ...]:
    """The items, each with what names its intervention (as submitted); an intervention that was
    not submitted is left as it is (the report refuses it)."""
    submitted = next((e for e in reversed(history) if isinstance(e, ReportSubmitted)), None)
    if submitted is None or not items:
        return tuple(items)
    versions = submitted.snapshot.versions()
    rows = _submitted_versions(
        connection,
        {i.intervention_id: versions[i.intervention_id] for i in items if i.intervention_id in versions},
    )
    numbers = PersonDirectory(PERSONS).file_numbers(connection, {r.person_id for r in rows.values()})
    book = catalogue_book(connection, catalogue_versions)
    out = []
    for item in items:
        row = rows.get(item.intervention_id)
        if row is None:
            out.append(item)
            continue
        fr, en = _labels(book, program, row.code, row.service_date)
        out.append(
            item.model_copy(
                update={
                    "person_file_number": numbers.get(row.person_id),
                    "service_date": row.service_date,
                    "code": row.code,
                    "code_fr": fr,
                    "code_en": en,
                }
            )
        )
    return tuple(out)


def _submitted_versions(connection: Connection, wanted: dict[str, int]) -> dict[str, Row[Any]]:
    """The submitted version of each intervention (a rejection names up to 5,000)."""
    v, ids = intervention_versions.c, sorted(wanted)
    found: dict[str, Row[Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(
            select(v.intervention_id, v.version, v.person_id, v.code, v.service_date).where(
                v.intervention_id.in_(ids[start : start + _CHUNK])
            )
        )
        found.update({r.intervention_id: r for r in rows if r.version == wanted[r.intervention_id]})
    return found


def _labels(book: CatalogueBook, program: str, code: str, day: date) -> tuple[str | None, str | None]:
    try:
        rule = book.for_date(program, day).codes.get(code)
    except NoCatalogue:  # none in force that day: the code alone still names it
        return None, None
    return (rule.fr, rule.en) if rule else (None, None)
