"""Every published contract, by topic, and their JSON Schemas."""

from __future__ import annotations

from typing import Any

from gsi_contracts import interventions, registration, reporting
from gsi_kernel.events import DomainEvent, EventRegistry

BY_TOPIC: dict[str, tuple[type[DomainEvent], ...]] = {
    registration.TOPIC: registration.CONTRACTS,
    interventions.TOPIC: interventions.CONTRACTS,
    reporting.TOPIC: reporting.CONTRACTS,
}


def registry() -> EventRegistry:
    """A registry of every contract (consumers decode incoming payloads with it)."""
    return EventRegistry(c for contracts in BY_TOPIC.values() for c in contracts)


def json_schemas() -> dict[str, Any]:
    """An AsyncAPI-flavoured document: per topic, each event's type, version and JSON Schema."""
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "GSI published events", "version": "1"},
        "channels": {
            topic: {
                "address": topic,
                "messages": {
                    c.event_type: {
                        "name": c.event_type,
                        "contentType": "application/cloudevents+json",
                        "x-schema-version": c.schema_version,
                        "payload": c.model_json_schema(),
                    }
                    for c in contracts
                },
            }
            for topic, contracts in BY_TOPIC.items()
        },
    }
