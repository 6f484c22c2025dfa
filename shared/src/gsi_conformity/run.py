"""The state of one call to :func:`gsi_conformity.check`: the context, and lookups cached for
the call (catalogue and rule set in force per day, one evaluation per person, day, volet and
code, the lock state per organization and day), so a quarter of 20,000 interventions looks
each of them up once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from gsi_conformity.catalogue import Catalogue, Outliers
from gsi_conformity.messages import NO_VALUES, finding
from gsi_conformity.model import CheckContext, Finding, Item, PersonRecord
from gsi_eligibility import Evaluation, RuleSet, evaluate
from gsi_kernel.fiscal import FiscalQuarter

DEFAULT_OUTLIERS = Outliers()


class Run:
    __slots__ = ("_catalogues", "_evaluations", "_locked", "_rules", "bounds", "context", "persons")

    def __init__(self, context: CheckContext, persons: Mapping[str, PersonRecord]) -> None:
        self.context = context
        self.persons = persons
        quarter = context.quarter
        self.bounds = None if quarter is None else (quarter.first_day, quarter.last_day)
        self._catalogues: dict[date, Catalogue | None] = {}
        self._rules: dict[date, RuleSet | None] = {}
        self._evaluations: dict[tuple[str, date, str, str], Evaluation | None] = {}
        self._locked: dict[tuple[str, date], FiscalQuarter | None] = {}

    def catalogue(self, day: date) -> Catalogue | None:
        """The catalogue in force on ``day``, None when there is none."""
        if day not in self._catalogues:
            self._catalogues[day] = self.context.catalogues.in_force(self.context.program, day)
        return self._catalogues[day]

    def outliers(self, day: date) -> Outliers:
        catalogue = self.catalogue(day)
        return DEFAULT_OUTLIERS if catalogue is None else catalogue.outliers

    def rule_set(self, day: date) -> RuleSet | None:
        """The eligibility rule set in force on ``day``, None when there is none."""
        if day not in self._rules:
            self._rules[day] = self.context.rules.in_force(self.context.program, day)
        return self._rules[day]

    def evaluation(self, record: PersonRecord, item: Item) -> Evaluation | None:
        """The person's eligibility for the item's volet and code on its day (None: no rules)."""
        key = (record.person_id, item.service_date, item.volet, item.code)
        if key in self._evaluations:
            return self._evaluations[key]
        rules = self.rule_set(item.service_date)
        found = (
            None if rules is None else evaluate(record.facts, item.service_date, item.volet, rules, item.code)
        )
        self._evaluations[key] = found
        return found

    def locked_quarter(self, organization_id: str, day: date) -> FiscalQuarter | None:
        """The day's fiscal quarter when it is locked for the organization, else None."""
        key = (organization_id, day)
        if key in self._locked:
            return self._locked[key]
        quarter = FiscalQuarter.of(day)
        found = quarter if self.context.locked(organization_id, quarter) else None
        self._locked[key] = found
        return found

    def status_labels(self, day: date, language: str) -> Mapping[str, str]:
        rules = self.rule_set(day)
        return NO_VALUES if rules is None else rules.index.labels[language]

    def emit(
        self,
        out: list[Finding],
        item: Item,
        code: str,
        details: dict[str, Any],
        fr: Mapping[str, Any] = NO_VALUES,
        en: Mapping[str, Any] = NO_VALUES,
    ) -> None:
        """Append the finding ``code`` for ``item``; its code, date and label are filled in."""
        catalogue = self.catalogue(item.service_date)
        rule = None if catalogue is None else catalogue.codes.get(item.code)
        label_fr, label_en = (item.code, item.code) if rule is None else (rule.fr, rule.en)
        details = {"code": item.code, "service_date": item.service_date.isoformat(), **details}
        out.append(
            finding(item.intervention_id, code, details, {"label": label_fr, **fr}, {"label": label_en, **en})
        )
