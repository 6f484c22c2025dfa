"""The retention job's last run is stamped on the wall clock, as leases are (registration's
bootstrap): replicas, or a rehearsal's successive runs, with different GSI_CLOCK_OFFSET_DAYS
share it. Stamped in business time, a run 90 days ahead held the job off for 90 days once the
offset was set back."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tracking import read_checkpoint
from registration.bootstrap import build
from registration.settings import RegistrationSettings

CHECKPOINT = "registration.retention"


def retention_pass(tmp_path: Path, offset_days: int) -> int:
    """One pass of the retention worker of a registration instance at ``offset_days``; the
    checkpoint it leaves (epoch seconds)."""
    settings = RegistrationSettings(
        data_dir=tmp_path, run_workers=False, clock_offset_days=offset_days, retention_check_hours=0.0003
    )
    kernel: Kernel = build(settings).kernel
    try:
        kernel.migrate()
        ((_, factory, _),) = [w for w in kernel._extra_workers if w[0] == "retention"]
        worker = factory()
        worker.run_once()
        worker.close()
        with kernel.db.transaction() as connection:
            return read_checkpoint(connection, CHECKPOINT)
    finally:
        kernel.db.dispose()


def test_a_run_ahead_in_business_time_does_not_hold_the_job_off(tmp_path: Path) -> None:
    ahead = retention_pass(tmp_path, offset_days=90)
    assert abs(ahead - datetime.now(UTC).timestamp()) < 600, "stamped on the wall clock"
    time.sleep(1.5)  # longer than the interval (about 1 s)
    today = retention_pass(tmp_path, offset_days=0)
    assert today > ahead, "the job ran again once its interval had passed"
