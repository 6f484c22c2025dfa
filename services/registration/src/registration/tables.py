"""Registration's read models (and the tables its handlers write directly: the encrypted
document contents, the access log, the UCI each organization's files hold and the file-number
counter)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    String,
    Table,
    text,
)

from gsi_kernel.store.types import AutoId, UtcDateTime
from registration.persons.values import VOLETS

metadata = MetaData()

# The purge an erasure owes the files of the tables that held the person's plaintext (ADR 19).
ERASURE_PURGE = "registration.erasure-purge"

# Byte-order collation on PostgreSQL, so that `LIKE 'prefix%'` can use a plain b-tree index.
_Key = String(200).with_variant(String(200, collation="C"), "postgresql")

persons = Table(
    "persons",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("family_name", String(200)),  # NULL once erased
    Column("given_name", String(200)),
    Column("name_key", String(400)),  # normalised names as sorted tokens, for duplicates
    Column("family_norm", _Key),  # normalised names, for prefix search
    Column("given_norm", _Key),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("country_of_birth", String(2), nullable=False),
    Column("status", String(40), nullable=False),
    Column("status_since", Date, nullable=False),
    Column("region", String(2)),
    Column("uci_hash", String(64)),
    # Eligibility per volet at the last evaluation (on eligibility_on): plain flags, so a
    # filter on one is a cheap comparison, not a pattern match.
    *(Column(f"eligible_{volet.lower()}", Boolean, nullable=False, default=False) for volet in VOLETS),
    Column("eligibility_on", Date),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("last_activity_at", UtcDateTime(), nullable=False),
    Column("erased", Boolean, nullable=False, default=False),
    Column("merged_into", String(36)),
    Column("file_number", Integer),  # NULL only until a file registered before numbering gets one
    Index("uq_persons_file_number", "organization_id", "file_number", unique=True),
    Index("ix_persons_file_number", "file_number"),
    Index(
        "ix_persons_unnumbered",
        "registered_at",
        postgresql_where=text("file_number IS NULL"),
        sqlite_where=text("file_number IS NULL"),
    ),
    # Search pages are sorted by name: these let PostgreSQL walk the index and stop at the page.
    Index("ix_persons_org_family", "organization_id", "family_norm", "given_norm", "person_id"),
    Index("ix_persons_family", "family_norm", "given_norm", "person_id"),
    Index("ix_persons_org_registered", "organization_id", "registered_at"),
    Index("ix_persons_identity", "birth_date", "sex"),
    Index("ix_persons_uci", "uci_hash"),
    Index("ix_persons_status_region", "status", "region"),
    Index("ix_persons_region", "region"),
    *(
        Index(
            f"ix_persons_eligible_{volet.lower()}",
            "family_norm",
            "given_norm",
            "person_id",
            postgresql_where=text(f"eligible_{volet.lower()}"),
            sqlite_where=text(f"eligible_{volet.lower()}"),
        )
        for volet in VOLETS
    ),
    Index("ix_persons_activity", "last_activity_at"),
)

# Written by the registering command, in its transaction (not a projection): the UCI each of an
# organization's files holds, so that a second registration of the same UCI in the organization
# is refused even when both run at once (the second insert waits for the first to commit, then
# finds the row). An erased file's claim is removed with its key.
uci_claims = Table(
    "uci_claims",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("uci_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("file_number", Integer),
)

# File numbers: a PostgreSQL sequence (no lock: concurrent registrations never wait on each
# other for a number); on SQLite, where writers are serialised anyway, a counter row.
file_number_sequence = Sequence("person_file_numbers", metadata=metadata)
file_number_counter = Table(
    "file_number_counter",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("last_number", Integer, nullable=False),
    info={"dialects": ("sqlite",)},  # created on SQLite only (migration 0005)
)

# One row per normalised name token ("marie", "eve", "tremblay"): a name-prefix search is an
# index range scan on the token, whichever of the names (or of their parts) it starts. Each row
# carries what a name search sorts, scopes and filters by (all fixed at registration), so a
# broad prefix is counted and paged from the token index alone, without visiting the persons.
_COVERING = ["person_id", "family_norm", "given_norm", "registered_at"]
name_tokens = Table(
    "name_tokens",
    metadata,
    Column("token", _Key, primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("family_norm", _Key, nullable=False),
    Column("given_norm", _Key, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Index("ix_name_tokens_prefix", "token", postgresql_include=_COVERING),
    Index("ix_name_tokens_org", "organization_id", "token", postgresql_include=_COVERING),
)

consents = Table(
    "consents",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("purpose", String(40), primary_key=True),
    Column("given_at", UtcDateTime(), nullable=False),
    Column("withdrawn_at", UtcDateTime()),
    Column("withdrawal_reason", String(500)),
)

documents = Table(
    "documents",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    Column("uploaded_by", String(200), nullable=False),
)

document_contents = Table(
    "document_contents",
    metadata,
    Column("document_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM under the person's key
)

duplicate_queue = Table(
    "duplicate_queue",
    metadata,
    Column("person_id", String(36), primary_key=True),  # the newer registration
    Column("candidate_person_id", String(36), primary_key=True),
    Column("match", String(20), nullable=False),
    Column("score", Float, nullable=False),
    Column("state", String(20), nullable=False),  # open | dismissed | merged
    Column("flagged_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime()),
    Index("ix_duplicate_queue_state", "state", "flagged_at"),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("actor_organization", String(100)),
    Column("roles", String(200), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("action", String(40), nullable=False),  # read | export | document
    Column("at", UtcDateTime(), nullable=False, index=True),
)

rule_sets = Table(
    "rule_sets",
    metadata,
    Column("program", String(20), primary_key=True),
    Column("version", String(40), primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("document", JSON, nullable=False),
    Column("published_at", UtcDateTime(), nullable=False),
    Column("published_by", String(200), nullable=False),
)
