"""A real SMTP server for the tests (aiosmtpd, on a free local port), collecting what it accepts.

It can be told to answer a 4xx or a 5xx to the recipient or to the message's data, to be slow
(an answer later than the client's timeout), or to be down (stopped, then started again on the
same port)::

    with smtp_server() as smtp:
        smtp.answer_rcpt = "451 4.3.0 Try again later"
        smtp.slow_data_s = 2.0
        smtp.stop(); smtp.start()
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    at: float  # time.perf_counter() when accepted

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def body(self, subtype: str) -> str:
        """The text of the ``plain`` or ``html`` alternative."""
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None
        assert part.get_content_subtype() == subtype
        return str(part.get_content()).replace("\r\n", "\n")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, _smtp: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if self._server.slow_rcpt_s:
            await asyncio.sleep(self._server.slow_rcpt_s)
        if self._server.answer_rcpt:
            return self._server.answer_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _smtp: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self._server.answer_data:
            return self._server.answer_data
        content = envelope.original_content or b""
        self._server.accept(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(content), time.perf_counter())
        )
        if self._server.slow_data_s:  # queued already: a client that gives up cannot know it
            await asyncio.sleep(self._server.slow_data_s)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """A local SMTP server; ``answer_rcpt`` / ``answer_data``: a reply such as
    ``"550 5.1.1 No such user"`` given instead of accepting; ``slow_rcpt_s``: a delay before
    answering the recipient; ``slow_data_s``: a delay before answering the data of a message
    it has already taken (a client that times out cannot know it was accepted)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.answer_rcpt: str | None = None
        self.answer_data: str | None = None
        self.slow_rcpt_s = 0.0
        self.slow_data_s = 0.0
        self.received: list[Received] = []
        self._lock = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def accept(self, message: Received) -> None:
        with self._lock:
            self.received.append(message)
            self._lock.notify_all()

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """Every message received, once there are at least ``count`` (or the timeout)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(self.received) < count and time.monotonic() < deadline:
                self._lock.wait(max(0.0, deadline - time.monotonic()))
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.received if address in m.rcpt_tos]

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The notifications settings pointing at this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, **overrides}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(*, started: bool = True) -> Iterator[SmtpServer]:
    """A server on a free port (``started=False``: down until the test starts it)."""
    server = SmtpServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
