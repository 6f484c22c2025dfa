"""Every event type registration stores: the person streams', the rule-set stream's and the
confidentiality-incident register's."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from registration.incidents.events import INCIDENT_EVENTS
from registration.persons.events import PERSON_EVENTS
from registration.rule_sets.events import RuleSetPublished

EVENTS = EventRegistry([*PERSON_EVENTS, RuleSetPublished, *INCIDENT_EVENTS])
