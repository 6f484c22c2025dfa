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
from gsi_kernel.workers import LeasedWorker
from registration.container import Container
from registration.duplicates import api as duplicates_api
from registration.duplicates.app import DuplicatesQueue
from registration.event_registry import EVENTS
from registration.incidents import api as incidents_api
from registration.incidents.app import IncidentRegister
from registration.incidents.projection import IncidentsProjection
from registration.person_changes import api as person_changes_api
from registration.person_changes.app import MAX_DOCUMENT_BYTES, PersonChanges
from registration.persons import api as persons_api
from registration.persons.app import Registering
from registration.persons.file_numbers import FileNumbering
from registration.persons.projection import PersonsProjection
from registration.persons.queries import PersonQueries
from registration.privacy import api as privacy_api
from registration.privacy.app import Privacy
from registration.privacy.retention import RetentionWorker
from registration.privacy.vault import PersonVault
from registration.publication import publish
from registration.reviewers import projection as reviewers
from registration.rule_sets import api as rule_sets_api
from registration.rule_sets.app import RuleBooks
from registration.rule_sets.projection import RuleSetsProjection
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
    # The job's last run is stamped on the unshifted clock, as leases are: stamped in business
    # time, a run at a larger GSI_CLOCK_OFFSET_DAYS held the job off for that many days after.
    # Who is stale is decided on the business clock (privacy's).
    kernel.add_worker(
        "retention",
        lambda: RetentionWorker(db=db, clock=kernel.lease_clock, privacy=privacy, years=years, every=every),
    )
    # Numbers the files registered before files were numbered (after an upgrade), then rests.
    # One replica at a time (a lease): two numbering the same file, the second's append
    # conflicts and its worker fails and restarts, its /ready in error meanwhile.
    kernel.add_worker(
        "file-numbering",
        lambda: LeasedWorker(
            FileNumbering(db=db, writer=writer),
            db=db,
            name="registration.file-numbering",
            clock=kernel.lease_clock,
            ttl=timedelta(minutes=10),
        ),
        idle_s=3600.0,
    )
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
        routers=[
            persons_api.router,
            person_changes_api.router,
            duplicates_api.router,
            privacy_api.router,
            rule_sets_api.router,
            incidents_api.router,
        ],
        body_limits={"/persons/{person_id}/documents": DOCUMENT_BODY_BYTES},
        audit_details=AUDIT_FIELDS,
    )
