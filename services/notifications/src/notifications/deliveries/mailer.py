"""Sending e-mail over SMTP, with every failure sorted into what a retry can fix and what it
cannot — and the one case where nobody knows: the message went out and the answer was lost.

:class:`SmtpMailer` keeps one connection open from message to message (a batch costs one
handshake), drives the SMTP dialogue itself up to the message's data so that it knows whether
the message left, and opens a new connection when the server closed an idle one.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol

from notifications.deliveries.domain import (
    IN_DOUBT,
    SMTP_CONFIGURATION,
    SMTP_REJECTED,
    SMTP_TEMPORARY,
    SMTP_TIMEOUT,
    SMTP_UNAVAILABLE,
    Failure,
)
from notifications.emails.templates import RenderedEmail
from notifications.settings import NotificationsSettings

_LEADING_DOT = re.compile(rb"(?m)^\.")
# SMTP's line ends. Headers are folded at 78 characters, bodies are quoted-printable (7-bit on
# the wire, whatever the server says of 8BITMIME) in lines of 76.
WIRE = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_UTF8.body_encoding = QP


class SendFailure(Exception):
    """The server did not take the message. ``session``: the server or the connection is at
    fault, not this message (the worker then pauses instead of trying the next one at once)."""

    def __init__(self, code: str, detail: str, *, session: bool = False, before_message: bool = True) -> None:
        super().__init__(f"{code}: {detail}")
        self.failure = Failure(code, detail)
        self.session = session
        self.before_message = before_message


class Mailer(Protocol):
    def send(self, message: Message, *, to: str) -> None:
        """Hand ``message`` to the server for ``to``; raise :class:`SendFailure` if not taken."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Sender:
    header: str  # the From header, encoded, e.g. "=?utf-8?b?…?= <no-reply@gsi.example.qc.ca>"
    address: str  # the envelope sender
    domain: str  # of the Message-IDs

    @classmethod
    def parse(cls, mail_from: str) -> Sender:
        name, address = parseaddr(mail_from)
        if "@" not in address:
            raise ValueError(f"mail_from has no e-mail address: {mail_from!r}")
        return cls(formataddr((name, address), charset=_UTF8), address, address.rpartition("@")[2])


def compose(
    sender: Sender,
    rendered: RenderedEmail,
    *,
    to: str,
    name: str | None,
    message_id: str,
    language: str,
    date: datetime,
    kind: str | None = None,
) -> Message:
    """A multipart/alternative e-mail: plain text first, HTML preferred by clients that show it.

    Built with the classic ``email.mime`` classes: the same message as ``EmailMessage`` would
    make, without its header parsing and refolding, which cost more than the rest of the sending
    work per message."""
    message = MIMEMultipart("alternative")
    message["From"] = sender.header
    message["To"] = formataddr((" ".join((name or "").split()), to), charset=_UTF8)
    subject = rendered.subject
    if not subject.isascii():  # encoded words, folded with room for the header's name
        subject = Header(subject, _UTF8, header_name="Subject").encode()
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Content-Language"] = language
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message["X-Auto-Response-Suppress"] = "All"
    if kind:  # lets a mailbox rule sort GSI's notices by kind
        message["X-GSI-Notice-Kind"] = kind
    message.attach(_text(rendered.text, "plain"))
    message.attach(_text(rendered.html, "html"))
    return message


def _text(content: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(content, _UTF8)
    return part


class _Smtp(smtplib.SMTP):
    """smtplib's client, remembering whether the message's data left."""

    payload_sent = False

    def send_data(self, payload: bytes) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        stuffed = _LEADING_DOT.sub(b"..", payload)
        if not stuffed.endswith(b"\r\n"):
            stuffed += b"\r\n"
        # From here on, a lost answer leaves the outcome unknown: the server may have it.
        self.payload_sent = True
        self.send(stuffed + b".\r\n")
        return self.getreply()


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._sender = Sender.parse(settings.mail_from)
        self._smtp: _Smtp | None = None

    def send(self, message: Message, *, to: str) -> None:
        payload = message.as_bytes(policy=WIRE)
        if self._smtp is not None:
            try:
                self._transaction(self._smtp, to, payload)
                return
            except SendFailure as failure:
                if not (failure.session and failure.before_message):
                    raise
                self.close()  # the server dropped the idle connection: nothing left, start over
        self._transaction(self._open(), to, payload)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _open(self) -> _Smtp:
        settings = self._settings
        smtp = _Smtp(local_hostname=socket.gethostname(), timeout=settings.smtp_timeout_seconds)
        try:
            smtp.connect(settings.smtp_host, settings.smtp_port)
            smtp.ehlo_or_helo_if_needed()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError, ssl.SSLError) as exc:
            smtp.close()
            raise SendFailure(SMTP_CONFIGURATION, _describe(exc), session=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise SendFailure(_unreachable(exc), _describe(exc), session=True) from exc
        self._smtp = smtp
        return smtp

    def _transaction(self, smtp: _Smtp, to: str, payload: bytes) -> None:
        smtp.payload_sent = False
        try:
            code, reply = smtp.mail(self._sender.address)
            if code != 250:
                raise self._refused(smtp, "MAIL FROM", code, reply)
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                raise self._refused(smtp, "RCPT TO", code, reply)
            code, reply = smtp.send_data(payload)
        except smtplib.SMTPDataError as exc:
            raise self._refused(smtp, "DATA", exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            if smtp.payload_sent:
                raise SendFailure(
                    IN_DOUBT, f"no answer after the message's data: {_describe(exc)}", before_message=False
                ) from exc
            raise SendFailure(_unreachable(exc), _describe(exc), session=True) from exc
        if code != 250:
            raise self._refused(smtp, "end of DATA", code, reply, after_message=True)

    def _refused(
        self, smtp: _Smtp, stage: str, code: int, reply: bytes | str, *, after_message: bool = False
    ) -> SendFailure:
        """A 4xx answer may pass, a 5xx will not; the connection is reset for the next message
        (or closed, when the server says it is closing it: 421)."""
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        detail = f"{stage}: {code} {text}"
        if code == 421 or not 400 <= code < 600:
            self.close()
            return SendFailure(SMTP_UNAVAILABLE, detail, session=True, before_message=not after_message)
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
        code_ = SMTP_REJECTED if code >= 500 else SMTP_TEMPORARY
        return SendFailure(code_, detail, before_message=not after_message)


def _unreachable(exc: BaseException) -> str:
    timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
    return SMTP_TIMEOUT if timed_out else SMTP_UNAVAILABLE


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
