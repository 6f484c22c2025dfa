"""Running the shared conformity checks (``gsi_conformity``, the code reporting's verify runs
too) on interventions about to be written, against what this service knows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, tuple_

from gsi_conformity import CheckContext, Finding, Item, NoCatalogue, PersonRecord, check
from gsi_eligibility import NoRuleSet
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.prepared import PreparedSelect, Read
from interventions.action_plans.projection import action_plans
from interventions.declarations.domain import Checked, Details, Flag, PersonOnFile
from interventions.knowledge import Knowledge
from interventions.tables import interventions

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Candidate:
    """An intervention about to be written (a new one, or a new version of one)."""

    intervention_id: str
    organization_id: str
    person: PersonOnFile
    details: Details
    session_id: str | None = None


class Checker:
    def __init__(self, knowledge: Knowledge, *, program: str) -> None:
        self._knowledge = knowledge
        self._program = program

    def check(
        self,
        connection: Connection,
        candidates: Sequence[Candidate],
        *,
        today: date,
        locked: Mapping[str, frozenset[str]] | None = None,
    ) -> dict[str, Checked]:
        """Each candidate's findings, by intervention id. Existing active interventions of the
        same persons (at every organization) and of the same staff members on the same days (at
        the same organization: a staff member's name is the organization's) count for the
        set-based checks (duplicates, once-only, volumes). ``locked``: organization → quarters
        closed to it, when the caller has them (else read, lock exceptions granted today aside)."""
        if not candidates:
            return {}
        items = [_item(c) for c in candidates]
        context = self._context(connection, candidates, today, locked)
        persons = self._persons(connection, candidates)
        others = _others(connection, items)
        findings = check(items, persons, context, others=others)
        by_id: dict[str, list[Flag]] = {}
        for finding in findings:
            by_id.setdefault(finding.intervention_id, []).append(_flag(finding))
        catalogue_version = context.catalogues.for_date(self._program, today).version
        return {
            item.intervention_id: Checked(
                flags=tuple(by_id.get(item.intervention_id, ())),
                catalogue_version=_catalogue_version(
                    context, self._program, item.service_date, catalogue_version
                ),
                rule_set_version=_rule_set_version(context, self._program, item.service_date),
            )
            for item in items
        }

    def _context(
        self,
        connection: Connection,
        candidates: Sequence[Candidate],
        today: date,
        known_locks: Mapping[str, frozenset[str]] | None,
    ) -> CheckContext:
        knowledge = self._knowledge
        volets = {
            org: knowledge.agreement_volets(connection, org, today)
            for org in {c.organization_id for c in candidates}
        }
        known = known_locks or {}
        locked = {
            org: known[org]
            if org in known
            else knowledge.closed_quarters(connection, org, today, _quarters(candidates, org))
            for org in volets
        }
        return CheckContext(
            catalogues=knowledge.catalogue_book(connection, today),
            rules=knowledge.rule_book(connection, today),
            today=today,
            agreement_volets=volets,
            locked=lambda org, quarter: str(quarter) in locked.get(org, frozenset()),
            program=self._program,
        )

    def _persons(self, connection: Connection, candidates: Sequence[Candidate]) -> Mapping[str, PersonRecord]:
        plans = _plan_periods(connection, {(c.organization_id, c.person.person_id) for c in candidates})
        return {
            c.person.person_id: PersonRecord(
                person_id=c.person.person_id,
                facts=c.person.facts,
                registered_on=c.person.registered_on,
                action_plans=tuple(plans.get((c.organization_id, c.person.person_id), ())),
            )
            for c in candidates
        }


def declaration_reads(organization_id: str, person_id: str, details: Details) -> list[Read]:
    """The reads :meth:`Checker.check` makes for one intervention of the person (on file under
    that id: a merged person's are read when asked), to prefetch them (ADR 10)."""
    return [
        (_PLANS_ONE, {"organization_id": organization_id, "person_id": person_id}),
        (_OTHERS_ONE, _others_params(organization_id, person_id, details.staff_member, details.service_date)),
    ]


def _quarters(candidates: Sequence[Candidate], organization_id: str) -> set[FiscalQuarter]:
    return {
        FiscalQuarter.of(c.details.service_date) for c in candidates if c.organization_id == organization_id
    }


def _plan_periods(
    connection: Connection, owners: set[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[date, date | None]]]:
    """Every action plan period of each (organization, person), oldest first: in one query per
    chunk, as an import checks thousands of persons at once."""
    periods: dict[tuple[str, str], list[tuple[date, date | None]]] = {}
    ordered = sorted(owners)
    if len(ordered) == 1:  # a declaration: SQL that stays the same (no IN list to expand)
        ((organization, person),) = ordered
        chunks: list[Iterable[Any]] = [
            _PLANS_ONE.all(connection, {"organization_id": organization, "person_id": person})
        ]
    else:
        chunks = [
            connection.execute(_PLANS, {"owners": ordered[start : start + _CHUNK]})
            for start in range(0, len(ordered), _CHUNK)
        ]
    for rows in chunks:
        for r in rows:
            periods.setdefault((r.organization_id, r.person_id), []).append((r.opened_on, r.closed_on))
    return periods


# Built once (ADR 10): a declaration runs both, in their one-person form (an expanding IN list
# rewrites its SQL at every execution), sent straight to the driver (PreparedSelect).
_PLAN_PERIODS = select(
    action_plans.c.organization_id,
    action_plans.c.person_id,
    action_plans.c.opened_on,
    action_plans.c.closed_on,
).order_by(action_plans.c.opened_on, action_plans.c.plan_id)
_PLANS = _PLAN_PERIODS.where(
    tuple_(action_plans.c.organization_id, action_plans.c.person_id).in_(bindparam("owners", expanding=True))
)
_PLANS_ONE = PreparedSelect(
    _PLAN_PERIODS.where(
        action_plans.c.organization_id == bindparam("organization_id"),
        action_plans.c.person_id == bindparam("person_id"),
    )
)
# What the checks need of the others: an Item's fields (no timestamps: see PreparedSelect).
# The person's at every organization (C4 elsewhere, C6 once-only); the staff member's of the day
# at the same organization only (C8: another organization's volume is not read, let alone counted).
_ITEM_FIELDS = tuple(f.name for f in fields(Item))
_ITEM_COLUMNS = [interventions.c[name] for name in _ITEM_FIELDS]
_OTHERS = select(*_ITEM_COLUMNS).where(
    interventions.c.status == "active",
    or_(
        interventions.c.person_id.in_(bindparam("persons", expanding=True)),
        tuple_(
            interventions.c.organization_id, interventions.c.staff_member, interventions.c.service_date
        ).in_(bindparam("staff_days", expanding=True)),
    ),
)
_OTHERS_ONE = PreparedSelect(
    select(*_ITEM_COLUMNS).where(
        interventions.c.status == "active",
        or_(
            interventions.c.person_id == bindparam("person_id"),
            # no staff member: NULL equals nothing, so only the person's interventions match
            (interventions.c.staff_member == bindparam("staff_member"))
            & (interventions.c.service_date == bindparam("service_date"))
            & (interventions.c.organization_id == bindparam("organization_id")),
        ),
    )
)


def _item(candidate: Candidate) -> Item:
    d = candidate.details
    return Item(
        intervention_id=candidate.intervention_id,
        organization_id=candidate.organization_id,
        person_id=candidate.person.person_id,
        code=d.code,
        service_date=d.service_date,
        volet=d.volet.value,
        mode=d.mode.value,
        duration_minutes=d.duration_minutes,
        staff_member=d.staff_member,
        target_organization=d.target_organization,
        referral_reason=d.referral_reason,
        session_id=candidate.session_id,
    )


def _others(connection: Connection, items: Sequence[Item]) -> list[Item]:
    """Active interventions, not among ``items``, of the same persons or of the same staff
    members on the same days at the same organizations."""
    ids = {i.intervention_id for i in items}
    persons = sorted({i.person_id for i in items})
    staff_days = sorted(
        {(i.organization_id, i.staff_member, i.service_date) for i in items if i.staff_member}
    )
    found: dict[str, Item] = {}
    for rows in _other_rows(connection, items, persons, staff_days):
        for r in rows:
            if r.intervention_id not in ids:
                found[r.intervention_id] = _row_item(r)
    return list(found.values())


def _other_rows(
    connection: Connection,
    items: Sequence[Item],
    persons: list[str],
    staff_days: list[tuple[str, str, date]],
) -> Iterator[Iterable[Row[Any]]]:
    if len(items) == 1:  # a declaration
        (item,) = items
        params = _others_params(item.organization_id, item.person_id, item.staff_member, item.service_date)
        yield _OTHERS_ONE.all(connection, params)
        return
    for start in range(0, max(len(persons), len(staff_days)), _CHUNK):
        chunk = {"persons": persons[start : start + _CHUNK], "staff_days": staff_days[start : start + _CHUNK]}
        yield connection.execute(_OTHERS, chunk)


def _others_params(
    organization_id: str, person_id: str, staff_member: str | None, service_date: date
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "person_id": person_id,
        "staff_member": staff_member or None,
        "service_date": service_date,
    }


def _row_item(r: Row[Any]) -> Item:
    return Item(*(getattr(r, name) for name in _ITEM_FIELDS))


def _flag(finding: Finding) -> Flag:
    return Flag(
        check=finding.check,
        severity=finding.severity,
        code=finding.code,
        fr=finding.fr,
        en=finding.en,
        details=finding.details,
    )


def _rule_set_version(context: CheckContext, program: str, day: date) -> str | None:
    try:
        return context.rules.for_date(program, day).version
    except NoRuleSet:
        return None


def _catalogue_version(context: CheckContext, program: str, day: date, fallback: str) -> str:
    try:
        return context.catalogues.for_date(program, day).version
    except NoCatalogue:  # a date before the first version: name the one in force today
        return fallback
