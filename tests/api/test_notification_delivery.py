"""E-mail delivery end to end in the notifications service: notices recorded on its event store,
the delivery log projected, delivery workers sending to a real SMTP server (aiosmtpd) — each
e-mail exactly once, through retries, an SMTP outage, two instances at once and a crash — and
the administrators' API: the delivery log, retry of a dead letter, template preview."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from notifications.bootstrap import build_app
from notifications.deliveries.mailer import Mailer
from notifications.inbox.projection import inbox
from notifications.notices.values import NoticeKind
from tests.e2e.flow import token
from tests.notifications_support import (
    Notifications,
    another_instance,
    drain,
    notifications_service,
    recipient,
)
from tests.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, smtp: SmtpServer) -> Iterator[Notifications]:
    with notifications_service(tmp_path, smtp.settings()) as notifications:
        yield notifications


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer) -> Iterator[Notifications]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with notifications_service(tmp_path, smtp.settings(), postgres_url=url) as notifications:
        yield notifications


# ---- delivery --------------------------------------------------------------------------------


def test_each_recipient_gets_one_email_in_their_language_and_the_unreachable_a_dead_letter(
    service: Notifications, smtp: SmtpServer
) -> None:
    stream = service.notice(
        [
            recipient("sophie@org-estrie.example", "Sophie Tremblay", "fr"),
            recipient("Bob@Org-Estrie.example", "Bob Smith", "en"),
            recipient("bob@org-estrie.example", "Bob again", "fr"),  # the same address: one e-mail
            recipient(None, "Paul Roy", user_id="paul"),
            recipient("paul at org-estrie", "Paul Roy"),
        ]
    )
    assert drain(service.worker()) == 4
    received = smtp.wait_for(2)
    assert sorted(m.to for m in received) == ["Bob@Org-Estrie.example", "sophie@org-estrie.example"]
    [fr] = smtp.to("sophie@org-estrie.example")
    [en] = smtp.to("Bob@Org-Estrie.example")
    assert fr.message["Subject"].startswith("Rapport T1 2026-2027 refusé")
    assert en.message["Subject"].startswith("Q1 2026-2027 report rejected")
    assert en.body("plain").startswith("Hello Bob Smith,")
    rows = {r["recipient"]: r for r in service.rows()}
    assert sorted(rows) == [0, 1, 3, 4]
    assert [rows[i]["status"] for i in (0, 1)] == ["sent", "sent"]
    assert rows[0]["message_id"] == fr.message["Message-ID"]
    assert (rows[3]["status"], rows[3]["dead_reason"], rows[3]["attempts"]) == (
        "dead",
        "recipient.no_email",
        0,
    )
    assert (rows[4]["status"], rows[4]["dead_reason"]) == ("dead", "recipient.invalid_email")
    assert all(r["claimed_by"] is None for r in rows.values())
    # The notice itself is untouched and still in the inbox.
    assert service.types(stream)[0] == "NoticeRecorded"
    with service.kernel.db.transaction() as connection:
        assert connection.execute(inbox.select().where(inbox.c.dedupe_key.like("org-estrie:%"))).first()


def test_the_service_as_wired_delivers_in_the_background(tmp_path: Path, smtp: SmtpServer) -> None:
    with notifications_service(tmp_path, smtp.settings(), run_workers=True) as service:
        service.notice([recipient("sophie@org-estrie.example"), recipient("ana@org-estrie.example")])
        assert sorted(m.to for m in smtp.wait_for(2, timeout_s=20)) == [
            "ana@org-estrie.example",
            "sophie@org-estrie.example",
        ]
        assert service.kernel.workers_report().verdicts["delivery"] == "ok"


def test_transient_failures_are_retried_with_backoff_then_dead_lettered(
    service: Notifications, smtp: SmtpServer
) -> None:
    smtp.answer_rcpt = "451 4.3.0 Mailbox busy, try again later"
    service.notice([recipient("sophie@org-estrie.example")])
    worker = service.worker()
    schedule = []
    for wait in (60, 90, None):  # 60 s, then doubled but capped at 90 s; the 3rd attempt is the last
        assert worker.run_once() == 1
        [row] = service.rows()
        schedule.append((row["status"], row["attempts"], row["last_error"]))
        if wait is None:
            break
        assert row["next_attempt_at"] == service.clock.now() + timedelta(seconds=wait)
        service.clock.advance(timedelta(seconds=wait - 1))
        assert worker.run_once() == 0  # not due yet
        service.clock.advance(timedelta(seconds=1))
    assert schedule == [
        ("retrying", 1, "smtp.temporary"),
        ("retrying", 2, "smtp.temporary"),
        ("dead", 3, "smtp.temporary"),
    ]
    [row] = service.rows()
    assert row["dead_reason"] == "delivery.max_attempts"
    assert "451" in row["error_detail"]
    service.clock.advance(timedelta(days=1))
    assert worker.run_once() == 0
    assert smtp.received == []


def test_a_5xx_answer_dead_letters_at_once(service: Notifications, smtp: SmtpServer) -> None:
    smtp.answer_rcpt = "550 5.1.1 No such mailbox"
    service.notice([recipient("gone@org-estrie.example")])
    assert service.worker().run_once() == 1
    [row] = service.rows()
    assert (row["status"], row["attempts"], row["dead_reason"]) == ("dead", 1, "smtp.rejected")


def test_smtp_down_then_up_delivers_every_email_once(tmp_path: Path) -> None:
    with (
        smtp_server(started=False) as smtp,
        notifications_service(tmp_path, smtp.settings()) as service,
    ):
        addresses = [f"contact{n}@org-estrie.example" for n in range(5)]
        for address in addresses:
            service.notice([recipient(address)])
        worker = service.worker()
        assert worker.run_once() == 1  # the first one fails; the worker pauses instead of trying all
        assert [r["status"] for r in service.rows()] == [
            "retrying",
            "pending",
            "pending",
            "pending",
            "pending",
        ]
        assert worker.run_once() == 0  # paused
        smtp.start()
        service.clock.advance(timedelta(seconds=60))
        assert drain(worker) == 5
        service.clock.advance(timedelta(hours=2))
        assert drain(worker) == 0
        assert sorted(m.to for m in smtp.wait_for(5)) == addresses
        assert [r["status"] for r in service.rows()] == ["sent"] * 5


def test_a_template_error_is_recorded_and_the_batch_goes_on(service: Notifications, smtp: SmtpServer) -> None:
    broken = service.notice(
        [recipient("sophie@org-estrie.example")],
        kind=NoticeKind.DEADLINE_REMINDER,
        data={"organization_name": "Org", "quarter": "2026-2027-Q1"},  # no deadline, no days_left
    )
    service.notice([recipient("ana@org-estrie.example")], kind=NoticeKind.QUARTER_LOCKED)
    assert drain(service.worker()) == 2
    dead, sent = service.rows()
    assert (dead["status"], dead["dead_reason"]) == ("dead", "template.error")
    assert "'deadline' is undefined" in dead["error_detail"]
    assert sent["status"] == "sent"
    assert [m.to for m in smtp.wait_for(1)] == ["ana@org-estrie.example"]
    assert service.types(broken) == ["NoticeRecorded", "EmailDeadLettered"]


def test_a_notice_recorded_again_sends_nothing_more(service: Notifications, smtp: SmtpServer) -> None:
    for _ in range(3):  # a redelivered event, a replay, a second scheduler: the same key
        service.notice([recipient("sophie@org-estrie.example")], key="org-estrie:2026-2027-Q1:quarter_locked")
        drain(service.worker())
    assert len(smtp.wait_for(1)) == 1
    assert len(service.rows()) == 1


def test_two_instances_at_once_send_each_email_once(any_database: Notifications, smtp: SmtpServer) -> None:
    service = any_database
    streams = [
        service.notice([recipient(f"a{n}@org.example"), recipient(f"b{n}@org.example", language="en")])
        for n in range(30)
    ]
    other = another_instance(service)
    try:
        # Batches of 8: each instance comes back for more while the other one is sending.
        workers = [
            service.worker(holder="instance-1", delivery_batch=8),
            other.worker(holder="instance-2", delivery_batch=8),
        ]
        start = threading.Barrier(2)
        handled = [0, 0]

        def run(index: int) -> None:
            start.wait()
            handled[index] = drain(workers[index], passes=200)

        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        other.kernel.stop()
    received = smtp.wait_for(60)
    assert sum(handled) == 60
    assert min(handled) >= 8  # both took part
    assert len(received) == 60
    assert len({m.to for m in received}) == 60
    assert {r["status"] for r in service.rows()} == {"sent"}
    for stream in streams:
        assert service.types(stream).count("EmailAttemptStarted") == 2


class Crash(BaseException):
    """The process dies (not an error any handler would catch)."""


class CrashingMailer:
    """Sends for real through ``inner``, and dies around the ``at``-th message."""

    def __init__(self, inner: Mailer, *, at: int, after_send: bool) -> None:
        self._inner, self._at, self._after, self.sent = inner, at, after_send, 0

    def send(self, message: Message, *, to: str) -> None:
        self.sent += 1
        if self.sent == self._at and not self._after:
            raise Crash
        self._inner.send(message, to=to)
        if self.sent == self._at:
            raise Crash

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize(("after_send", "copies"), [(True, 1), (False, 0)])
def test_a_crash_mid_batch_sends_no_duplicate_after_the_restart(
    any_database: Notifications, smtp: SmtpServer, after_send: bool, copies: int
) -> None:
    service = any_database
    for n in range(6):
        service.notice([recipient(f"c{n}@org.example")])
    crashing = CrashingMailer(service.worker()._mailer, at=3, after_send=after_send)
    with pytest.raises(Crash):
        service.worker(crashing, holder="doomed").run_once()
    restarted = another_instance(service)
    try:
        survivor = restarted.worker(holder="survivor")
        assert drain(survivor) == 3  # the rows the dead one never reached
        service.clock.advance(timedelta(seconds=61))  # its lease on the third one runs out
        assert drain(survivor) == 1
        service.clock.advance(timedelta(hours=1))
        assert drain(survivor) == 0
    finally:
        restarted.kernel.stop()
    received = smtp.wait_for(5 + copies)
    assert sorted(m.to for m in received) == sorted(
        f"c{n}@org.example" for n in range(6) if n != 2 or copies
    )  # one e-mail per address at most: the one that may have left is never sent again
    rows = {r["address"]: r for r in service.rows()}
    assert (rows["c2@org.example"]["status"], rows["c2@org.example"]["dead_reason"]) == (
        "dead",
        "delivery.in_doubt",
    )
    assert {rows[f"c{n}@org.example"]["status"] for n in (0, 1, 3, 4, 5)} == {"sent"}


def test_an_answer_lost_after_the_data_is_never_sent_twice(tmp_path: Path, smtp: SmtpServer) -> None:
    smtp.slow_data_s = 1.0
    with notifications_service(tmp_path, smtp.settings(smtp_timeout_seconds=0.3)) as service:
        service.notice([recipient("sophie@org-estrie.example")])
        worker = service.worker()
        assert worker.run_once() == 1
        service.clock.advance(timedelta(days=1))
        assert drain(worker) == 0
        [row] = service.rows()
        assert (row["status"], row["dead_reason"]) == ("dead", "delivery.in_doubt")
        assert len(smtp.wait_for(1)) == 1


def test_an_outcome_the_database_refuses_is_kept_and_recorded_later(
    service: Notifications, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = service.notice([recipient("sophie@org-estrie.example"), recipient("ana@org-estrie.example")])
    writer = service.kernel.writer
    execute = writer.execute
    outage = {"left": 2}

    def failing(stream_id: str, decide: Any, context: Any, **options: Any) -> Any:
        executed = execute(stream_id, decide, context, **options)
        if any(e.type == "EmailSent" for e in executed.events) and outage["left"]:
            outage["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("the database is gone"))
        return executed

    monkeypatch.setattr(writer, "execute", failing)
    worker = service.worker()
    assert worker.run_once() == 1  # sent, its outcome refused: the batch stops there
    assert worker.run_once() == 0  # still refused
    assert worker.run_once() == 1  # recorded, then the second one
    assert drain(worker) == 0
    assert sorted(m.to for m in smtp.wait_for(2)) == ["ana@org-estrie.example", "sophie@org-estrie.example"]
    assert service.types(stream).count("EmailSent") == 2
    assert {r["status"] for r in service.rows()} == {"sent"}


# ---- the administrators' API ---------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[TestClient, Notifications]]:
    with (
        notifications_service(tmp_path, smtp.settings(), start=False) as service,
        TestClient(build_app(service.container)) as client,
    ):
        yield client, service


def admin(client: TestClient) -> dict[str, str]:
    return token(client, user_id="mifi-admin", roles=["admin"])


def test_the_delivery_log_is_listed_filtered_and_paged(api: tuple[TestClient, Notifications]) -> None:
    client, service = api
    service.notice([recipient("sophie@org-estrie.example"), recipient(None)], kind=NoticeKind.QUARTER_LOCKED)
    service.notice([recipient("Ana@Org-Laval.example")], organization="org-laval")
    drain(service.worker())
    headers = admin(client)

    def listed(**query: Any) -> tuple[int, list[tuple[str | None, str]]]:
        answer = client.get("/deliveries", params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body["total"], [(d["address"], d["status"]) for d in body["items"]]

    assert listed()[0] == 3
    assert listed(status="dead") == (1, [(None, "dead")])
    assert listed(kind="report_rejected") == (1, [("Ana@Org-Laval.example", "sent")])
    assert listed(organization_id="org-estrie")[0] == 2
    assert listed(address="ana@org-laval.EXAMPLE") == (1, [("Ana@Org-Laval.example", "sent")])
    assert listed(limit=2, offset=2)[0] == 3
    assert len(listed(limit=2, offset=2)[1]) == 1
    refused = client.get("/deliveries", params={"status": "lost"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_field")


def test_one_delivery_and_an_unknown_one(api: tuple[TestClient, Notifications]) -> None:
    client, service = api
    service.notice([recipient("sophie@org-estrie.example", "Sophie")])
    drain(service.worker())
    [row] = service.rows()
    answer = client.get(f"/deliveries/{row['delivery_id']}", headers=admin(client))
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in ("address", "recipient_name", "status", "attempts", "kind")} == {
        "address": "sophie@org-estrie.example",
        "recipient_name": "Sophie",
        "status": "sent",
        "attempts": 1,
        "kind": "report_rejected",
    }
    missing = client.get(f"/deliveries/{'0' * 36}", headers=admin(client))
    assert (missing.status_code, missing.json()["code"]) == (404, "delivery.not_found")


def test_a_dead_letter_is_sent_again_on_an_administrators_retry(
    api: tuple[TestClient, Notifications], smtp: SmtpServer
) -> None:
    client, service = api
    smtp.answer_rcpt = "550 5.2.1 Mailbox disabled"
    service.notice([recipient("sophie@org-estrie.example"), recipient(None, "Paul")])
    worker = service.worker()
    drain(worker)
    dead, no_email = service.rows()
    assert (dead["status"], dead["dead_reason"]) == ("dead", "smtp.rejected")
    smtp.answer_rcpt = None  # the organization had the mailbox enabled again
    headers = admin(client)
    retried = client.post(f"/deliveries/{dead['delivery_id']}/retry", headers=headers)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["dead_reason"]) == ("pending", None)
    assert drain(worker) == 1
    [received] = smtp.wait_for(1)
    sent = client.get(f"/deliveries/{dead['delivery_id']}", headers=headers).json()
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert received.message["Message-ID"] == sent["message_id"] == dead["message_id"]
    for delivery_id, code in ((dead["delivery_id"], "delivery.not_dead"), (no_email["delivery_id"], "delivery.not_retryable")):  # fmt: skip
        again = client.post(f"/deliveries/{delivery_id}/retry", headers=headers)
        assert (again.status_code, again.json()["code"]) == (409, code)
        assert again.json()["message"]["fr"]
        assert again.json()["message"]["en"]


@pytest.mark.parametrize(
    ("kind", "language", "subject"),
    [
        (
            "report_rejected",
            "fr",
            "Rapport T1 2026-2027 refusé : corrections à soumettre d'ici le 1er septembre 2026",
        ),
        ("report_rejected", "en", "Q1 2026-2027 report rejected: corrections to submit by September 1, 2026"),
        ("quarter_locked", "fr", "Trimestre T1 2026-2027 verrouillé"),
        ("import_finished", "en", "Import finished: interventions-juillet.csv"),
    ],
)
def test_a_template_previews_with_its_sample_data(
    api: tuple[TestClient, Notifications], kind: str, language: str, subject: str
) -> None:
    client, _ = api
    answer = client.post(f"/templates/{kind}/preview", json={"language": language}, headers=admin(client))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["kind"], body["language"], body["subject"]) == (kind, language, subject)
    assert body["text"].startswith("Bonjour," if language == "fr" else "Hello,")
    assert body["html"].startswith("<!DOCTYPE html>")


def test_a_template_previews_with_given_data_and_refuses_what_does_not_fit(
    api: tuple[TestClient, Notifications],
) -> None:
    client, _ = api
    headers = admin(client)
    data = {
        "organization_name": "Accueil <Laval>",
        "quarter": "2026-2027-Q2",
        "deadline": "2026-10-30",
        "days_left": 1,
    }
    given = client.post(
        "/templates/deadline_reminder/preview",
        json={"language": "fr", "data": data, "recipient_name": "Ana"},
        headers=headers,
    )
    assert given.status_code == 200, given.text
    assert given.json()["subject"] == "Rappel : rapport T2 2026-2027 à soumettre d'ici le 30 octobre 2026"
    assert "(demain)" in given.json()["text"]
    assert "Accueil &lt;Laval&gt;" in given.json()["html"]
    unknown = client.post("/templates/birthday/preview", json={}, headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "template.unknown_kind")
    bad = client.post(
        "/templates/deadline_reminder/preview",
        json={"data": {**data, "deadline": "bientôt"}},
        headers=headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "template.invalid_data")
    assert bad.json()["message"]["fr"].startswith("Les données ne conviennent pas")
    assert bad.json()["message"]["en"].startswith("The data does not fit")
    assert "bientôt" in bad.json()["details"]["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/deliveries", None),
        ("GET", f"/deliveries/{'0' * 36}", None),
        ("POST", f"/deliveries/{'0' * 36}/retry", None),
        ("POST", "/templates/quarter_locked/preview", {}),
    ],
)
@pytest.mark.parametrize("role", ["org_staff", "org_manager", "ministry_reviewer"])
def test_only_administrators_may_see_deliveries_and_templates(
    api: tuple[TestClient, Notifications], method: str, path: str, body: Any, role: str
) -> None:
    client, _ = api
    headers = token(
        client,
        user_id="someone",
        roles=[role],
        organization="org-estrie",
        assigned_organizations=["org-estrie"],
    )
    answer = client.request(method, path, json=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (403, "auth.forbidden_role")
    anonymous = client.request(method, path, json=body)
    assert anonymous.status_code == 401
