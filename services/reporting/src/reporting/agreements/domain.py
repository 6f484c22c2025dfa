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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from reporting.agreements import events
from reporting.agreements import terms as terms_module

# The events and terms under this module's name too: callers import them from here (an assignment
# is a public name for mypy --strict, a plain import is not).
AgreementAmended = events.AgreementAmended
AgreementRecorded = events.AgreementRecorded
EVENTS = events.EVENTS
Funding = events.Funding
Target = events.Target
Terms = terms_module.Terms
checked = terms_module.checked
fiscal_year_bounds = terms_module.fiscal_year_bounds
period_bounds = terms_module.period_bounds

_PROGRAM = re.compile(r"[A-Z][A-Z0-9_]{1,19}")


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


def _invalid(code: str, fr: str, en: str, /, *, field: str, **details: object) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field, **details})
