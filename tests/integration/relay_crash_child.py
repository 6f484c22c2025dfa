"""Run one relay step whose producer dies (SIGKILL) right after the broker acknowledged the
batch — before the relay could mark anything sent. Used by test_outbox_relay.py."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Bus, Message, Producer
from gsi_kernel.clock import SystemClock
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.database import connect
from gsi_kernel.telemetry import Telemetry


class DieAfterAck:
    def __init__(self, inner: Producer) -> None:
        self._inner = inner

    def publish(self, messages: Sequence[Message]) -> None:
        self._inner.publish(messages)
        os.kill(os.getpid(), signal.SIGKILL)

    def close(self) -> None:
        self._inner.close()


def main() -> None:
    spec = json.loads(sys.argv[1])
    bus: Bus = EmbeddedBus(spec["bus"]) if spec["kind"] == "embedded" else KafkaBus(spec["bus"])
    relay = OutboxRelay(
        db=connect(spec["url"], schema=spec["schema"]),
        producer=DieAfterAck(bus.producer()),
        clock=SystemClock(),
        telemetry=Telemetry("relay-crash"),
        lease_ttl=timedelta(seconds=1),
    )
    relay.run_once()
    raise SystemExit("unreachable: the producer kills the process")


if __name__ == "__main__":
    main()
