"""Persons as reporting knows them — from registration's published events, applied by the
idempotent consumer runner (``gsi_readmodels.persons``, the same follower interventions keeps).
Erased persons stay, marked: their pseudonymous facts still count in past quarters.

A registration, a status change or a region change also moves what the counts keep of the person
(their region in the persons-served-per-region count, their arrival day), and a merge moves what
counted under the merged file to the surviving person: :mod:`reporting.counting.projection`.
"""

from __future__ import annotations

from sqlalchemy import Connection

from gsi_contracts import registration as contract
from gsi_kernel.consumer import Handler
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.runtime import ConsumerSpec
from gsi_readmodels.persons import PersonFollower
from reporting.counting import projection as counts
from reporting.tables import PERSONS

_COUNTED = (
    contract.PersonRegistered.event_type,
    contract.PersonStatusChanged.event_type,
    contract.PersonRegionChanged.event_type,
)


def _and_counts(follow: Handler) -> Handler:
    def apply(connection: Connection, envelope: EventEnvelope) -> None:
        follow(connection, envelope)
        counts.person_changed(connection, str(envelope.payload["person_id"]))

    return apply


def _merged(follow: Handler) -> Handler:
    def apply(connection: Connection, envelope: EventEnvelope) -> None:
        follow(connection, envelope)
        merge = contract.PersonsMerged.model_validate(envelope.payload)
        counts.persons_merged(connection, merge.person_id, merge.into_person_id)

    return apply


def consumer() -> ConsumerSpec:
    """The ``reporting.persons`` consumer of registration's topic: the shared follower, and the
    counts it moves."""
    follows = PersonFollower(PERSONS).handlers
    merged = contract.PersonsMerged.event_type
    handlers: dict[str, Handler] = {
        **follows,
        **{event_type: _and_counts(follows[event_type]) for event_type in _COUNTED},
        merged: _merged(follows[merged]),
    }
    return ConsumerSpec("reporting.persons", [contract.TOPIC], handlers)
