"""Reporting's reviewer assignments, kept from its published events: which organizations' files
each ministry reviewer may read (ADR 23)."""

from __future__ import annotations

from gsi_readmodels.reviewers import ReviewerFollower, reviewer_assignments_table
from registration.projections.tables import metadata

CONSUMER = "registration.reviewers"

reviewer_assignments = reviewer_assignments_table(metadata)
HANDLERS = ReviewerFollower(reviewer_assignments).handlers
