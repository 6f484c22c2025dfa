"""Interventions' schema, the one source of its migrations (ADR 24): the metadata of every module
that declares its tables. A module left out shows as tables to drop in
tests/integration/test_schema.py."""

# Imported for the tables they declare on tables.metadata.
import interventions.action_plans.projection
import interventions.regionalization.projection  # noqa: F401
from gsi_kernel.migrations import run_env
from interventions import tables

run_env(tables.metadata)
