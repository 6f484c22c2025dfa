"""Notifications' schema, the one source of its migrations (ADR 24): the metadata of every module
that declares its tables. A module left out shows as tables to drop in
tests/integration/test_schema.py."""

from gsi_kernel.migrations import run_env
from notifications.projections import deliveries, inbox, workflow

run_env(inbox.metadata, deliveries.metadata, workflow.metadata)
