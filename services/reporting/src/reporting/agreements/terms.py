"""What an agreement sets — volets, funding per fiscal year, targets per fiscal year and period —
checked and put in a canonical order, and the fiscal periods the terms name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import InvalidInput
from gsi_kernel.fiscal import FiscalQuarter
from reporting.agreements.events import Funding, Target

VOLETS = ("V1", "V2", "V3", "V4", "V5")
PERIODS = ("Q1", "Q2", "Q3", "Q4", "year")  # a quarter's targets, or the whole fiscal year's
MAX_TARGET = 10_000_000
_CODE = re.compile(r"[A-Z]{3}")
_FISCAL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


@dataclass(frozen=True, slots=True)
class Terms:
    """What an agreement sets (the input of a recording, and the amendable part of the state)."""

    volets: tuple[str, ...]
    funding: tuple[Funding, ...] = ()
    targets: tuple[Target, ...] = ()


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
