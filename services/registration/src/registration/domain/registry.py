"""Every event type registration stores: the person streams', the rule-set stream's and the
confidentiality-incident register's."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from registration.domain.events import PERSON_EVENTS
from registration.domain.incident import INCIDENT_EVENTS
from registration.domain.rule_sets import RuleSetPublished

EVENTS = EventRegistry([*PERSON_EVENTS, RuleSetPublished, *INCIDENT_EVENTS])
