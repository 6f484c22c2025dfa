"""Registration's schema, the one source of its migrations (ADR 24): the metadata of every module
that declares its tables. A module left out shows as tables to drop in
tests/integration/test_schema.py."""

# Imported for the tables they declare on tables.metadata.
import registration.reviewers.projection  # noqa: F401
from gsi_kernel.migrations import run_env
from gsi_kernel.privacy.tables import metadata as privacy
from registration import tables
from registration.incidents import projection as incidents

run_env(privacy, tables.metadata, incidents.metadata)
