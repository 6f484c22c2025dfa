"""The retention job as a background worker: at most once per interval across every instance
(the last run is a checkpoint row, taken under lock), it erases persons inactive too long. On
every pass it also pays a purge the erasures still owe (one that could not run at once: ADR 19)."""

from __future__ import annotations

from datetime import timedelta

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.store.database import Database
from gsi_kernel.store.tracking import ensure_checkpoint, read_checkpoint, write_checkpoint
from registration.privacy.app import Privacy

CHECKPOINT = "registration.retention"


class RetentionWorker:
    def __init__(self, *, db: Database, clock: Clock, privacy: Privacy, years: int, every: timedelta) -> None:
        self._db = db
        self._clock = clock
        self._privacy = privacy
        self._years = years
        self._every = every

    def run_once(self) -> int:
        self._privacy.purge()
        now = self._clock.now()
        with self._db.transaction() as connection:
            ensure_checkpoint(connection, CHECKPOINT, now)
            last_run = read_checkpoint(connection, CHECKPOINT, for_update=True)  # epoch seconds
            if now.timestamp() - last_run < self._every.total_seconds():
                return 0
            write_checkpoint(connection, CHECKPOINT, int(now.timestamp()), now)
        erased = self._privacy.run_retention(self._years, CommandContext.new("system:retention", None))
        return len(erased)

    def close(self) -> None:
        """Nothing held between runs."""
