"""The conformity checks C1–C8 over interventions, against the catalogue and the eligibility
rules in force on each service date. One implementation for both services: the interventions
service at declaration (one or a few items, with the person's and the staff member's other
interventions as ``others``), the reporting service at *verify* (a whole quarter).

- C1 E  person known and eligible on the day for the volet (blocking failures of E1–E7; E8 is
        the registration's review queue); code offered in the volet; volet in the agreement
- C2 E  date inside the quarter (when one is given), not in the future, not before registration
- C3 E  catalogue and code known; duration > 0, staff member, valid mode (group for group
        codes), REF's target organization and reason
- C4 E  exact duplicate (person, code, day, organization); W same person, code, day elsewhere
        (another organization's: neither it nor its interventions are named)
- C5 E  code needing an action plan without a plan active on the day (opening and closing
        days included)
- C6 E  minimum age (unless C1.E5 already said so), once per person, once in any 365 days,
        allowed statuses (the status valid on the day), excluded regions
- C7 W  the day's quarter is locked for the organization, and no lock exception opens it
- C8 W  more interventions per person or per staff member in a day, at the organization, than
        the catalogue's thresholds; a duration above its threshold

No I/O: everything comes in as arguments. Findings come out item by item, checks in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from gsi_conformity.model import CHECKS, CheckContext, Finding, Item, PersonRecord, Summary
from gsi_conformity.run import Run
from gsi_conformity.sets import pool, set_findings
from gsi_conformity.single import item_findings


def check(
    items: Sequence[Item],
    persons: Mapping[str, PersonRecord],
    context: CheckContext,
    *,
    others: Sequence[Item] = (),
) -> list[Finding]:
    """Findings for ``items`` only; ``others`` count for C4, C6 and C8 but are not reported.
    An intervention id given twice is checked once (the first one)."""
    first: dict[str, Item] = {}
    for item in items:
        first.setdefault(item.intervention_id, item)
    unique = list(first.values())
    run = Run(context, persons)
    findings = [finding for item in unique for finding in item_findings(item, run)]
    findings.extend(set_findings(unique, pool(unique, others), run))
    position = {item.intervention_id: n for n, item in enumerate(unique)}
    findings.sort(key=lambda f: (position[f.intervention_id], f.check))
    return findings


def summarize(findings: Iterable[Finding]) -> Summary:
    by_check = dict.fromkeys(CHECKS, 0)
    errors = warnings = 0
    for finding in findings:
        by_check[finding.check] = by_check.get(finding.check, 0) + 1
        if finding.severity == "error":
            errors += 1
        else:
            warnings += 1
    return Summary(errors, warnings, by_check, errors > 0)
