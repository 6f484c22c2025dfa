"""Registration's composition root: the only place that wires engines, keys, bus, handlers and
use cases (ADR 26)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gsi_contracts import registration as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.http.audit import only_fields
from gsi_kernel.privacy.cipher import PiiCodec
from gsi_kernel.privacy.keys import KeyStore
from gsi_kernel.runtime import Kernel, ServiceWiring
from registration.api import admin, changes, incidents, persons
from registration.app.changes import MAX_DOCUMENT_BYTES, PersonChanges
from registration.app.duplicates import DuplicatesQueue
from registration.app.file_numbers import FileNumbering
from registration.app.incidents import IncidentRegister
from registration.app.privacy import Privacy
from registration.app.publication import publish
from registration.app.queries import PersonQueries
from registration.app.registering import Registering
from registration.app.retention import RetentionWorker
from registration.app.rules import RuleBooks
from registration.app.vault import PersonVault
from registration.container import Container
from registration.domain.registry import EVENTS
from registration.projections import reviewers
from registration.projections.incidents import IncidentsProjection
from registration.projections.persons import PersonsProjection, RuleSetsProjection
from registration.settings import RegistrationSettings

MIGRATIONS = Path(__file__).parent / "migrations"

# What the audit view shows of registration's events: ids, kinds, dates, counts and reasons —
# never the sealed personal data nor the person's facts (birth date, sex, status, region…).
AUDIT_FIELDS = only_fields(
    [
        "trigger", "program", "rule_set_version", "on_date", "purpose", "kind", "document_id",
        "candidate_person_id", "match", "into_person_id", "version", "effective_from",
        "incident_id", "recipient", "sent_on", "taken_on",
    ]
)  # fmt: skip
# A document's body: the file (10 MB at most, checked by the route) and the form around it.
DOCUMENT_BODY_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024


def build(
    settings: RegistrationSettings, *, clock: Clock | None = None, bus: Bus | None = None, **overrides: Any
) -> Container:
    """The kernel, registration's workers and every use case of the API, built once in
    dependency order; ``overrides`` replace use cases by field name (a test's stand-in)."""
    master_key = settings.master_key_bytes()
    codec = PiiCodec(KeyStore(master_key, clock=clock))  # the projection and the vault share it
    kernel = Kernel(settings, _wiring(codec), clock=clock, bus=bus)
    db, store, writer, clock_ = kernel.db, kernel.store, kernel.writer, kernel.clock
    vault = PersonVault(codec, master_key)
    rules = RuleBooks(db=db, store=store, writer=writer, clock=clock_)
    queries = PersonQueries(db=db, store=store, clock=clock_, vault=vault)
    privacy = Privacy(
        db=db,
        store=store,
        writer=writer,
        clock=clock_,
        vault=vault,
        queries=queries,
        retention_years=settings.retention_years,
    )
    every = timedelta(hours=settings.retention_check_hours)
    years = settings.retention_years
    kernel.add_worker(
        "retention",
        lambda: RetentionWorker(db=db, clock=clock_, privacy=privacy, years=years, every=every),
    )
    # Numbers the files registered before files were numbered (after an upgrade), then rests.
    kernel.add_worker("file-numbering", lambda: FileNumbering(db=db, writer=writer), idle_s=3600.0)
    container = Container(
        kernel=kernel,
        vault=vault,
        registering=Registering(db=db, writer=writer, clock=clock_, vault=vault, rules=rules),
        queries=queries,
        changes=PersonChanges(
            db=db, store=store, writer=writer, clock=clock_, vault=vault, rules=rules, queries=queries
        ),
        rules=rules,
        privacy=privacy,
        duplicates=DuplicatesQueue(db=db, writer=writer),
        incidents=IncidentRegister(db=db, store=store, writer=writer, clock=clock_),
    )
    return replace(container, **overrides) if overrides else container


def _wiring(codec: PiiCodec) -> ServiceWiring:
    return ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish,
        projections=[PersonsProjection(codec), RuleSetsProjection(), IncidentsProjection()],
        # Reviewers read the files of the organizations reporting assigns them (ADR 23).
        consumers=[reviewers.consumer()],
        reviewer_assignments=reviewers.reviewer_assignments,
    )


def build_app(container: Container) -> FastAPI:
    return create_app(
        container,
        title="GSI — Inscription / Registration",
        description=(
            "Personnes immigrantes, admissibilité, doublons, consentements, vie privée (Loi 25) / "
            "Immigrant persons, eligibility, duplicates, consent, privacy (Loi 25)."
        ),
        routers=[persons.router, changes.router, admin.router, incidents.router],
        body_limits={"/persons/{person_id}/documents": DOCUMENT_BODY_BYTES},
        audit_details=AUDIT_FIELDS,
    )
