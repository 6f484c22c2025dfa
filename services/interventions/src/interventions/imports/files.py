"""What an import needs from an uploaded file (the port): typed rows and per-row errors, the
template to fill in, and the file of errors to download. The CSV and XLSX adapter is
:mod:`interventions.adapters.spreadsheets`, wired in the bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ImportRow:
    row: int
    person_id: str
    code: str
    service_date: date
    duration_minutes: int
    mode: str
    volet: str
    staff_member: str
    notes: str | None
    target_organization: str | None
    referral_reason: str | None
    session_ref: str | None

    def natural_key(self, organization_id: str) -> str:
        return f"{organization_id}|{self.person_id}|{self.code}|{self.service_date.isoformat()}"


@dataclass(frozen=True, slots=True)
class RowError:
    row: int | None
    column: str | None
    code: str
    fr: str
    en: str
    value: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    format: str
    sha256: str
    rows: list[ImportRow]
    errors: list[RowError]
    total_rows: int


class ImportFiles(Protocol):
    def parse(self, filename: str, content: bytes, *, max_bytes: int, max_rows: int) -> ParsedFile:
        """The file's rows, each parsed or with its errors; a file that cannot be taken as a
        whole raises a :mod:`gsi_kernel.errors` exception (too large, empty, not CSV or XLSX,
        too many rows, a bad header)."""
        ...

    def template(self, format: str) -> bytes:
        """A file to fill in, as ``format`` (csv or xlsx)."""
        ...

    def error_report(self, errors: Sequence[RowError], format: str) -> bytes:
        """The errors as a file the organization can open next to its own."""
        ...
