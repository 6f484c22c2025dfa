"""Notifications: reminders decided from the workflow other services publish, notices on their
events, the inbox per user, the scheduler's lease, the schedule and the ministry's directory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gsi_contracts import interventions, reporting
from gsi_kernel.store.tables import events
from tests.api.conftest import NotificationsService
from tests.consumers import deliver, published

SHERBROOKE, MONTREAL = "org-sherbrooke", "org-montreal"
Q1 = "2026-2027-Q1"


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)  # noon in Montréal (EDT)


def set_up_program(service: NotificationsService) -> None:
    for organization, name, language in (
        (SHERBROOKE, "Accueil Estrie", "fr"),
        (MONTREAL, "Welcome MTL", "en"),
    ):
        service.receive(
            reporting.OrganizationRegistered(
                organization_id=organization,
                name=name,
                regions=("05",),
                contacts=(
                    reporting.OrganizationContact(
                        name="Coordination",
                        email=f"coord@{organization}.qc.ca",
                        role="manager",
                        language=language,
                    ),
                ),
            )
        )
        service.receive(
            reporting.AgreementRecorded(
                agreement_id=f"agr-{organization}",
                organization_id=organization,
                program="PASI",
                volets=("V1", "V2"),
                starts_on=date(2026, 4, 1),
                ends_on=date(2027, 3, 31),
            )
        )
    service.receive(
        reporting.ReviewerAssigned(organization_id=SHERBROOKE, reviewer_id="nadia@mifi.gouv.qc.ca")
    )


def notices(service: NotificationsService) -> list[dict[str, Any]]:
    with service.kernel.db.transaction() as connection:
        rows = connection.execute(
            select(events.c.payload).where(events.c.type == "NoticeRecorded").order_by(events.c.position)
        ).scalars()
        return list(rows)


def inbox(service: NotificationsService, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = service.client.get("/inbox", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def live_through(
    service: NotificationsService, first: date, last: date, on: dict[date, Any] | None = None
) -> None:
    """Tick the scheduler once a day from ``first`` to ``last``; run ``on[day]`` that day first."""
    day = first
    while day <= last:
        service.clock.set(noon(day))
        if on and day in on:
            on[day]()
        service.tick()
        day += timedelta(days=1)


def test_journey_2_reminders_stop_once_the_report_is_submitted(notifications: NotificationsService) -> None:
    """Sherbrooke submits Q1 on July 24: D-15 (July 15) and D-7 (July 23) only. Montréal never
    submits: D-15, D-7, D-1, the missed deadline (to it and to its reviewer… it has none) and D+7."""
    set_up_program(notifications)
    submitted = reporting.ReportSubmitted(
        report_id="r-1", organization_id=SHERBROOKE, quarter=Q1, submission_version=1,
        interventions_count=40, persons_count=31, control_due=date(2026, 8, 29),
    )  # fmt: skip
    live_through(
        notifications, date(2026, 7, 1), date(2026, 8, 10),
        on={date(2026, 7, 24): lambda: notifications.receive(submitted)},
    )  # fmt: skip
    keys = [n["dedupe_key"] for n in notices(notifications)]
    assert [k for k in keys if k.startswith(SHERBROOKE)] == [
        f"{SHERBROOKE}:{Q1}:deadline_reminder:D-15",
        f"{SHERBROOKE}:{Q1}:deadline_reminder:D-7",
        f"{SHERBROOKE}:{Q1}:report_submitted:v1",
    ]
    assert [k for k in keys if k.startswith(MONTREAL)] == [
        f"{MONTREAL}:{Q1}:deadline_reminder:D-15",
        f"{MONTREAL}:{Q1}:deadline_reminder:D-7",
        f"{MONTREAL}:{Q1}:deadline_reminder:D-1",
        f"{MONTREAL}:{Q1}:deadline_missed:organization",
        f"{MONTREAL}:{Q1}:deadline_missed:ministry",
        f"{MONTREAL}:{Q1}:deadline_escalation:D+7:organization",
        f"{MONTREAL}:{Q1}:deadline_escalation:D+7:ministry",
    ]


def test_a_reminder_carries_its_recipients_language_titles_and_template_data(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    notifications.clock.set(noon(date(2026, 7, 23)))
    assert notifications.tick() == 2
    by_org = {n["organization_id"]: n for n in notices(notifications)}
    montreal = by_org[MONTREAL]
    assert montreal["recipients"] == [
        {"email": f"coord@{MONTREAL}.qc.ca", "name": "Coordination", "user_id": None, "language": "en"}
    ]
    assert montreal["data"] == {"organization_name": "Welcome MTL", "deadline": "2026-07-30", "days_left": 7}
    assert by_org[SHERBROOKE]["title_fr"] == "Rapport T1 2026-2027 : échéance dans 7 jour(s)"
    assert montreal["title_en"] == "Report Q1 2026-2027: due in 7 day(s)"


def test_the_calendar_reporting_publishes_replaces_the_default_deadline(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    notifications.receive(
        reporting.FiscalYearCalendarSet(
            fiscal_year="2026-2027",
            deadlines=(reporting.SubmissionDeadline(quarter=Q1, submission_due=date(2026, 8, 14)),),
            control_window_days=30,
            resubmission_business_days=10,
        )
    )
    notifications.clock.set(noon(date(2026, 7, 23)))
    assert notifications.tick() == 0  # the default (July 30) no longer applies
    notifications.clock.set(noon(date(2026, 8, 7)))
    assert {n["data"]["deadline"] for n in notices(notifications)} | {None} == {None}
    assert notifications.tick() == 2
    assert {n["data"]["deadline"] for n in notices(notifications)} == {"2026-08-14"}


def test_ticking_again_or_from_a_second_scheduler_records_nothing_twice(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    notifications.clock.set(noon(date(2026, 7, 15)))
    assert notifications.tick(holder="a") == 2
    # b waits for a's lease; once a's lease has lapsed, b takes over and finds the work done.
    assert notifications.tick(holder="b") == 0
    notifications.clock.advance(timedelta(minutes=5))
    assert notifications.tick(holder="b") == 0
    assert notifications.tick(holder="a") == 0  # a lost the lease to b
    assert len(notices(notifications)) == 2


def test_an_organization_without_agreement_for_the_quarter_gets_no_reminder(
    notifications: NotificationsService,
) -> None:
    notifications.receive(
        reporting.AgreementRecorded(
            agreement_id="agr-old", organization_id="org-gatineau", program="PASI", volets=("V1",),
            starts_on=date(2024, 4, 1), ends_on=date(2026, 3, 31),
        )
    )  # fmt: skip
    notifications.clock.set(noon(date(2026, 7, 15)))
    assert notifications.tick() == 0


def rejected(version: int = 1) -> reporting.ReportRejected:
    return reporting.ReportRejected(
        report_id="r-1", organization_id=SHERBROOKE, quarter=Q1, submission_version=version,
        rejection_number=version, reason="Interventions non conformes",
        items=(reporting.RejectedIntervention(intervention_id="i-7", reason="Personne non admissible"),),
        failed_checks=(reporting.FailedCheck(check="C5", severity="error", code="C5.no_active_plan", count=2),),
        resubmission_due=date(2026, 8, 20),
    )  # fmt: skip


def test_a_rejection_reaches_the_organization_with_reasons_once_whatever_is_redelivered(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    envelope = published(rejected(), occurred_at=notifications.clock.now())
    assert deliver(notifications.kernel, envelope)
    assert deliver(notifications.kernel, envelope)  # redelivered by the bus
    (notice,) = notices(notifications)
    assert notice["kind"] == "report_rejected"
    assert notice["audience"] == "organization"
    assert [(i["intervention_id"], i["reason"]) for i in notice["data"]["items"]] == [
        ("i-7", "Personne non admissible")
    ]
    assert notice["data"]["failed_checks"][0]["code"] == "C5.no_active_plan"
    # And before the resubmission deadline, while not resubmitted, a reminder.
    notifications.clock.set(noon(date(2026, 8, 17)))
    assert notifications.tick() == 1
    assert notices(notifications)[-1]["dedupe_key"] == f"{SHERBROOKE}:{Q1}:resubmission_reminder:r1:D-3"


@pytest.mark.parametrize(
    ("event", "kind", "audience"),
    [
        (reporting.ReportAccepted(report_id="r", organization_id=SHERBROOKE, quarter=Q1, submission_version=2),
         "report_accepted", "organization"),
        (reporting.QuarterLocked(organization_id=SHERBROOKE, quarter=Q1, report_id="r"), "quarter_locked",
         "organization"),
        (interventions.LockExceptionGranted(exception_id="x", organization_id=SHERBROOKE, quarter=Q1,
                                            valid_until=date(2026, 12, 1)), "lock_exception_granted", "organization"),
        (interventions.LockExceptionRefused(exception_id="x", organization_id=SHERBROOKE, quarter=Q1,
                                            reason="Hors délai"), "lock_exception_refused", "organization"),
        (interventions.ImportFinished(import_id="imp", organization_id=SHERBROOKE, file_name="t.csv", created=3,
                                      unchanged=0, rejected=1), "import_finished", "organization"),
        (reporting.ReportSubmitted(report_id="r", organization_id=SHERBROOKE, quarter=Q1, submission_version=1,
                                   interventions_count=1, persons_count=1), "report_submitted", "ministry"),
    ],
)  # fmt: skip
def test_each_event_makes_its_notice(
    notifications: NotificationsService, event: Any, kind: str, audience: str
) -> None:
    set_up_program(notifications)
    notifications.receive(event)
    (notice,) = notices(notifications)
    assert (notice["kind"], notice["audience"], notice["organization_id"]) == (kind, audience, SHERBROOKE)
    assert notice["recipients"], "a notice of a known organization has someone to go to"


def test_an_unlock_reaches_the_organization_and_its_reviewers_once_whatever_is_redelivered(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    unlocked = reporting.QuarterUnlocked(
        organization_id=SHERBROOKE, quarter=Q1, report_id="r", reason="Audit"
    )
    envelope = published(unlocked, occurred_at=notifications.clock.now())
    assert deliver(notifications.kernel, envelope)
    assert deliver(notifications.kernel, envelope)  # redelivered by the bus
    sent = sorted(notices(notifications), key=lambda n: n["audience"])
    assert [(n["kind"], n["audience"], n["organization_id"]) for n in sent] == [
        ("quarter_unlocked", "ministry", SHERBROOKE),
        ("quarter_unlocked", "organization", SHERBROOKE),
    ]
    assert all(n["recipients"] and n["data"]["reason"] == "Audit" for n in sent)
    assert sent[0]["recipients"] != sent[1]["recipients"]  # the reviewers, then the organization's contacts


def test_ministry_notices_go_to_the_assigned_reviewers_through_the_directory(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    notifications.receive(reporting.ReviewerAssigned(organization_id=SHERBROOKE, reviewer_id="julien"))
    admin = notifications.headers("admin@mifi", ["admin"])
    response = notifications.client.put(
        "/ministry-contacts/julien",
        headers=admin,
        json={"email": "julien.tremblay@mifi.gouv.qc.ca", "name": "Julien Tremblay", "language": "en"},
    )
    assert response.status_code == 200, response.text
    notifications.receive(reporting.ReviewerAssigned(organization_id=SHERBROOKE, reviewer_id="sans-adresse"))
    notifications.receive(
        reporting.ReportSubmitted(
            report_id="r", organization_id=SHERBROOKE, quarter=Q1, submission_version=1,
            interventions_count=1, persons_count=1,
        )
    )  # fmt: skip
    (notice,) = notices(notifications)
    assert notice["recipients"] == [
        {
            "email": "julien.tremblay@mifi.gouv.qc.ca",
            "name": "Julien Tremblay",
            "user_id": "julien",
            "language": "en",
        },
        {
            "email": "nadia@mifi.gouv.qc.ca",
            "name": None,
            "user_id": "nadia@mifi.gouv.qc.ca",
            "language": "fr",
        },
        {"email": None, "name": None, "user_id": "sans-adresse", "language": "fr"},
    ]


def test_the_inbox_shows_each_user_only_what_is_meant_for_them(notifications: NotificationsService) -> None:
    set_up_program(notifications)
    notifications.receive(rejected())
    notifications.receive(
        reporting.ReportSubmitted(
            report_id="r", organization_id=SHERBROOKE, quarter=Q1, submission_version=2,
            interventions_count=1, persons_count=1,
        )
    )  # fmt: skip
    karine = notifications.headers("karine", ["org_staff"], SHERBROOKE)
    marc = notifications.headers("marc", ["org_staff"], MONTREAL)
    nadia = notifications.headers("nadia", ["ministry_reviewer"], assigned_organizations=[SHERBROOKE])
    other_reviewer = notifications.headers("paul", ["ministry_reviewer"], assigned_organizations=[MONTREAL])
    admin = notifications.headers("admin", ["admin"])
    assert [i["kind"] for i in inbox(notifications, karine)["items"]] == ["report_rejected"]
    assert inbox(notifications, marc)["items"] == []
    assert [i["kind"] for i in inbox(notifications, nadia)["items"]] == ["report_submitted"]
    assert inbox(notifications, other_reviewer)["total"] == 0
    assert inbox(notifications, admin)["total"] == 2


def test_marking_read_is_per_user_idempotent_and_scoped(notifications: NotificationsService) -> None:
    set_up_program(notifications)
    notifications.receive(rejected())
    karine = notifications.headers("karine", ["org_staff"], SHERBROOKE)
    sophie = notifications.headers("sophie", ["org_manager"], SHERBROOKE)
    marc = notifications.headers("marc", ["org_staff"], MONTREAL)
    (item,) = inbox(notifications, karine)["items"]
    count = notifications.client.get("/inbox/unread-count", headers=karine).json()
    assert count == {"unread": 1}
    assert notifications.client.post(f"/inbox/{item['notice_id']}/read", headers=marc).status_code == 404
    for _ in range(2):
        response = notifications.client.post(f"/inbox/{item['notice_id']}/read", headers=karine)
        assert response.status_code == 200
        assert response.json()["read_at"] is not None
    assert notifications.client.get("/inbox/unread-count", headers=karine).json() == {"unread": 0}
    assert notifications.client.get("/inbox/unread-count", headers=sophie).json() == {"unread": 1}
    assert inbox(notifications, karine, unread="true")["items"] == []
    reads = [n for n in _event_types(notifications) if n == "NoticeRead"]
    assert reads == ["NoticeRead"]  # the second mark recorded nothing


def _event_types(service: NotificationsService) -> list[str]:
    with service.kernel.db.transaction() as connection:
        return list(connection.execute(select(events.c.type).order_by(events.c.position)).scalars())


def test_an_admin_changes_the_schedule_and_the_scheduler_follows(notifications: NotificationsService) -> None:
    set_up_program(notifications)
    admin = notifications.headers("admin", ["admin"])
    staff = notifications.headers("karine", ["org_staff"], SHERBROOKE)
    change = {"schedule": {"deadline_reminders": [10], "grace_days": 0}, "reason": "Un seul rappel"}
    assert notifications.client.put("/schedule", headers=staff, json=change).status_code == 403
    response = notifications.client.put("/schedule", headers=admin, json=change)
    assert response.status_code == 200, response.text
    assert notifications.client.get("/schedule", headers=admin).json()["deadline_reminders"] == [10]
    notifications.clock.set(noon(date(2026, 7, 15)))
    assert notifications.tick() == 0
    notifications.clock.set(noon(date(2026, 7, 20)))
    assert notifications.tick() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"schedule": {"deadline_reminders": [15, 15]}, "reason": "doublon"},
        {"schedule": {"escalations": [-3]}, "reason": "négatif"},
        {"schedule": {}, "reason": ""},
        {"schedule": {"unknown": 1}, "reason": "champ inconnu"},
    ],
)
def test_a_bad_schedule_is_refused_with_a_code(
    notifications: NotificationsService, body: dict[str, Any]
) -> None:
    admin = notifications.headers("admin", ["admin"])
    response = notifications.client.put("/schedule", headers=admin, json=body)
    assert response.status_code == 422
    assert response.json()["code"]
    assert notifications.client.get("/schedule", headers=admin).json()["deadline_reminders"] == [15, 7, 1]


def test_a_regionalization_checkpoint_is_reminded_until_its_outcome_is_recorded(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    notifications.receive(
        interventions.RegionalizationFollowUpOpened(
            follow_up_id="fu-1", person_id="p-1", organization_id=SHERBROOKE, destination_region="08",
            opened_on=date(2026, 6, 1),
            checkpoints=(interventions.Checkpoint(months=3, due_on=date(2026, 9, 1)),
                         interventions.Checkpoint(months=6, due_on=date(2026, 12, 1))),
        )
    )  # fmt: skip
    notifications.receive(
        interventions.RegionalizationCheckpointRecorded(
            follow_up_id="fu-1", person_id="p-1", organization_id=SHERBROOKE, months=6, outcome="stayed",
            recorded_on=date(2026, 11, 20),
        )
    )  # fmt: skip
    for day in (date(2026, 9, 1), date(2026, 12, 1)):
        notifications.clock.set(noon(day))
        notifications.tick()
    checkpoint_notices = [n for n in notices(notifications) if n["kind"] == "checkpoint_due"]
    assert [n["data"]["months"] for n in checkpoint_notices] == [3]
    assert checkpoint_notices[0]["data"]["person_ref"] == "p-1"  # the pseudonymous id, no name


# ---- notices people can act on: content, link, names (issue 17) ------------------------------


def named_rejection() -> reporting.ReportRejected:
    """A rejection as reporting publishes it now: each intervention with what names it."""
    item = reporting.RejectedIntervention(
        intervention_id="5d0c2a9e-8f4b-4c61-9a7e-3b2f1d6c8e40", reason="Durée irréaliste",
        person_file_number=123, service_date=date(2026, 12, 6), code="PDI",
        code_fr="Premières démarches d'installation", code_en="First settlement steps",
    )  # fmt: skip
    return rejected().model_copy(update={"items": (item,)})


def test_each_notice_in_the_inbox_says_what_it_is_about_and_links_to_it(
    notifications: NotificationsService,
) -> None:
    set_up_program(notifications)
    for event in (
        named_rejection(),
        interventions.LockExceptionGranted(
            exception_id="exc-1", organization_id=SHERBROOKE, quarter=Q1, valid_until=date(2026, 12, 1)
        ),
        interventions.LockExceptionRefused(
            exception_id="exc-2", organization_id=SHERBROOKE, quarter=Q1, reason="Hors délai"
        ),
        interventions.ImportFinished(
            import_id="imp-1",
            organization_id=SHERBROOKE,
            file_name="t.csv",
            created=3,
            unchanged=0,
            rejected=1,
        ),
        reporting.QuarterLocked(organization_id=SHERBROOKE, quarter=Q1, report_id="r"),
    ):
        notifications.receive(event)
    karine = notifications.headers("karine", ["org_staff"], SHERBROOKE)
    by_kind = {n["kind"]: n for n in inbox(notifications, karine)["items"]}
    rejection = by_kind["report_rejected"]
    assert rejection["link"] == f"/rapports/{SHERBROOKE}/{Q1}"
    for expected in (
        "Le ministère a refusé le rapport d'Accueil Estrie",  # not « de Accueil Estrie »
        "Interventions non conformes",
        "Dossier D-000123, 6 décembre 2026, PDI (Premières démarches d'installation) : Durée irréaliste",
        "C5.no_active_plan : 2 interventions",
        "au plus tard le 20 août 2026",
    ):
        assert expected in rejection["content_fr"]
    assert (
        "File D-000123, December 6, 2026, PDI (First settlement steps): Durée irréaliste"
        in rejection["content_en"]
    )
    assert "5d0c2a9e" not in str(rejection)
    assert "jusqu'au 1er décembre 2026" in by_kind["lock_exception_granted"]["content_fr"]
    assert by_kind["lock_exception_granted"]["link"] == "/exceptions-verrouillage/exc-1"
    assert "Hors délai" in by_kind["lock_exception_refused"]["content_en"]
    assert "Lignes rejetées : 1" in by_kind["import_finished"]["content_fr"]
    assert by_kind["import_finished"]["link"] == "/importations/imp-1"
    assert "est maintenant verrouillé pour Accueil Estrie" in by_kind["quarter_locked"]["content_fr"]

    one = notifications.client.get(f"/inbox/{rejection['notice_id']}", headers=karine)
    assert one.status_code == 200, one.text
    assert one.json() == rejection
    marc = notifications.headers("marc", ["org_staff"], MONTREAL)
    other = notifications.client.get(f"/inbox/{rejection['notice_id']}", headers=marc)
    assert (other.status_code, other.json()["code"]) == (404, "notice.not_found")


def test_a_rejection_email_names_interventions_by_file_date_and_code_and_links_to_the_report(
    notifications: NotificationsService,
) -> None:
    from notifications.emails.templates import Renderer
    from notifications.notices.events import NoticeRecorded

    set_up_program(notifications)
    notifications.receive(named_rejection())
    (payload,) = notices(notifications)
    notice = NoticeRecorded.model_validate(payload)
    assert notice.title_fr == "Rapport T1 2026-2027 refusé : corrections demandées"
    renderer = Renderer(portal_url="https://gsi.mifi.gouv.qc.ca/")
    fr, en = (renderer.render_notice(notice, r) for r in (notice.recipients[0], notice.recipients[0].model_copy(
        update={"language": "en"})))  # fmt: skip
    link = f"https://gsi.mifi.gouv.qc.ca/rapports/{SHERBROOKE}/{Q1}"
    assert (
        "  - Dossier D-000123, 6 décembre 2026, PDI (Premières démarches d'installation) : Durée" in fr.text
    )
    assert f"Ouvrir dans GSI : {link}" in fr.text
    assert f'href="{link}"' in fr.html
    assert "le rapport d&#39;<strong>Accueil Estrie</strong>" in fr.html  # d'Accueil, escaped
    assert "File D-000123, December 6, 2026, PDI (First settlement steps)" in en.html
    assert f"Open in GSI: {link}" in en.text
    for rendered in (fr.subject, fr.text, fr.html, en.text, en.html):
        assert "5d0c2a9e" not in rendered


def test_an_upgraded_inbox_shows_the_content_of_notices_recorded_before(
    notifications: NotificationsService,
) -> None:
    """Revision 0006 fills the inbox's new data column from the notices' events."""
    from alembic import command
    from alembic.config import Config

    from notifications.bootstrap import MIGRATIONS

    set_up_program(notifications)
    notifications.receive(named_rejection())
    settings = notifications.kernel.settings
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes.update(database_url=settings.resolved_database_url, schema=settings.resolved_schema)
    command.downgrade(config, "0005")
    command.upgrade(config, "head")
    karine = notifications.headers("karine", ["org_staff"], SHERBROOKE)
    (notice,) = inbox(notifications, karine)["items"]
    assert "Dossier D-000123" in notice["content_fr"]
