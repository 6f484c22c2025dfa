"""Bulk imports of interventions from CSV or XLSX files.

A file is parsed at once (file-level errors answer the upload itself), then a job validates
every row against the same hard errors as a declaration, checks the valid ones with the shared
conformity checks, and writes them as new streams — in one transaction for *all or nothing*, by
chunks for *valid rows only* — while its progress is visible. Idempotent twice over: a file
already imported in the same mode (same content hash and mode) starts nothing, and a row already
written (same natural key, hence the same intervention id) is skipped. The mode is part of what
makes an import new: a file imported all or nothing (and refused for one bad row) may be imported
again for its valid rows, which then creates only the rows not yet written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import GsiError, NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from interventions.checks.checking import Candidate
from interventions.declarations import domain as intervention
from interventions.declarations.admission import Admission
from interventions.declarations.app import stream_id
from interventions.declarations.domain import Details, Facts, PersonOnFile
from interventions.imports import domain as imports
from interventions.imports.domain import ImportMode
from interventions.imports.files import ImportFiles, ImportRow, ParsedFile, RowError
from interventions.tables import import_errors
from interventions.tables import imports as import_jobs

log = logging.getLogger(__name__)
CHUNK_ROWS = 2_000


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_rows: int


@dataclass(frozen=True, slots=True)
class _Job:
    import_id: str
    organization_id: str
    file_name: str
    mode: ImportMode
    parsed: ParsedFile
    context: CommandContext


class Imports:
    def __init__(
        self,
        *,
        db: Database,
        writer: StreamWriter,
        clock: Clock,
        admission: Admission,
        files: ImportFiles,
        limits: Limits,
        executor: Executor,
    ) -> None:
        self._db = db
        self._writer = writer
        self._clock = clock
        self._admission = admission
        self._files = files
        self.limits = limits
        self._executor = executor

    def start(
        self,
        file_name: str,
        content: bytes,
        *,
        mode: ImportMode,
        organization_id: str,
        context: CommandContext,
    ) -> tuple[str, bool]:
        """Parse the file and start its import; return the job id and whether it is new (False:
        this very file was already imported in this mode, and that import's id is returned; a
        dry run always runs)."""
        parsed = self._files.parse(
            file_name, content, max_bytes=self.limits.max_bytes, max_rows=self.limits.max_rows
        )
        with self._db.transaction() as connection:
            if mode is not ImportMode.DRY_RUN:
                previous = _completed_import(connection, organization_id, parsed.sha256, mode)
                if previous is not None:
                    return previous, False
            job = _Job(str(uuid.uuid4()), organization_id, file_name[:300], mode, parsed, context)
            connection.execute(insert(import_jobs).values(**_new_job_row(job, self._clock.now())))
        self._executor.submit(self._run_safely, job)
        return job.import_id, True

    def template(self, format: str) -> bytes:
        """The file to fill in, as ``format`` (csv or xlsx)."""
        return self._files.template(format)

    def error_report(self, import_id: str, principal: Principal, format: str) -> bytes:
        """The import's errors as a file, as ``format`` (csv or xlsx)."""
        return self._files.error_report(self.errors(import_id, principal), format)

    def get(self, import_id: str, principal: Principal) -> dict[str, Any]:
        with self._db.transaction() as connection:
            row = connection.execute(select(import_jobs).where(import_jobs.c.import_id == import_id)).first()
        if row is None or not may_read_organization(principal, row.organization_id):
            raise NotFound("import.not_found", "Importation introuvable.", "Import not found.")
        return dict(row._mapping)

    def errors(self, import_id: str, principal: Principal) -> list[RowError]:
        self.get(import_id, principal)
        with self._db.transaction() as connection:
            rows = connection.execute(
                select(import_errors)
                .where(import_errors.c.import_id == import_id)
                .order_by(import_errors.c.seq)
            ).all()
        return [RowError(r.row, r.column, r.code, r.fr, r.en, r.value) for r in rows]

    # ---- the job --------------------------------------------------------------------------

    def _run_safely(self, job: _Job) -> None:
        try:
            self._run(job)
        except Exception as error:  # the job's row says it failed; re-uploading the file resumes it
            log.exception("import %s failed", job.import_id)
            self._update(job.import_id, status="failed", failure=str(error)[:2000])

    def _run(self, job: _Job) -> None:
        parsed = job.parsed
        accepted, rejected = self._validate(job)
        errors = sorted([*parsed.errors, *rejected], key=lambda e: (e.row or 0, e.column or ""))
        self._record_errors(job.import_id, errors)
        writes = job.mode is ImportMode.VALID_ROWS_ONLY or (
            job.mode is ImportMode.ALL_OR_NOTHING and not errors
        )
        created = self._write(job, accepted) if writes else 0
        counts = {
            "created": created,
            "unchanged": len(accepted) - created if writes else 0,
            "rejected": len({e.row for e in errors if e.row is not None}),
        }
        if job.mode is not ImportMode.DRY_RUN:
            completed = imports.ImportCompleted(
                import_id=job.import_id,
                organization_id=job.organization_id,
                file_name=job.file_name,
                sha256=parsed.sha256,
                mode=job.mode,
                total_rows=parsed.total_rows,
                **counts,
            )
            self._writer.execute(
                imports.stream_id(job.import_id), lambda _history: [completed], job.context, new_stream=True
            )
        self._update(job.import_id, status="done", finished_at=self._clock.now(), **counts)

    def _validate(self, job: _Job) -> tuple[list[_Accepted], list[RowError]]:
        """Every row through the hard errors of a declaration; the valid ones as candidates,
        each with the facts it was admitted with (the aggregate decides with them again).

        A transaction per chunk, the progress recorded between two: on SQLite every transaction
        holds the one writer's lock (``BEGIN IMMEDIATE``), so one transaction over the whole
        file kept every other request of the service waiting — and its own progress update
        too, until the busy timeout failed the import."""
        gate = self._admission
        accepted: list[_Accepted] = []
        rejected: list[RowError] = []
        rows = job.parsed.rows
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            with self._db.transaction() as connection:
                persons = gate.knowledge.persons(connection, (r.person_id for r in chunk))
                refuse = _RowGate(gate, connection, job.organization_id)
                for row in chunk:
                    try:
                        accepted.append(refuse(row, persons.get(row.person_id)))
                    except GsiError as error:
                        rejected.append(_row_error(row.row, error))
            if start + len(chunk) < len(rows):
                self._update(job.import_id, processed_rows=start + len(chunk))
        self._update(job.import_id, processed_rows=len(rows), status="writing")
        return accepted, rejected

    def _write(self, job: _Job, accepted: Sequence[_Accepted]) -> int:
        """Check the accepted rows together (they count against each other and against what is
        already declared), then write them; return how many were new."""
        gate = self._admission
        with self._db.transaction() as connection:
            checked = gate.checker.check(connection, [c for c, _ in accepted], today=gate.today())
        streams = [_declared(c, checked[c.intervention_id], facts, job.import_id) for c, facts in accepted]
        chunks = [streams] if job.mode is ImportMode.ALL_OR_NOTHING else list(_chunked(streams, CHUNK_ROWS))
        created = 0
        for chunk in chunks:
            created += len(self._writer.append_new_streams(chunk, job.context, skip_existing=True))
            self._update(job.import_id, created=created)
        return created

    def _record_errors(self, import_id: str, errors: Sequence[RowError]) -> None:
        rows = [
            {"import_id": import_id, "seq": seq, **_error_columns(e)} for seq, e in enumerate(errors, start=1)
        ]
        if rows:
            with self._db.transaction() as connection:
                connection.execute(insert(import_errors), rows)

    def _update(self, import_id: str, **values: Any) -> None:
        with self._db.transaction() as connection:
            connection.execute(
                update(import_jobs).where(import_jobs.c.import_id == import_id).values(**values)
            )


_Stream = tuple[str, Sequence[DomainEvent]]
_Accepted = tuple[Candidate, Facts]


class _RowGate:
    """A row through a declaration's hard errors, with the per-file lookups memoised."""

    def __init__(self, gate: Admission, connection: Connection, organization_id: str) -> None:
        self._gate = gate
        self._connection = connection
        self._organization_id = organization_id
        self._checked_codes: set[tuple[str, Any]] = set()
        self._today = gate.today()
        self._locks = gate.locks(connection, organization_id)  # every locked quarter's exceptions

    def __call__(self, row: ImportRow, person: PersonOnFile | None) -> _Accepted:
        org = self._organization_id
        found = intervention.refuse_unknown_person(person, org, row.person_id)
        details = _details(row)
        facts = Facts(self._today, found.registered_on, self._locks)
        intervention.refuse_declaration(org, details, facts)
        self._once(self._checked_codes, (details.code, details.service_date), self._gate.refuse_unknown_code)
        return Candidate(imports.intervention_id_for(row.natural_key(org)), org, found, details), facts

    def _once(self, seen: set[tuple[str, Any]], key: tuple[str, Any], check: Callable[..., None]) -> None:
        if key not in seen:
            check(self._connection, *key)
            seen.add(key)


def _details(row: ImportRow) -> Details:
    # The parser has typed and checked every cell already: no second validation per row.
    return Details.model_construct(
        code=row.code,
        service_date=row.service_date,
        duration_minutes=row.duration_minutes,
        mode=intervention.Mode(row.mode),
        volet=intervention.Volet(row.volet),
        staff_member=row.staff_member,
        notes=row.notes,
        target_organization=row.target_organization,
        referral_reason=row.referral_reason,
    )


def _declared(candidate: Candidate, checked: intervention.Checked, facts: Facts, import_id: str) -> _Stream:
    command = intervention.DeclareIntervention(
        intervention_id=candidate.intervention_id,
        organization_id=candidate.organization_id,
        person_id=candidate.person.person_id,
        details=candidate.details,
        checked=checked,
        facts=facts,
        import_id=import_id,
    )
    return stream_id(candidate.intervention_id), intervention.declare([], command)


def _row_error(row: int, error: GsiError) -> RowError:
    column = error.details.get("field") if error.details else None
    return RowError(row, column, error.code, error.fr, error.en)


def _error_columns(error: RowError) -> dict[str, Any]:
    return {
        "row": error.row,
        "column": error.column,
        "code": error.code,
        "fr": error.fr,
        "en": error.en,
        "value": error.value,
    }


def _chunked(items: Sequence[_Stream], size: int) -> Iterator[Sequence[_Stream]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _completed_import(
    connection: Connection, organization_id: str, sha256: str, mode: ImportMode
) -> str | None:
    """The organization's finished import of the same file in the same mode, if any (the
    earliest, should two uploads of it have run at once)."""
    return connection.execute(
        select(import_jobs.c.import_id)
        .where(
            import_jobs.c.organization_id == organization_id,
            import_jobs.c.sha256 == sha256,
            import_jobs.c.mode == mode.value,
            import_jobs.c.status == "done",
        )
        .order_by(import_jobs.c.started_at, import_jobs.c.import_id)
        .limit(1)
    ).scalar()


def _new_job_row(job: _Job, now: Any) -> dict[str, Any]:
    return {
        "import_id": job.import_id,
        "organization_id": job.organization_id,
        "sha256": job.parsed.sha256,
        "file_name": job.file_name,
        "format": job.parsed.format,
        "mode": job.mode.value,
        "status": "validating",
        "total_rows": job.parsed.total_rows,
        "processed_rows": 0,
        "created": 0,
        "unchanged": 0,
        "rejected": 0,
        "started_at": now,
        "started_by": job.context.actor,
    }
