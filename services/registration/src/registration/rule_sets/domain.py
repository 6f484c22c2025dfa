"""Publishing a new version of an eligibility rule set (admin). The rule book validates it
(known volets, sane parameters, versions in date order); the event carries the whole document,
so every service evaluates with exactly the same rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from gsi_eligibility.rules import RuleBook, RuleSet
from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent
from registration.rule_sets.events import RuleSetPublished


def rule_book_stream(program: str) -> str:
    return f"ruleset-{program}"


def publish(
    _history: Sequence[DomainEvent], document: dict[str, Any], book: RuleBook, today: date, reason: str = ""
) -> list[DomainEvent]:
    """Publish a new version; the rule book refuses clashes and retroactive versions. A preview
    calls it too and discards the events: it refuses exactly what publishing refuses."""
    try:
        rule_set = RuleSet.from_document(document)
    except ValidationError as exc:
        raise InvalidInput(
            "ruleset.invalid",
            "Le jeu de règles est invalide.",
            "The rule set is invalid.",
            details={
                "errors": [{"location": list(map(str, e["loc"])), "reason": e["msg"]} for e in exc.errors()]
            },
        ) from exc
    book.publish(rule_set, today=today)  # raises PublishRefused (409) with its reason
    return [
        RuleSetPublished(
            program=rule_set.program,
            version=rule_set.version,
            effective_from=rule_set.effective_from,
            document=rule_set.to_document(),
            reason=reason,
        )
    ]
