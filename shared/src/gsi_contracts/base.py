"""The base of every published contract.

Unlike a domain event (``extra="forbid"``), a contract ignores fields it does not know: a
producer may add an optional field to a version without breaking consumers that predate it.
Removing or changing a field is a new ``schema_version`` with an upcaster.
"""

from __future__ import annotations

from pydantic import ConfigDict

from gsi_kernel.events import DomainEvent


class ContractEvent(DomainEvent):
    model_config = ConfigDict(frozen=True, extra="ignore")
