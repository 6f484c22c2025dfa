"""Reporting's reviewer assignments, kept from its published events: which organizations' files
each ministry reviewer may read (ADR 23)."""

from __future__ import annotations

from gsi_contracts import reporting
from gsi_kernel.runtime import ConsumerSpec
from gsi_readmodels.reviewers import ReviewerFollower, reviewer_assignments_table
from registration.tables import metadata

reviewer_assignments = reviewer_assignments_table(metadata)


def consumer() -> ConsumerSpec:
    """Registration's consumer of reporting's topic (ADR 27): its handlers need nothing but the
    consumer's transaction."""
    follower = ReviewerFollower(reviewer_assignments)
    return ConsumerSpec("registration.reviewers", [reporting.TOPIC], follower.handlers)
