"""Every event type registration stores: the person streams' and the rule-set stream's."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from registration.domain.events import PERSON_EVENTS
from registration.domain.rule_sets import RuleSetPublished

EVENTS = EventRegistry([*PERSON_EVENTS, RuleSetPublished])
