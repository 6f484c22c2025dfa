"""Registration's schema, the one source of its migrations (ADR 24): the metadata of every module
that declares its tables. A module left out shows as tables to drop in
tests/integration/test_schema.py."""

# Imported for the tables they declare on tables.metadata.
import registration.projections.reviewers  # noqa: F401
from gsi_kernel.migrations import run_env
from gsi_kernel.privacy.tables import metadata as privacy
from registration.projections import incidents, tables

run_env(privacy, tables.metadata, incidents.metadata)
