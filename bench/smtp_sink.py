"""A local SMTP server in its own process for the notifications bench (aiosmtpd): accepts every
message and prints one line per message, ``<unix time> <recipient>``, as it accepts it.

``uv run python -m bench.smtp_sink PORT``; prints ``ready`` once it listens."""

from __future__ import annotations

import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    async def handle_DATA(self, _smtp: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        now = time.time()
        sys.stdout.write("".join(f"{now:.6f} {rcpt}\n" for rcpt in envelope.rcpt_tos))
        sys.stdout.flush()
        return "250 2.0.0 Accepted"


def main() -> None:
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), ready_timeout=10)
    controller.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
