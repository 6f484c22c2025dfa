"""E-mail delivery: the pure decisions (retries, backoff, dead letter, exactly once on the
notice's stream), addresses and Message-IDs; and the SMTP client against a real local SMTP
server (aiosmtpd), answering, refusing, slow or down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from gsi_kernel.errors import Conflict
from gsi_kernel.events import DomainEvent
from notifications.deliveries import domain as delivery
from notifications.deliveries.addresses import address_problem, message_id
from notifications.deliveries.domain import Failure, RetryPolicy, Status
from notifications.deliveries.events import (
    EmailAttemptFailed,
    EmailAttemptStarted,
    EmailDeadLettered,
    EmailRetryRequested,
    EmailSent,
)
from notifications.deliveries.mailer import Sender, SendFailure, SmtpMailer, compose
from notifications.emails.templates import RenderedEmail
from notifications.event_registry import EVENTS
from notifications.notices.events import NoticeRecorded
from notifications.notices.values import Audience, NoticeKind, Recipient
from notifications.settings import NotificationsSettings
from tests.smtp import SmtpServer, smtp_server

NOW = datetime(2026, 8, 21, 15, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, backoff=timedelta(seconds=30), backoff_max=timedelta(seconds=100))
UNAVAILABLE = Failure(delivery.SMTP_UNAVAILABLE, "Connection refused")


def notice(*emails: str | None) -> NoticeRecorded:
    return NoticeRecorded(
        dedupe_key="org-a:2026-2027-Q1:quarter_locked",
        kind=NoticeKind.QUARTER_LOCKED,
        organization_id="org-a",
        audience=Audience.ORGANIZATION,
        quarter="2026-2027-Q1",
        title_fr="T",
        title_en="T",
        data={"organization_name": "A"},
        recipients=tuple(Recipient(email=e) for e in emails),
    )


def begin(
    history: list[DomainEvent], now: datetime = NOW, problem: Failure | None = None
) -> list[DomainEvent]:
    address = delivery.recipient_of(history, 0).email
    return delivery.begin_attempt(history, 0, address=address, message_id="<m@x>", problem=problem, now=now)


def started(history: list[DomainEvent], now: datetime = NOW) -> EmailAttemptStarted:
    events = begin(history, now)
    assert len(events) == 1
    assert isinstance(events[0], EmailAttemptStarted)
    history.append(events[0])
    return events[0]


# ---- retry policy and decisions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("failed_attempts", "seconds"), [(1, 30), (2, 60), (3, 100), (10, 100), (50, 100), (0, 30)]
)
def test_backoff_doubles_up_to_its_cap(failed_attempts: int, seconds: int) -> None:
    assert POLICY.delay(failed_attempts) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (delivery.SMTP_REJECTED, delivery.SMTP_REJECTED),
        (delivery.IN_DOUBT, delivery.IN_DOUBT),
        (delivery.TEMPLATE_ERROR, delivery.TEMPLATE_ERROR),
    ],
)
def test_permanent_failures_and_unknown_outcomes_go_to_the_dead_letter_at_once(
    code: str, reason: str
) -> None:
    history: list[DomainEvent] = [notice("a@org.example")]
    attempt = started(history)
    [dead] = delivery.conclude_failed(history, attempt, Failure(code, "why"), now=NOW, policy=POLICY)
    assert isinstance(dead, EmailDeadLettered)
    assert (dead.reason, dead.attempts, dead.error) == (reason, 1, code)


@pytest.mark.parametrize("code", [delivery.SMTP_TEMPORARY, delivery.SMTP_UNAVAILABLE, delivery.SMTP_TIMEOUT])
def test_transient_failures_are_retried_later_then_dead_lettered_after_n_attempts(code: str) -> None:
    history: list[DomainEvent] = [notice("a@org.example")]
    now = NOW
    for wait in (30, 60):  # attempts 1 and 2 fail: retried 30 s, then 60 s later
        attempt = started(history, now)
        [failed] = delivery.conclude_failed(history, attempt, Failure(code, "x"), now=now, policy=POLICY)
        assert isinstance(failed, EmailAttemptFailed)
        assert failed.next_attempt_at == now + timedelta(seconds=wait)
        history.append(failed)
        assert begin(history, now + timedelta(seconds=wait - 1)) == []  # not due yet
        now += timedelta(seconds=wait)
    attempt = started(history, now)
    [dead] = delivery.conclude_failed(history, attempt, Failure(code, "x"), now=now, policy=POLICY)
    assert isinstance(dead, EmailDeadLettered)
    assert (dead.reason, dead.error, dead.attempts) == (delivery.MAX_ATTEMPTS, code, 3)
    history.append(dead)
    assert begin(history, now + timedelta(days=30)) == []  # no more automatic attempts


def test_an_administrators_retry_starts_a_new_round_with_attempt_numbers_going_on() -> None:
    history: list[DomainEvent] = [notice("a@org.example")]
    attempt = started(history)
    history += delivery.conclude_failed(
        history, attempt, Failure(delivery.SMTP_REJECTED, "550"), now=NOW, policy=POLICY
    )
    history += delivery.request_retry(history, 0, "admin-1")
    assert delivery.state_of(history, 0).status is Status.PENDING
    assert started(history).attempt == 2
    history += delivery.conclude_failed(history, history[-1], UNAVAILABLE, now=NOW, policy=POLICY)  # type: ignore[arg-type]
    assert delivery.state_of(history, 0).status is Status.RETRYING  # a fresh round of 3


def test_an_attempt_started_and_never_concluded_is_dead_lettered_in_doubt_not_sent_again() -> None:
    history: list[DomainEvent] = [notice("a@org.example")]
    first = started(history)
    [dead] = begin(history, NOW + timedelta(hours=1))
    assert isinstance(dead, EmailDeadLettered)
    assert dead.reason == delivery.IN_DOUBT
    assert first.message_id in dead.detail
    history.append(dead)
    # The slow first sender comes back: the server did accept it — that is recorded, once.
    [sent] = delivery.conclude_sent(history, first)
    assert isinstance(sent, EmailSent)
    history.append(sent)
    assert delivery.state_of(history, 0).status is Status.SENT
    assert delivery.conclude_sent(history, first) == []
    assert delivery.conclude_failed(history, first, UNAVAILABLE, now=NOW, policy=POLICY) == []


def test_nothing_starts_while_another_attempt_is_being_sent_or_once_sent() -> None:
    history: list[DomainEvent] = [notice("a@org.example")]
    attempt = started(history)
    history += delivery.conclude_sent(history, attempt)
    assert begin(history) == []


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (Failure(delivery.NO_EMAIL, "none"), delivery.NO_EMAIL),
        (Failure(delivery.INVALID_EMAIL, "bad"), delivery.INVALID_EMAIL),
        (Failure(delivery.TEMPLATE_ERROR, "missing deadline"), delivery.TEMPLATE_ERROR),
    ],
)
def test_a_message_that_cannot_exist_is_dead_lettered_without_an_attempt(
    problem: Failure, reason: str
) -> None:
    [dead] = begin([notice("a@org.example")], problem=problem)
    assert isinstance(dead, EmailDeadLettered)
    assert (dead.reason, dead.attempts, dead.detail) == (reason, 0, problem.detail)


@pytest.mark.parametrize(
    ("emails", "history_tail", "code"),
    [
        (("a@org.example",), [], "delivery.not_dead"),
        ((None,), [EmailDeadLettered(recipient=0, address=None, attempts=0, reason="recipient.no_email",
                                     error="recipient.no_email", detail="")], "delivery.not_retryable"),
        (("not an address",), [EmailDeadLettered(recipient=0, address="not an address", attempts=0,
                                                 reason="recipient.invalid_email", error=None, detail="")],
         "delivery.not_retryable"),
    ],
)  # fmt: skip
def test_retry_refuses_what_is_not_dead_or_could_never_be_sent(
    emails: tuple[str | None, ...], history_tail: list[DomainEvent], code: str
) -> None:
    with pytest.raises(Conflict) as refused:
        delivery.request_retry([notice(*emails), *history_tail], 0, "admin-1")
    assert refused.value.code == code


def test_one_email_per_address_whatever_its_case_and_one_dead_letter_per_recipient_without() -> None:
    recorded = notice("a@org.example", None, "A@Org.Example ", "b@org.example", None)
    assert delivery.deliveries_of(recorded) == [0, 1, 3, 4]


def test_delivery_events_survive_the_store_round_trip() -> None:
    failed = EmailAttemptFailed(
        recipient=1, address="a@org.example", attempt=2, error="smtp.timeout", detail="x", next_attempt_at=NOW
    )
    for event in (failed, EmailRetryRequested(recipient=1, requested_by="admin")):
        assert EVENTS.decode(event.event_type, event.schema_version, event.to_payload()) == event


# ---- addresses and Message-IDs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("sophie.tremblay@org-estrie.qc.ca", True),
        ("o'neil+gsi@example.com", True),
        ("a@b.co", True),
        ("sophie", False),
        ("sophie@localhost", False),
        ("sophie@org..ca", False),
        ("sophie.@org.ca", False),
        ("so phie@org.ca", False),
        ("sophie@org.ca\r\nBcc: x@evil.example", False),
        ("<sophie@org.ca>", False),
        ("sophie@-org.ca", False),
        ("sophie@10.0.0.1", False),
        ("élodie@org.ca", False),
        ("x" * 65 + "@org.ca", False),
        ("a@" + "b" * 250 + ".ca", False),
    ],
)
def test_addresses_that_cannot_go_in_an_smtp_envelope_are_refused(address: str, valid: bool) -> None:
    assert (address_problem(address) is None) is valid


def test_the_message_id_is_stable_per_notice_and_address() -> None:
    first = message_id("n-1", "Sophie@Org.ca", "gsi.example.qc.ca")
    assert first == message_id("n-1", "sophie@org.ca ", "gsi.example.qc.ca")
    assert first != message_id("n-2", "sophie@org.ca", "gsi.example.qc.ca")
    assert first != message_id("n-1", "ana@org.ca", "gsi.example.qc.ca")
    assert first.startswith("<")
    assert first.endswith("@gsi.example.qc.ca>")


# ---- the SMTP client against a real server -------------------------------------------------

RENDERED = RenderedEmail(
    subject="Rapport T1 2026-2027 refusé",
    text="Bonjour,\n.\n..un point en tête de ligne\nFin.\n",
    html="<p>Bonjour &amp; bienvenue</p>",
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def mailer_for(server: SmtpServer, **settings: float) -> tuple[SmtpMailer, Sender]:
    configured = NotificationsSettings(**server.settings(**settings))
    return SmtpMailer(configured), Sender.parse(configured.mail_from)


def send(mailer: SmtpMailer, sender: Sender, to: str = "sophie@org.example") -> None:
    message = compose(
        sender, RENDERED, to=to, name="Sophie Trépanier", message_id="<m-1@gsi.example.qc.ca>",
        language="fr", date=NOW, kind="report_rejected",
    )  # fmt: skip
    mailer.send(message, to=to)


def test_the_server_receives_a_multipart_message_with_stable_headers(smtp: SmtpServer) -> None:
    mailer, sender = mailer_for(smtp)
    send(mailer, sender)
    send(mailer, sender, "ana@org.example")  # the same connection
    mailer.close()
    first, second = smtp.wait_for(2)
    assert (first.mail_from, first.rcpt_tos, second.rcpt_tos) == (
        "no-reply@gsi.example.qc.ca", ("sophie@org.example",), ("ana@org.example",)
    )  # fmt: skip
    message = first.message
    assert message["Message-ID"] == "<m-1@gsi.example.qc.ca>"
    assert message["X-GSI-Notice-Kind"] == "report_rejected"
    assert message["Subject"] == "Rapport T1 2026-2027 refusé"
    assert message["To"] == "Sophie Trépanier <sophie@org.example>"
    assert (message["Auto-Submitted"], message["Content-Language"]) == ("auto-generated", "fr")
    assert message.get_content_type() == "multipart/alternative"
    assert first.body("plain") == RENDERED.text  # dot-stuffing undone, lines intact
    assert "<p>Bonjour &amp; bienvenue</p>" in first.body("html")


@pytest.mark.parametrize(
    ("where", "answer", "code", "session"),
    [
        ("rcpt", "550 5.1.1 No such user", delivery.SMTP_REJECTED, False),
        ("rcpt", "451 4.3.0 Try again later", delivery.SMTP_TEMPORARY, False),
        ("data", "554 5.6.0 Message refused", delivery.SMTP_REJECTED, False),
        ("data", "452 4.3.1 Insufficient storage", delivery.SMTP_TEMPORARY, False),
        ("rcpt", "421 4.3.2 Shutting down", delivery.SMTP_UNAVAILABLE, True),
    ],
)
def test_refusals_are_sorted_into_permanent_and_transient(
    smtp: SmtpServer, where: str, answer: str, code: str, session: bool
) -> None:
    setattr(smtp, f"answer_{where}", answer)
    mailer, sender = mailer_for(smtp)
    with pytest.raises(SendFailure) as refused:
        send(mailer, sender)
    assert (refused.value.failure.code, refused.value.session) == (code, session)
    assert answer.split()[0] in refused.value.failure.detail
    setattr(smtp, f"answer_{where}", None)
    send(mailer, sender)  # the connection was reset (or reopened) for the next message
    assert len(smtp.wait_for(1)) == 1


def test_a_server_that_is_down_is_unavailable_and_a_restarted_one_is_reconnected(smtp: SmtpServer) -> None:
    mailer, sender = mailer_for(smtp)
    send(mailer, sender)
    smtp.stop()
    with pytest.raises(SendFailure) as down:
        send(mailer, sender)
    assert (down.value.failure.code, down.value.session) == (delivery.SMTP_UNAVAILABLE, True)
    smtp.start()
    send(mailer, sender)
    assert len(smtp.wait_for(2)) == 2


def test_a_slow_answer_before_the_message_is_a_timeout_to_retry(smtp: SmtpServer) -> None:
    smtp.slow_rcpt_s = 1.0
    mailer, sender = mailer_for(smtp, smtp_timeout_seconds=0.3)
    with pytest.raises(SendFailure) as slow:
        send(mailer, sender)
    assert (slow.value.failure.code, slow.value.before_message) == (delivery.SMTP_TIMEOUT, True)
    assert smtp.wait_for(1, timeout_s=1.5) == []


def test_a_lost_answer_after_the_message_is_in_doubt(smtp: SmtpServer) -> None:
    smtp.slow_data_s = 1.0
    mailer, sender = mailer_for(smtp, smtp_timeout_seconds=0.3)
    with pytest.raises(SendFailure) as lost:
        send(mailer, sender)
    assert (lost.value.failure.code, lost.value.before_message) == (delivery.IN_DOUBT, False)
    assert len(smtp.wait_for(1, timeout_s=3)) == 1  # the server did take it: never send it again
