"""Registration's composition root: the only place that wires engines, keys, bus and handlers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import registration as contract
from gsi_contracts import reporting
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.http.audit import only_fields
from gsi_kernel.privacy.cipher import PiiCodec
from gsi_kernel.privacy.keys import KeyStore
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
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


def build_kernel(
    settings: RegistrationSettings, *, clock: Clock | None = None, bus: Bus | None = None
) -> Kernel:
    master_key = settings.master_key_bytes()
    codec = PiiCodec(KeyStore(master_key, clock=clock))
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish,
        projections=[PersonsProjection(codec), RuleSetsProjection(), IncidentsProjection()],
        # Reviewers read the files of the organizations reporting assigns them (ADR 23).
        consumers=[ConsumerSpec(reviewers.CONSUMER, [reporting.TOPIC], reviewers.HANDLERS)],
        reviewer_assignments=reviewers.reviewer_assignments,
    )
    kernel = Kernel(settings, wiring, clock=clock, bus=bus)
    kernel.extras["vault"] = PersonVault(codec, master_key)
    return kernel


def build_app(kernel: Kernel) -> FastAPI:
    settings = kernel.settings
    assert isinstance(settings, RegistrationSettings)
    vault = kernel.extras["vault"]
    assert isinstance(vault, PersonVault)
    rules = RuleBooks(kernel)
    queries = PersonQueries(kernel, vault)
    privacy = Privacy(kernel, vault, queries, retention_years=settings.retention_years)
    every = timedelta(hours=settings.retention_check_hours)
    kernel.add_worker(
        "retention", lambda: RetentionWorker(kernel, privacy, years=settings.retention_years, every=every)
    )
    # Numbers the files registered before files were numbered (after an upgrade), then rests.
    kernel.add_worker("file-numbering", lambda: FileNumbering(kernel), idle_s=3600.0)
    return create_app(
        kernel,
        title="GSI — Inscription / Registration",
        description=(
            "Personnes immigrantes, admissibilité, doublons, consentements, vie privée (Loi 25) / "
            "Immigrant persons, eligibility, duplicates, consent, privacy (Loi 25)."
        ),
        routers=[persons.router, changes.router, admin.router, incidents.router],
        state={
            "vault": vault,
            "rules": rules,
            "queries": queries,
            "registering": Registering(kernel, vault, rules),
            "changes": PersonChanges(kernel, vault, rules, queries),
            "privacy": privacy,
            "duplicates": DuplicatesQueue(kernel),
            "incidents": IncidentRegister(kernel),
        },
        body_limits={"/persons/{person_id}/documents": DOCUMENT_BODY_BYTES},
        audit_details=AUDIT_FIELDS,
    )
