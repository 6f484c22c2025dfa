"""The checks that look at one intervention at a time: C1, C2, C3, C5, C6 (age, status, region),
C7 and C8 (duration). The set-based ones (C4, C6 once-only, C8 volumes) are in
:mod:`gsi_conformity.sets`."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_conformity.catalogue import Catalogue, CodeRule
from gsi_conformity.model import MODES, Finding, Item, PersonRecord
from gsi_conformity.run import DEFAULT_OUTLIERS, Run
from gsi_eligibility import Evaluation
from gsi_eligibility.engine import age_on


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a setattr per field
class Subject:
    """One intervention and what it is checked against (None where unknown)."""

    item: Item
    record: PersonRecord | None
    catalogue: Catalogue | None
    rule: CodeRule | None
    evaluation: Evaluation | None


def item_findings(item: Item, run: Run) -> list[Finding]:
    record = run.persons.get(item.person_id)
    catalogue = run.catalogue(item.service_date)
    rule = None if catalogue is None else catalogue.codes.get(item.code)
    evaluation = None if record is None else run.evaluation(record, item)
    subject = Subject(item, record, catalogue, rule, evaluation)
    out: list[Finding] = []
    for check in _CHECKS:
        check(subject, run, out)
    return out


def _c1_eligibility(s: Subject, run: Run, out: list[Finding]) -> None:
    """C1: the person is known and eligible on the day (blocking failures only: E8 is review)."""
    item, evaluation = s.item, s.evaluation
    if s.record is None:
        run.emit(out, item, "C1.unknown_person", {"person_id": item.person_id})
        return
    if evaluation is None:
        run.emit(out, item, "C1.no_rule_set", {"program": run.context.program})
        return
    for failure in evaluation.failures:
        if failure.severity == "blocking":
            details = {
                "code": item.code,
                "service_date": item.service_date.isoformat(),
                "volet": item.volet,
                "rule": failure.rule,
                "rule_set_version": evaluation.rule_set_version,
                **failure.details,
            }
            code = f"C1.{failure.rule}"
            out.append(Finding(item.intervention_id, "C1", "error", code, failure.fr, failure.en, details))


def _c1_volet(s: Subject, run: Run, out: list[Finding]) -> None:
    """C1: the code is offered in the volet, and the volet is in the organization's agreement."""
    item, rule = s.item, s.rule
    if rule is not None and item.volet not in rule.volets:
        run.emit(out, item, "C1.code_not_in_volet", {"volet": item.volet, "volets": list(rule.volets)})
    agreement = run.context.agreement_volets.get(item.organization_id)
    if agreement is not None and item.volet not in agreement:
        run.emit(out, item, "C1.volet_not_in_agreement", {"volet": item.volet, "volets": sorted(agreement)})


def _c2_dates(s: Subject, run: Run, out: list[Finding]) -> None:
    item, day = s.item, s.item.service_date
    bounds, quarter = run.bounds, run.context.quarter
    if bounds is not None and quarter is not None and not bounds[0] <= day <= bounds[1]:
        details = {
            "quarter": str(quarter),
            "first_day": bounds[0].isoformat(),
            "last_day": bounds[1].isoformat(),
        }
        run.emit(out, item, "C2.outside_quarter", details)
    if day > run.context.today:
        run.emit(out, item, "C2.future", {"today": run.context.today.isoformat()})
    if s.record is not None and day < s.record.registered_on:
        run.emit(out, item, "C2.before_registration", {"registered_on": s.record.registered_on.isoformat()})


def _c3_fields(s: Subject, run: Run, out: list[Finding]) -> None:
    item, rule, catalogue = s.item, s.rule, s.catalogue
    if catalogue is None:
        run.emit(out, item, "C3.no_catalogue", {"program": run.context.program})
    elif rule is None:
        run.emit(out, item, "C3.unknown_code", {"program": catalogue.program, "version": catalogue.version})
    if item.duration_minutes is None or item.duration_minutes <= 0:
        run.emit(out, item, "C3.duration_minutes", {"duration_minutes": item.duration_minutes})
    if _blank(item.staff_member):
        run.emit(out, item, "C3.staff_member", {})
    if item.mode not in MODES:
        run.emit(out, item, "C3.mode", {"mode": item.mode, "expected": sorted(MODES)})
    elif rule is not None and rule.requires_group and item.mode != "group":
        run.emit(out, item, "C3.mode", {"mode": item.mode, "expected": ["group"]})
    if rule is not None and rule.requires_referral_target:
        if _blank(item.target_organization):
            run.emit(out, item, "C3.target_organization", {})
        if _blank(item.referral_reason):
            run.emit(out, item, "C3.referral_reason", {})


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _c5_action_plan(s: Subject, run: Run, out: list[Finding]) -> None:
    rule, record = s.rule, s.record
    if rule is None or record is None or not rule.requires_action_plan:
        return
    if not record.plan_active_on(s.item.service_date):
        run.emit(out, s.item, "C5.no_active_plan", {})


def _c6_age(s: Subject, run: Run, out: list[Finding]) -> None:
    """C6 age: not repeated when the eligibility rules already reported the age limit (C1.E5)."""
    rule, record, evaluation = s.rule, s.record, s.evaluation
    if rule is None or record is None or rule.min_age is None:
        return
    age = age_on(record.facts.birth_date, s.item.service_date)
    if age >= rule.min_age:
        return
    if evaluation is not None and "E5" in (f.rule for f in evaluation.blocking):
        return
    run.emit(out, s.item, "C6.min_age", {"min_age": rule.min_age, "age": age})


def _c6_status_region(s: Subject, run: Run, out: list[Finding]) -> None:
    item, rule, record = s.item, s.rule, s.record
    if rule is None or record is None:
        return
    allowed = rule.allowed_statuses
    if allowed is not None:
        status = s.evaluation.status if s.evaluation is not None else _status_on(record, item)
        if status not in allowed:
            details = {"status": status, "allowed": list(allowed)}
            fr, en = (_status_values(run, item, status, allowed, language) for language in ("fr", "en"))
            run.emit(out, item, "C6.status_not_allowed", details, fr, en)
    excluded = rule.excluded_regions
    if excluded is not None and record.facts.region in excluded:
        run.emit(out, item, "C6.region_excluded", {"region": record.facts.region, "regions": list(excluded)})


def _status_on(record: PersonRecord, item: Item) -> str | None:
    period = record.facts.status_on(item.service_date)
    return None if period is None else period.status


def _status_values(
    run: Run, item: Item, status: str | None, allowed: tuple[str, ...], language: str
) -> dict[str, str]:
    labels = run.status_labels(item.service_date, language)
    shown = "—" if status is None else labels.get(status, status)
    return {"status": shown, "allowed": ", ".join(labels.get(a, a) for a in allowed)}


def _c7_locked(s: Subject, run: Run, out: list[Finding]) -> None:
    quarter = run.locked_quarter(s.item.organization_id, s.item.service_date)
    if quarter is not None:
        run.emit(out, s.item, "C7.locked_quarter", {"quarter": str(quarter)})


def _c8_duration(s: Subject, run: Run, out: list[Finding]) -> None:
    duration = s.item.duration_minutes
    limit = (DEFAULT_OUTLIERS if s.catalogue is None else s.catalogue.outliers).max_duration_minutes
    if duration is not None and duration > limit:
        run.emit(out, s.item, "C8.long_duration", {"duration_minutes": duration, "limit": limit})


_CHECKS = (
    _c1_eligibility,
    _c1_volet,
    _c2_dates,
    _c3_fields,
    _c5_action_plan,
    _c6_age,
    _c6_status_region,
    _c7_locked,
    _c8_duration,
)
