"""``uv run python -m bench.notifications``: e-mail delivery on PostgreSQL (+ Kafka).

1. 1,000 reminders (``deadline_reminder`` notices, half in French, half in English) rendered and
   delivered by one delivery worker — claim, render, record the attempt, SMTP, record the
   outcome — to a local SMTP server (aiosmtpd, in its own process); target < 30 s;
2. event → e-mail over Kafka: the notifications service runs as its own process; reporting's
   ``OrganizationRegistered`` events are published first (the organizations' contacts), then
   ``ReportRejected`` events at a steady rate, each timed until the SMTP server accepts the
   rejection notice's e-mail to the organization's contact; target p99 < 1 s.

Needs ``GSI_TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS`` (``make bench`` starts both).
Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.registration import drop_schema, start_service
from gsi_contracts import reporting
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Message, Producer
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent
from notifications.bootstrap import build, delivery_worker
from notifications.deliveries.mailer import SmtpMailer
from notifications.emails.samples import sample
from notifications.emails.templates import Renderer
from notifications.notices.domain import notice_stream
from notifications.notices.events import NoticeRecorded
from notifications.notices.values import Audience, NoticeKind, Recipient
from notifications.settings import NotificationsSettings

QUARTER = "2026-2027-Q1"


class SmtpSink:
    """The SMTP server process, and when each recipient's first message reached it."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", str(self.port)], stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        self.received: dict[str, float] = {}
        self.count = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            at, rcpt = line.split()
            self.received.setdefault(rcpt, float(at))
            self.count += 1

    def wait_for(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.count < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)


def create_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def reminders(count: int) -> list[tuple[str, list[DomainEvent]]]:
    """``count`` notice streams, one reminder each, to one contact each (French, then English)."""
    streams: list[tuple[str, list[DomainEvent]]] = []
    for n in range(count):
        key = f"org-{n:04d}:{QUARTER}:deadline_reminder:d{(15, 7, 1)[n % 3]}"
        data = {**sample(NoticeKind.DEADLINE_REMINDER), "days_left": (15, 7, 1)[n % 3]}
        contact = Recipient(
            email=f"direction@org-{n:04d}.example", name=f"Direction {n}", language=("fr", "en")[n % 2]
        )
        notice = NoticeRecorded(
            dedupe_key=key, kind=NoticeKind.DEADLINE_REMINDER, organization_id=f"org-{n:04d}",
            audience=Audience.ORGANIZATION, quarter=QUARTER, title_fr="Rappel", title_en="Reminder",
            data=data, recipients=(contact,),
        )  # fmt: skip
        streams.append((notice_stream(key), [notice]))
    return streams


def render_rate(count: int) -> float:
    renderer = Renderer()
    data = sample(NoticeKind.DEADLINE_REMINDER)
    started = time.perf_counter()
    for n in range(count):
        renderer.render(NoticeKind.DEADLINE_REMINDER, ("fr", "en")[n % 2], data, recipient_name="Direction")
    return count / (time.perf_counter() - started)


def bench_reminders(url: str, count: int) -> None:
    schema, data_dir = f"bench_notif_{uuid.uuid4().hex[:6]}", Path(tempfile.mkdtemp(prefix="gsi-bench-"))
    create_schema(url, schema)
    sink = SmtpSink()
    settings = NotificationsSettings(
        data_dir=data_dir, database_url=url, db_schema=schema, run_workers=False, smtp_port=sink.port
    )
    kernel = build(settings).kernel
    try:
        kernel.start()
        kernel.writer.append_new_streams(reminders(count), CommandContext.new("bench", None))
        worker = delivery_worker(kernel, settings, Renderer(), SmtpMailer(settings))
        started = time.perf_counter()
        while sink.count < count and time.perf_counter() - started < 300:
            if not worker.run_once():
                time.sleep(0.01)
        elapsed = time.perf_counter() - started
        worker.close()
        print(
            f"{f'{count:,} reminders rendered and delivered over SMTP':<52}{elapsed:>9.1f} s"
            f"   {sink.count / elapsed:,.0f} e-mails/s   (target < 30 s)"
        )
        print(f"{'  rendering alone (subject, text, HTML)':<52}{render_rate(count):>9,.0f} e-mails/s")
    finally:
        kernel.stop()
        sink.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_schema(schema)


def envelope(event: DomainEvent, stream_id: str, organization: str) -> EventEnvelope:
    now = datetime.now(UTC)
    return EventEnvelope(
        event_id=str(uuid.uuid4()), type=event.event_type, schema_version=event.schema_version,
        source="gsi/bench", stream_id=stream_id, stream_version=1, occurred_at=now, recorded_at=now,
        actor="bench", organization=organization, correlation_id=str(uuid.uuid4()), causation_id=None,
        traceparent=None, payload=event.to_payload(),
    )  # fmt: skip


def publish(producer: Producer, event: DomainEvent, stream_id: str, organization: str) -> None:
    producer.publish(
        [Message(reporting.TOPIC, stream_id, envelope(event, stream_id, organization).to_bytes())]
    )


def register(producer: Producer, organization: str) -> None:
    contact = reporting.OrganizationContact(
        name="Direction", email=f"direction@{organization}.example", role="director", language="fr"
    )
    event = reporting.OrganizationRegistered(
        organization_id=organization, name=f"Organisme {organization}", regions=("05",), contacts=(contact,)
    )
    publish(producer, event, f"organization-{organization}", organization)


def reject(producer: Producer, organization: str) -> None:
    event = reporting.ReportRejected(
        report_id=f"report-{organization}-{QUARTER}", organization_id=organization, quarter=QUARTER,
        submission_version=1, rejection_number=1, resubmission_due=date(2026, 9, 1),
        reason="Des suivis sont déclarés sans plan d'action actif.",
        items=(reporting.RejectedIntervention(intervention_id=str(uuid.uuid4()), reason="SUI sans plan"),),
        failed_checks=(reporting.FailedCheck(check="C5", severity="error", code="C5.no_active_plan", count=3),),
    )  # fmt: skip
    publish(producer, event, f"report-{organization}-{QUARTER}", organization)


def wait_for_organizations(url: str, schema: str, count: int) -> None:
    engine = create_engine(url)
    query = text(f'SELECT count(*) FROM "{schema}".organizations')
    deadline = time.monotonic() + 120
    with engine.connect() as connection:
        while (connection.execute(query).scalar() or 0) < count:
            connection.rollback()
            if time.monotonic() > deadline:
                raise RuntimeError("notifications never consumed the organizations")
            time.sleep(0.05)
    engine.dispose()


def notices_recorded(url: str, schema: str) -> dict[str, float]:
    """When each address's notice was recorded (the consumer's commit, by the service's clock)."""
    engine = create_engine(url)
    query = text(f'SELECT address, created_at FROM "{schema}".deliveries')
    with engine.connect() as connection:
        found = {row.address: row.created_at.timestamp() for row in connection.execute(query)}
    engine.dispose()
    return found


def _percentiles(delays: list[float]) -> str:
    p50, p99 = delays[len(delays) // 2], delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    return f"p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  max {delays[-1] * 1000:.0f} ms"


def bench_event_to_email(url: str, servers: str, events: int, rate: float) -> None:
    schema, data_dir = f"bench_notif_{uuid.uuid4().hex[:6]}", Path(tempfile.mkdtemp(prefix="gsi-bench-"))
    sink = SmtpSink()
    os.environ["GSI_NOTIFICATIONS_SMTP_PORT"] = str(sink.port)  # read by the service's process
    process = start_service("notifications", 18304, schema, data_dir)
    producer = KafkaBus(servers, client_id="bench", namespace=f"{schema}.").producer()
    try:
        organizations = [f"org-{n:04d}" for n in range(events + 1)]
        started = time.perf_counter()
        for organization in organizations:
            register(producer, organization)
        wait_for_organizations(url, schema, len(organizations))
        reject(producer, organizations[0])  # the consumer has joined its group once this arrives
        if not sink.wait_for(1, 120):
            raise RuntimeError("no e-mail for the first rejection")
        print(
            f"{'(notifications consuming, first e-mail, after start)':<52}{time.perf_counter() - started:>9.1f} s"
        )
        sent: dict[str, float] = {}
        begin = time.perf_counter()
        for n, organization in enumerate(organizations[1:]):
            time.sleep(max(0.0, begin + n / rate - time.perf_counter()))
            sent[f"direction@{organization}.example"] = time.time()
            reject(producer, organization)
        sink.wait_for(len(organizations), 30)
        delays = sorted(sink.received[a] - t for a, t in sent.items() if a in sink.received)
        print(
            f"{'ReportRejected on Kafka → e-mail accepted by SMTP':<52}{len(delays):>6,}/{len(sent):,} e-mails"
            f"   {_percentiles(delays)}   ({rate:.0f} events/s; target p99 < 1 s)"
        )
        recorded = notices_recorded(url, schema)
        consumed = sorted(recorded[a] - t for a, t in sent.items() if a in recorded)
        print(f"{'  of which: event → notice recorded (consumer)':<52}{'':>13}   {_percentiles(consumed)}")
    finally:
        producer.close()
        process.terminate()
        process.wait(20)
        sink.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_schema(schema)


def main() -> None:
    url = os.environ["GSI_TEST_DATABASE_URL"]
    bench_reminders(url, int(os.environ.get("GSI_BENCH_REMINDERS", "1000")))
    bench_event_to_email(
        url,
        os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        int(os.environ.get("GSI_BENCH_EVENTS", "300")),
        float(os.environ.get("GSI_BENCH_EVENT_RATE", "20")),
    )


if __name__ == "__main__":
    main()
