"""Funding agreements (*conventions*) between the ministry and an organization under a program:
period, volets, funding per fiscal year (integer cents: no floats near money) and targets
(*cibles*) per fiscal year and quarter — unique persons served, interventions per code, action
plans opened.

One stream per organization and program, ``agreements-{organization}-{program}``, holds all of
its agreements: "two agreements of one organization and program never overlap" is then decided
on one history, and a concurrent second recording loses on the stream's expected version
instead of slipping past a read model. Amendments (new terms with a reason) bump the agreement's
version and carry its full new terms."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from pydantic import BaseModel, ConfigDict

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter

VOLETS = ("V1", "V2", "V3", "V4", "V5")
PERIODS = ("Q1", "Q2", "Q3", "Q4", "year")  # a quarter's targets, or the whole fiscal year's
MAX_TARGET = 10_000_000
_PROGRAM = re.compile(r"[A-Z][A-Z0-9_]{1,19}")
_CODE = re.compile(r"[A-Z]{3}")
_FISCAL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


class Funding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year: str  # 2026-2027
    amount_cents: int


class Target(BaseModel):
    """Targets of one period (a quarter, or the whole year) of one fiscal year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year: str
    period: str  # Q1..Q4 | year
    unique_persons: int = 0
    action_plans: int = 0
    interventions: dict[str, int] = {}  # per intervention code


class AgreementRecorded(DomainEvent):
    event_type = "AgreementRecorded"

    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    volets: tuple[str, ...]
    funding: tuple[Funding, ...] = ()
    targets: tuple[Target, ...] = ()


class AgreementAmended(DomainEvent):
    """The agreement's full state at version ``version`` (the period does not change, but an
    event that carries it is enough to publish the agreement), with the amendment's reason."""

    event_type = "AgreementAmended"

    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    version: int
    reason: str
    volets: tuple[str, ...]
    funding: tuple[Funding, ...]
    targets: tuple[Target, ...]


EVENTS = (AgreementRecorded, AgreementAmended)


@dataclass(frozen=True, slots=True)
class Terms:
    """What an agreement sets (the input of a recording, and the amendable part of the state)."""

    volets: tuple[str, ...]
    funding: tuple[Funding, ...] = ()
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True, slots=True)
class Agreement:
    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    terms: Terms
    version: int = 1


def stream_id(organization_id: str, program: str) -> str:
    return f"agreements-{organization_id}-{program}"


def fold(history: Sequence[DomainEvent]) -> dict[str, Agreement]:
    book: dict[str, Agreement] = {}
    for event in history:
        if isinstance(event, AgreementRecorded):
            terms = Terms(event.volets, event.funding, event.targets)
            book[event.agreement_id] = Agreement(
                event.agreement_id,
                event.organization_id,
                event.program,
                event.starts_on,
                event.ends_on,
                terms,
            )
        elif isinstance(event, AgreementAmended) and event.agreement_id in book:
            terms = Terms(event.volets, event.funding, event.targets)
            book[event.agreement_id] = replace(book[event.agreement_id], terms=terms, version=event.version)
    return book


def record(
    history: Sequence[DomainEvent],
    *,
    agreement_id: str,
    organization_id: str,
    program: str,
    starts_on: date,
    ends_on: date,
    terms: Terms,
) -> list[DomainEvent]:
    if not _PROGRAM.fullmatch(program):
        raise _invalid(
            "agreement.invalid_program",
            f"Programme invalide « {program} » (p. ex. PASI).",
            f"Invalid program “{program}” (e.g. PASI).",
            field="program",
        )
    if ends_on < starts_on:
        raise _invalid(
            "agreement.invalid_period",
            "La fin de la convention précède son début.",
            "The agreement ends before it starts.",
            field="ends_on",
        )
    terms = checked(terms, starts_on, ends_on)  # bad input is told before any conflict
    for other in fold(history).values():
        if other.starts_on <= ends_on and starts_on <= other.ends_on:
            raise Conflict(
                "agreement.overlap",
                f"Une convention {program} de l'organisme couvre déjà {other.starts_on} – {other.ends_on}.",
                f"A {program} agreement of the organization covers {other.starts_on} – {other.ends_on}.",
                details={
                    "agreement_id": other.agreement_id,
                    "starts_on": str(other.starts_on),
                    "ends_on": str(other.ends_on),
                },
            )
    return [
        AgreementRecorded(
            agreement_id=agreement_id,
            organization_id=organization_id,
            program=program,
            starts_on=starts_on,
            ends_on=ends_on,
            volets=terms.volets,
            funding=terms.funding,
            targets=terms.targets,
        )
    ]


def amend(
    history: Sequence[DomainEvent],
    *,
    agreement_id: str,
    reason: str,
    volets: Sequence[str] | None = None,
    funding: Sequence[Funding] | None = None,
    targets: Sequence[Target] | None = None,
) -> list[DomainEvent]:
    """New terms (what is given replaces, the rest stays) as a new version; no event when the
    terms are unchanged (a retried request)."""
    current = fold(history).get(agreement_id)
    if current is None:
        raise agreement_not_found(agreement_id)
    if not reason.strip():
        raise _invalid(
            "agreement.reason_required",
            "Le motif de la modification est obligatoire.",
            "The reason for the amendment is required.",
            field="reason",
        )
    old = current.terms
    terms = checked(
        Terms(
            old.volets if volets is None else tuple(volets),
            old.funding if funding is None else tuple(funding),
            old.targets if targets is None else tuple(targets),
        ),
        current.starts_on,
        current.ends_on,
    )
    if terms == old:
        return []
    return [
        AgreementAmended(
            agreement_id=agreement_id,
            organization_id=current.organization_id,
            program=current.program,
            starts_on=current.starts_on,
            ends_on=current.ends_on,
            version=current.version + 1,
            reason=reason.strip(),
            volets=terms.volets,
            funding=terms.funding,
            targets=terms.targets,
        )
    ]


def agreement_not_found(agreement_id: str) -> NotFound:
    return NotFound(
        "agreement.not_found",
        "Convention introuvable.",
        "Agreement not found.",
        details={"agreement_id": agreement_id},
    )


def checked(terms: Terms, starts_on: date, ends_on: date) -> Terms:
    """The terms checked and put in a canonical order (so equal terms compare equal)."""
    if not terms.volets:
        raise _invalid("agreement.no_volet", "Au moins un volet.", "At least one volet.", field="volets")
    for volet in terms.volets:
        if volet not in VOLETS:
            raise _invalid(
                "agreement.invalid_volet",
                f"Volet inconnu « {volet} » (V1 à V5).",
                f"Unknown volet “{volet}” (V1 to V5).",
                field="volets",
                volet=volet,
            )
    for item in terms.funding:
        _check_funding(item, starts_on, ends_on)
    _unique([f.fiscal_year for f in terms.funding], "agreement.duplicate_funding", "funding")
    for target in terms.targets:
        _check_target(target, starts_on, ends_on)
    _unique([f"{t.fiscal_year} {t.period}" for t in terms.targets], "agreement.duplicate_target", "targets")
    return Terms(
        tuple(sorted(set(terms.volets))),
        tuple(sorted(terms.funding, key=lambda f: f.fiscal_year)),
        tuple(
            sorted(
                (
                    t.model_copy(update={"interventions": dict(sorted(t.interventions.items()))})
                    for t in terms.targets
                ),
                key=lambda t: (t.fiscal_year, PERIODS.index(t.period)),
            )
        ),
    )


def fiscal_year_bounds(fiscal_year: str) -> tuple[date, date]:
    """First and last day of a fiscal year written ``2026-2027``; ValueError if it is not one."""
    match = _FISCAL_YEAR.fullmatch(fiscal_year)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"not a fiscal year (expected e.g. 2026-2027): {fiscal_year!r}")
    return FiscalQuarter(int(match[1]), 1).first_day, FiscalQuarter(int(match[1]), 4).last_day


def period_bounds(fiscal_year: str, period: str) -> tuple[date, date]:
    first, last = fiscal_year_bounds(fiscal_year)
    if period == "year":
        return first, last
    quarter = FiscalQuarter(first.year, int(period[1]))
    return quarter.first_day, quarter.last_day


def _check_funding(item: Funding, starts_on: date, ends_on: date) -> None:
    _check_period(item.fiscal_year, "year", starts_on, ends_on, field="funding")
    if item.amount_cents < 0:
        raise _invalid(
            "agreement.negative_amount",
            f"Montant négatif pour {item.fiscal_year}.",
            f"Negative amount for {item.fiscal_year}.",
            field="funding",
            fiscal_year=item.fiscal_year,
        )


def _check_target(target: Target, starts_on: date, ends_on: date) -> None:
    if target.period not in PERIODS:
        raise _invalid(
            "agreement.invalid_target_period",
            f"Période inconnue « {target.period} » (Q1 à Q4 ou year).",
            f"Unknown period “{target.period}” (Q1 to Q4 or year).",
            field="targets",
        )
    _check_period(target.fiscal_year, target.period, starts_on, ends_on, field="targets")
    counts = [("unique_persons", "", target.unique_persons), ("action_plans", "", target.action_plans)]
    counts += [("interventions", code, n) for code, n in target.interventions.items()]
    for measure, code, value in counts:
        where = {"fiscal_year": target.fiscal_year, "period": target.period, "measure": measure, "code": code}
        if code and not _CODE.fullmatch(code):
            raise _invalid(
                "agreement.invalid_code",
                f"Code d'intervention invalide « {code} ».",
                f"Invalid intervention code “{code}”.",
                field="targets",
                **where,
            )
        if value < 0:
            raise _invalid(
                "agreement.negative_target",
                f"Cible négative ({measure} {code}, {target.period}).",
                f"Negative target ({measure} {code}, {target.period}).",
                field="targets",
                **where,
            )
        if value > MAX_TARGET:
            raise _invalid(
                "agreement.target_too_large",
                f"Cible trop grande (au plus {MAX_TARGET}).",
                f"Target too large (at most {MAX_TARGET}).",
                field="targets",
                **where,
            )


def _check_period(fiscal_year: str, period: str, starts_on: date, ends_on: date, *, field: str) -> None:
    try:
        first, last = period_bounds(fiscal_year, period)
    except ValueError:
        raise _invalid(
            "agreement.invalid_fiscal_year",
            f"Exercice invalide « {fiscal_year} » (p. ex. 2026-2027).",
            f"Invalid fiscal year “{fiscal_year}” (e.g. 2026-2027).",
            field=field,
        ) from None
    if last < starts_on or ends_on < first:
        raise _invalid(
            "agreement.outside_period",
            f"{fiscal_year} {period} est hors de la période de la convention ({starts_on} au {ends_on}).",
            f"{fiscal_year} {period} is outside the agreement's period ({starts_on} to {ends_on}).",
            field=field,
            fiscal_year=fiscal_year,
            period=period,
        )


def _unique(keys: Sequence[str], code: str, field: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise _invalid(code, f"En double : {key}.", f"Duplicate: {key}.", field=field, key=key)
        seen.add(key)


def _invalid(code: str, fr: str, en: str, /, *, field: str, **details: object) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field, **details})


@dataclass(frozen=True, slots=True)
class Progress:
    """An actual count against its target: ``pct`` is None where there is no (or a zero) target."""

    actual: int
    target: int | None
    pct: float | None


def progress(actual: int, target: int | None) -> Progress:
    pct = round(100 * actual / target, 1) if target else None
    return Progress(actual, target, pct)


def targets_by_key(rows: Sequence[Mapping[str, object]]) -> dict[tuple[str, str, str], int]:
    """``(period, measure, code) -> value`` from target rows, summed: where a fiscal year spans two
    agreements (one ending, the next starting), each sets the targets of its own part."""
    totals: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (str(row["period"]), str(row["measure"]), str(row["code"]))
        value = row["value"]
        assert isinstance(value, int)
        totals[key] = totals.get(key, 0) + value
    return totals
