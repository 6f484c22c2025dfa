"""*Verify*: the shared conformity checks (``gsi_conformity``, the very code the interventions
service runs at each declaration) over an organization's active interventions of a quarter, from
reporting's own projections — and the snapshot a submission would freeze.

The persons' interventions elsewhere (other organizations, other quarters) count for the
set-based checks (duplicates at another organization, once-only codes, once a year) without
being reported nor named; volumes (C8) are the organization's own. A merged person's
interventions count under the surviving person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, not_, select

from gsi_conformity import CheckContext, Finding, Item, check, summarize
from gsi_kernel.dated_book import DatedBook
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.heap import gc_paused
from reporting.knowledge.app import Knowledge, served_in
from reporting.reports.domain import Verification
from reporting.reports.events import CheckSummary, FindingRecord
from reporting.reports.snapshot import Snapshot, freeze, sha256
from reporting.tables import quarter_interventions

q = quarter_interventions.c
# In the order of gsi_conformity.Item's fields, then the version.
_ITEM_COLUMNS = (
    q.intervention_id,
    q.organization_id,
    q.person_id,
    q.code,
    q.service_date,
    q.volet,
    q.mode,
    q.duration_minutes,
    q.staff_member,
    q.target_organization,
    q.referral_reason,
    q.session_id,
    q.version,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    verification: Verification
    findings: list[Finding]


class Verifier:
    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def run(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter, today: date
    ) -> Verdict:
        """Check the quarter's active interventions of the organization, as of ``today``."""
        # The run builds many short-lived objects without cycles: the collector stays off meanwhile.
        with gc_paused():
            return self._run(connection, organization_id, quarter, today)

    def _run(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter, today: date
    ) -> Verdict:
        rows = _rows(connection, q.organization_id == organization_id, q.quarter == str(quarter))
        persons = self._knowledge.quarter_persons(connection, organization_id, quarter)
        alias = persons.alias
        items = _items(rows, alias)
        others = _items(_others(connection, organization_id, quarter, alias), alias)
        context = self._context(connection, organization_id, quarter, today)
        findings = check(items, persons.records, context, others=others)
        summary = summarize(findings)
        snapshot = _snapshot(
            organization_id,
            quarter,
            [(row[0], row[4], row[-1]) for row in rows],
            catalogues=context.catalogues,
            rules=context.rules,
            program=context.program,
        )
        verification = Verification(
            organization_id=organization_id,
            quarter=quarter,
            interventions_count=len(items),
            persons_count=len({item.person_id for item in items}),
            summary=CheckSummary(**summary.to_dict()),
            findings=tuple(FindingRecord(**f.to_dict()) for f in findings),
            snapshot=snapshot,
            sha256=sha256(snapshot),
        )
        return Verdict(verification, findings)

    def current_snapshot(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter, today: date
    ) -> Snapshot:
        """What a submission made now would freeze (no checks run: only what the snapshot
        names is read — each intervention's id, day and version, and the books in force)."""
        query = select(q.intervention_id, q.service_date, q.version).where(
            q.status == "active", q.organization_id == organization_id, q.quarter == str(quarter)
        )
        rows = connection.execute(query).all()
        knowledge = self._knowledge
        return _snapshot(
            organization_id,
            quarter,
            [(row[0], row[1], row[2]) for row in rows],
            catalogues=knowledge.catalogue_book(connection, today),
            rules=knowledge.rule_book(connection, today),
            program=knowledge.program,
        )

    def _context(
        self, connection: Connection, organization_id: str, quarter: FiscalQuarter, today: date
    ) -> CheckContext:
        knowledge = self._knowledge
        volets = knowledge.agreement_volets(connection, organization_id, quarter)
        # C7 here agrees with interventions without knowing its lock exceptions (published, not
        # followed): only this quarter's interventions are checked, and a report is verified or
        # submitted only in draft or rejected — never while its quarter is locked, so C7 cannot
        # fire at verify; this read is what would say so if a locked report ever were checked.
        locked = knowledge.locked_quarters(connection, organization_id)
        return CheckContext(
            catalogues=knowledge.catalogue_book(connection, today),
            rules=knowledge.rule_book(connection, today),
            today=today,
            agreement_volets={} if volets is None else {organization_id: volets},
            locked=lambda org, quarter: org == organization_id and str(quarter) in locked,
            program=knowledge.program,
            quarter=quarter,
        )


def _snapshot(
    organization_id: str,
    quarter: FiscalQuarter,
    rows: Sequence[tuple[str, date, int]],
    *,
    catalogues: DatedBook[Any],
    rules: DatedBook[Any],
    program: str,
) -> Snapshot:
    """``rows``: each intervention's id, day and version."""
    days = {day for _id, day, _version in rows}
    return freeze(
        organization_id,
        str(quarter),
        ((intervention_id, version) for intervention_id, _day, version in rows),
        catalogue_versions=_versions_in_force(catalogues, program, days),
        rule_set_versions=_versions_in_force(rules, program, days),
    )


def _rows(connection: Connection, *conditions: Any) -> Sequence[Any]:
    query = select(*_ITEM_COLUMNS).where(q.status == "active", *conditions).order_by(q.intervention_id)
    return connection.execute(query).all()


def _others(
    connection: Connection, organization_id: str, quarter: FiscalQuarter, alias: dict[str, str]
) -> Sequence[Any]:
    """The active interventions of the same persons outside this report (and the surviving
    persons' of merged ones)."""
    outside = not_(and_(q.organization_id == organization_id, q.quarter == str(quarter)))
    rows = {r[0]: r for r in _rows(connection, q.person_id.in_(served_in(organization_id, quarter)), outside)}
    surviving = sorted(set(alias.values()))
    if surviving:
        rows.update((r[0], r) for r in _rows(connection, q.person_id.in_(surviving), outside))
    return list(rows.values())


def _items(rows: Sequence[Any], alias: dict[str, str]) -> list[Item]:
    """The rows as the checks' items (their first twelve columns), merged persons' under the
    surviving person's id."""
    items = [Item(*row[:12]) for row in rows]
    if alias:
        items = [replace(i, person_id=alias[i.person_id]) if i.person_id in alias else i for i in items]
    return items


def _versions_in_force(book: DatedBook[Any], program: str, days: Iterable[date]) -> set[str]:
    """The versions of ``book`` in force on any of ``days`` (a day before the first names none)."""
    return {found.version for found in (book.in_force(program, day) for day in days) if found is not None}
