"""Notifications' schema, the one source of its migrations (ADR 24): the metadata of every module
that declares its tables. A module left out shows as tables to drop in
tests/integration/test_schema.py."""

from gsi_kernel.migrations import run_env
from notifications.deliveries import projection as deliveries
from notifications.inbox import projection as inbox
from notifications.workflow import tables as workflow

run_env(inbox.metadata, deliveries.metadata, workflow.metadata)
