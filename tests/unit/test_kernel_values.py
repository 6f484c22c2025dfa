"""Pure kernel values: fiscal calendar, envelope, event registry and upcasting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent, EventRegistry, UnknownEventType
from gsi_kernel.fiscal import FiscalQuarter


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 1), "2026-2027-Q1"),
        (date(2026, 6, 30), "2026-2027-Q1"),
        (date(2026, 7, 1), "2026-2027-Q2"),
        (date(2026, 12, 31), "2026-2027-Q3"),
        (date(2027, 1, 1), "2026-2027-Q4"),
        (date(2027, 3, 31), "2026-2027-Q4"),
    ],
)
def test_fiscal_quarter_of_a_day_starts_the_year_on_april_first(day: date, expected: str) -> None:
    assert str(FiscalQuarter.of(day)) == expected


def test_fiscal_quarter_bounds_and_parsing() -> None:
    q4 = FiscalQuarter.parse("2026-2027-Q4")
    assert (q4.first_day, q4.last_day) == (date(2027, 1, 1), date(2027, 3, 31))
    assert q4.next() == FiscalQuarter(2027, 1)
    assert q4.contains(date(2027, 2, 28))
    assert not q4.contains(date(2027, 4, 1))
    for bad in ("2026-2028-Q1", "2026-2027-Q5", "Q1", ""):
        with pytest.raises(ValueError, match="fiscal quarter"):
            FiscalQuarter.parse(bad)


def test_envelope_round_trips_as_a_cloudevent() -> None:
    envelope = EventEnvelope(
        event_id="1f0e4b44-9f7e-4a4e-8a56-3c7a2f1c0b9d",
        type="registration.PersonRegistered",
        schema_version=1,
        source="gsi/registration",
        stream_id="person-42",
        stream_version=3,
        occurred_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
        recorded_at=datetime(2026, 11, 20, 15, 0, 1, tzinfo=UTC),
        actor="karine",
        organization="org-sherbrooke",
        correlation_id="c0",
        causation_id=None,
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        payload={"person_id": "42"},
    )
    doc = envelope.to_cloudevent()
    assert doc["specversion"] == "1.0"
    assert doc["subject"] == "person-42"
    assert "causationid" not in doc
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope


def test_envelope_refuses_what_is_not_a_cloudevent() -> None:
    with pytest.raises(ValueError, match="CloudEvents"):
        EventEnvelope.from_bytes(b'{"specversion": "0.3"}')
    with pytest.raises(ValueError, match="JSON object"):
        EventEnvelope.from_bytes(b"[1, 2]")


class Renamed(DomainEvent):
    event_type = "Renamed"
    schema_version = 3
    full_name: str
    language: str


def test_registry_upcasts_old_payloads_step_by_step() -> None:
    registry = EventRegistry([Renamed])

    @registry.upcaster("Renamed", 1)
    def v1_to_v2(payload: dict[str, object]) -> dict[str, object]:
        return {"full_name": f"{payload['first']} {payload['last']}"}

    @registry.upcaster("Renamed", 2)
    def v2_to_v3(payload: dict[str, object]) -> dict[str, object]:
        return {**payload, "language": "fr"}

    event = registry.decode("Renamed", 1, {"first": "Amina", "last": "Haddad"})
    assert event == Renamed(full_name="Amina Haddad", language="fr")
    assert registry.decode("Renamed", 3, {"full_name": "A", "language": "en"}) == Renamed(
        full_name="A", language="en"
    )


def test_registry_refuses_unknown_types_and_missing_upcasters() -> None:
    registry = EventRegistry([Renamed])
    with pytest.raises(UnknownEventType):
        registry.decode("Nope", 1, {})
    with pytest.raises(UnknownEventType, match="no upcaster"):
        registry.decode("Renamed", 2, {})
    with pytest.raises(ValueError, match="twice"):
        registry.register(Renamed)
