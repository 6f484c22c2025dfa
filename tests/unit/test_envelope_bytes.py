"""An envelope's bytes (``EventEnvelope.to_bytes``): compact UTF-8 JSON read back as it was, and
what UTF-8 cannot carry escaped as before rather than refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gsi_kernel.envelope import EventEnvelope

AT = datetime(2026, 11, 20, 15, tzinfo=UTC)


def envelope(payload: dict[str, object]) -> EventEnvelope:
    return EventEnvelope(
        event_id="6f1c9a2e-0000-4000-8000-000000000001",
        type="Noted",
        schema_version=1,
        source="gsi/test",
        stream_id="s-1",
        stream_version=1,
        occurred_at=AT,
        recorded_at=AT,
        actor="karine",
        organization=None,
        correlation_id="c",
        causation_id=None,
        traceparent=None,
        payload=payload,
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"text": 'Séance « Vivre à Sherbrooke » ✓ \\ " \n'},
        {"n": 1.5e16, "l": [1, None, True]},
        {"t": "\udc80"},
    ],
)
def test_the_bytes_read_back_as_the_envelope(payload: dict[str, object]) -> None:
    e = envelope(payload)
    raw = e.to_bytes()
    assert EventEnvelope.from_bytes(raw) == e
    assert json.loads(raw)["data"] == payload
    assert raw.startswith(b'{"specversion":"1.0","id":')  # compact, keys as CloudEvents lists them
