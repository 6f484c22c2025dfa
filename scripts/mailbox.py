"""A local SMTP server for the embedded mode: what notifications sends lands as files in a
Maildir (``<data_dir>/mail/new/``), readable with any mail client or a text editor. It is a
real SMTP server (aiosmtpd), not a mock: the delivery path is the production one."""

from __future__ import annotations

from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class LocalMailbox:
    def __init__(self, mail_dir: Path, port: int, host: str = "127.0.0.1") -> None:
        self.mail_dir = mail_dir
        self.port = port
        self._host = host
        self._controller: Controller | None = None

    def start(self) -> None:
        self.mail_dir.parent.mkdir(parents=True, exist_ok=True)
        handler = Mailbox(self.mail_dir)
        self._controller = Controller(handler, hostname=self._host, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        new = self.mail_dir / "new"
        return sum(1 for _ in new.iterdir()) if new.exists() else 0
