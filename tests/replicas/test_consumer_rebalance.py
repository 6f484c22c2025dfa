"""Consumer groups across replicas (issue 22, section 1): two replicas of reporting share the
partitions of each of their consumer groups; killed with kill -9, a replica leaves its share to
the survivor, which applies every event published meanwhile exactly once (the events the victim
applied without committing their offsets come again and find their ``processed`` rows); a
replica started later takes a share again. The group's members are the broker's own account
(the admin client's DescribeGroups), the partitions each replica holds its own ``/ready``."""

from __future__ import annotations

import uuid

import httpx
import pytest

from gsi_contracts import registration
from gsi_kernel.envelope import EventEnvelope
from tests.faults.poison import person_registered
from tests.replicas.cluster import PARTITIONS, Replica, Run, until

GROUP = "reporting.persons"  # reporting's consumer of registration's topic
EVERY_PARTITION = {(registration.TOPIC, p) for p in range(PARTITIONS)}

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.kafka]


def shared_by(run: Run, members: int) -> dict[str, set[tuple[str, int]]] | None:
    """The group's members, once it is stable with ``members`` of them holding every partition,
    each at least one and none twice."""
    found = run.group_members(GROUP)
    if len(found) != members or any(not owned for owned in found.values()):
        return None
    owned = [p for partitions in found.values() for p in partitions]
    if len(owned) != len(set(owned)) or set(owned) != EVERY_PARTITION:
        return None
    return found


def partitions_of(replica: Replica) -> int | None:
    """How many partitions of the group the replica says it holds (its ``/ready``)."""
    try:
        body = httpx.get(f"{replica.url}/ready", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return None
    figures = (body.get("consumers") or {}).get(GROUP) or {}
    partitions = figures.get("partitions")
    return partitions if isinstance(partitions, int) else None


def persons(count: int) -> list[EventEnvelope]:
    """``count`` registrations, of persons whose ids spread over every partition."""
    return [person_registered(f"p-{uuid.uuid4().hex[:12]}") for _ in range(count)]


def applied(run: Run, events: list[EventEnvelope]) -> tuple[int, int]:
    """(rows of these persons in reporting's read model, ``processed`` rows of these events)."""
    ids = [e.payload["person_id"] for e in events]
    event_ids = [e.event_id for e in events]
    (known,) = run.sql(
        "reporting", "SELECT count(*) FROM known_persons WHERE person_id = ANY(:ids)", ids=ids
    )[0]
    (processed,) = run.sql(
        "reporting",
        "SELECT count(*) FROM processed WHERE consumer = :c AND event_id = ANY(:ids)",
        c=GROUP,
        ids=event_ids,
    )[0]
    return int(known), int(processed)


def test_the_group_rebalances_when_a_replica_dies_or_joins(shared: Run) -> None:
    first, second = shared.start("reporting", 2)
    members = until(lambda: shared_by(shared, 2), "two replicas share the partitions", 90)
    assert sorted(len(p) for p in members.values()) == [PARTITIONS // 2, PARTITIONS // 2]
    until(lambda: partitions_of(first) == partitions_of(second) == PARTITIONS // 2, "each says 3")

    before = persons(40)
    shared.publish(registration.TOPIC, before)
    until(lambda: applied(shared, before) == (40, 40), "both replicas apply the first batch", 90)

    # Published, then the replica killed at once: it dies with some of them applied and their
    # offsets not committed, or not yet polled — either way the survivor gets them.
    meanwhile = persons(60)
    shared.publish(registration.TOPIC, meanwhile)
    shared.kill(second)
    alone = until(lambda: shared_by(shared, 1), "the survivor holds every partition", 120)
    assert list(alone.values()) == [EVERY_PARTITION]
    until(lambda: partitions_of(first) == PARTITIONS, "the survivor says it holds all six")
    until(lambda: applied(shared, meanwhile) == (60, 60), "the survivor applies what was left", 120)

    (third,) = shared.start("reporting", 1)
    until(lambda: shared_by(shared, 2), "the survivor and the new replica share them again", 120)
    until(lambda: partitions_of(first) == partitions_of(third) == PARTITIONS // 2, "each says 3")
    after = persons(40)
    shared.publish(registration.TOPIC, after)
    until(lambda: applied(shared, after) == (40, 40), "the two apply the last batch", 90)

    # Exactly once, over the whole run: one row per event and per person, none twice.
    everyone = before + meanwhile + after
    assert applied(shared, everyone) == (140, 140)
    (rows,) = shared.sql("reporting", "SELECT count(*) FROM processed WHERE consumer = :c", c=GROUP)[0]
    assert rows == 140, "no event of another run, none applied twice"
