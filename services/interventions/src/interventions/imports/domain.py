"""Bulk imports: what identifies a row across uploads, and the record of a finished import.

A row's intervention id is derived from its natural key (organization, person, code, date), so
uploading the same row again — in the same file or another, in any mode — finds its stream
already written and creates nothing new. An import is identified by the organization, the file's
content hash and the mode: the same file in another mode is a new import (a dry run, always).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from gsi_kernel.events import DomainEvent

_NAMESPACE = uuid.UUID("6f1c2a52-5d0e-4c61-9a0b-2f3c4d5e6f70")


class ImportMode(StrEnum):
    DRY_RUN = "dry_run"  # validate and check, write nothing
    ALL_OR_NOTHING = "all_or_nothing"  # any bad row: nothing is written
    VALID_ROWS_ONLY = "valid_rows_only"  # write the good rows, report the bad ones


class ImportCompleted(DomainEvent):
    event_type = "ImportCompleted"

    import_id: str
    organization_id: str
    file_name: str
    sha256: str
    mode: ImportMode
    total_rows: int
    created: int
    unchanged: int
    rejected: int


EVENTS = (ImportCompleted,)


def intervention_id_for(natural_key: str) -> str:
    """The id of the intervention a row declares: the same row always names the same stream."""
    return str(uuid.uuid5(_NAMESPACE, natural_key))


def stream_id(import_id: str) -> str:
    return f"import-{import_id}"
