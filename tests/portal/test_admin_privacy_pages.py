"""The administrators' privacy, notification and audit pages in-process against the real services
(processes, embedded mode), their data made through the services' APIs: a duplicate pair side by
side then merged, another dismissed; a person found by file number, exported, then erased once
their file number is typed again; the access log; an incident recorded, notified, a measure
taken, closed; the reminder schedule changed with a reason; the templates in both languages;
the audit trail merged across services; and none of it for a reviewer or an organization."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.bootstrap import build_app
from portal.settings import DevUser, PortalSettings
from scripts.demo_plan import ADMIN, REVIEWER, USERS
from scripts.launcher import ServiceProcesses
from tests.people import refugee
from tests.portal.interventions_support import STAFF, assert_no_id_shown, form_of, unique
from tests.portal.persons_support import api_token, csrf_of, portal_as, register, text_of
from tests.portal.support import eventually

pytestmark = pytest.mark.portal

MONTREAL_STAFF = "marc@org-montreal"
PAGES = (
    "/administration/suivi",
    "/administration/doublons",
    "/administration/confidentialite",
    "/administration/confidentialite/journal",
    "/administration/confidentialite/incidents",
    "/administration/confidentialite/incidents/nouveau",
    "/administration/avis",
    "/administration/avis/envois",
    "/administration/avis/modeles",
    "/administration/audit",
)


@pytest.fixture
def admin(dev_system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(dev_system, ADMIN) as client:
        yield client


def _pair(http: httpx.Client, system: ServiceProcesses, family: str) -> tuple[str, str]:
    """The same person registered in Sherbrooke, then in Montréal (the newer file)."""
    first = register(http, system, api_token(http, system, STAFF), refugee(family, "Amina"))
    second = register(http, system, api_token(http, system, MONTREAL_STAFF), refugee(family.upper(), "Amina"))
    return second, first


def _reference(http: httpx.Client, system: ServiceProcesses, person_id: str) -> str:
    headers = api_token(http, system, ADMIN)
    answer = http.get(f"{system.url('registration')}/persons/{person_id}", headers=headers)
    return str(answer.json()["file_reference"])


@pytest.mark.parametrize("user", [STAFF, REVIEWER])
def test_only_an_administrator_opens_these_pages(dev_system: ServiceProcesses, user: str) -> None:
    with portal_as(dev_system, user) as someone:
        for path in PAGES:
            assert someone.get(path).status_code == 403, path
        posted = someone.post(
            "/administration/avis", data={"csrf_token": csrf_of(someone.get("/").text), "reason": "x"}
        )
        assert posted.status_code == 403


def test_every_page_opens_for_an_administrator_in_both_languages(dev_system: ServiceProcesses) -> None:
    for language, title in (("fr", "Vie privée, avis et audit"), ("en", "Privacy, notifications and audit")):
        with portal_as(dev_system, ADMIN, language) as client:
            for path in PAGES:
                assert client.get(path).status_code == 200, path
            assert title in client.get("/administration/suivi").text


def test_a_duplicate_pair_is_compared_side_by_side_then_merged_with_a_reason(
    admin: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Haddad")
    newer, existing = _pair(http, dev_system, family)
    queue = admin.get("/administration/doublons")
    assert family.upper() in queue.text
    path = f"/administration/doublons/{newer}/{existing}"
    assert f'href="{path}"' in queue.text
    assert_no_id_shown(queue.text)

    page = admin.get(path)
    shown = text_of(page.text)
    assert f"Dossier récent {_reference(http, dev_system, newer)}" in shown
    assert f"Dossier existant {_reference(http, dev_system, existing)}" in shown
    # The name (case aside) and the birth date match; the organizations do not.
    assert re.search(r"Nom de famille \S+ \S+ Identique", shown)
    assert "Date de naissance 12 mars 1984 12 mars 1984 Identique" in shown
    assert "Pays de naissance Syrie Syrie Identique" in shown  # named as the form names them
    assert re.search(r"Organisme org-montreal org-sherbrooke(?! Identique)", shown)
    assert_no_id_shown(page.text)

    token = csrf_of(page.text)
    refused = admin.post(path, data={"csrf_token": token, "decision": "fusionner", "reason": ""})
    assert refused.status_code == 422
    assert '<a href="#reason">Entrez le motif (3 caractères au moins)</a>' in refused.text

    merged = admin.post(path, data={"csrf_token": token, "decision": "fusionner", "reason": "Même personne"})
    assert merged.status_code == 303
    after = admin.get("/administration/doublons")
    assert "Les dossiers ont été fusionnés" in text_of(after.text)
    assert f'href="{path}"' not in after.text
    headers = api_token(http, dev_system, ADMIN)
    file = http.get(f"{dev_system.url('registration')}/persons/{newer}", headers=headers).json()
    assert file["merged_into"] == existing


def test_a_match_is_dismissed_and_the_audit_trail_says_who_why_and_on_whose_file(
    admin: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    newer, existing = _pair(http, dev_system, unique("Nguyen"))
    path = f"/administration/doublons/{newer}/{existing}"
    token = csrf_of(admin.get(path).text)
    reason = f"Deux personnes distinctes {unique('n')}"
    dismissed = admin.post(path, data={"csrf_token": token, "decision": "ecarter", "reason": reason})
    assert dismissed.status_code == 303
    assert "La correspondance a été écartée" in text_of(admin.get("/administration/doublons").text)

    reference = _reference(http, dev_system, newer)
    trail = admin.get("/administration/audit", params={"auteur": ADMIN, "dossier": reference})
    shown = text_of(trail.text)
    assert reason in shown
    assert f"Amina {refugee()['family_name']}" not in shown  # only this person's file
    assert re.search(rf"Inscription {re.escape(ADMIN)} \S+ Amina \S+ — 12 mars 1984 — {reference}", shown)
    assert_no_id_shown(trail.text)
    # Every service was asked: an intervention's author shows up without a file filter.
    every = text_of(admin.get("/administration/audit", params={"service": "interventions"}).text)
    assert "Interventions karine@org-sherbrooke" in every


def test_a_person_is_exported_then_erased_once_their_file_number_is_typed_again(
    admin: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Diallo")
    person_id = register(http, dev_system, api_token(http, dev_system, STAFF), refugee(family, "Awa"))
    reference = _reference(http, dev_system, person_id)
    assert admin.get("/administration/confidentialite", params={"dossier": "D-999999"}).status_code == 422
    found = admin.get("/administration/confidentialite", params={"dossier": reference.lower()})
    assert found.status_code == 303
    page_path = found.headers["location"]
    page = admin.get(page_path)
    assert f"Awa {family}" in text_of(page.text)
    assert_no_id_shown(page.text)

    export = admin.get(f"{page_path}/export")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == f'attachment; filename="dossier-{reference}.json"'
    document: dict[str, Any] = json.loads(export.text)
    assert document["person"]["family_name"] == family

    erase = f"{page_path}/effacement"
    wrong = admin.post(
        erase, data={"csrf_token": csrf_of(page.text), "confirmation": "D-000001", "reason": "Demande"}
    )
    assert wrong.status_code == 422
    assert f"Tapez le numéro de dossier {reference} pour confirmer l'effacement" in text_of(wrong.text)
    assert f"Awa {family}" in text_of(admin.get(page_path).text)  # nothing erased

    done = admin.post(
        erase,
        data={"csrf_token": csrf_of(page.text), "confirmation": reference, "reason": "Demande (Loi 25)"},
    )
    assert done.status_code == 303
    after = text_of(admin.get(page_path).text)
    assert "Les renseignements de la personne ont été effacés" in after
    assert "Motif : Demande (Loi 25)" in after
    assert family not in after
    record = json.loads(admin.get(f"{page_path}/export").text)
    assert record["erased"] is True
    assert "person" not in record

    # The access log kept the export (the person's own request), without naming them any more.
    log = text_of(admin.get("/administration/confidentialite/journal", params={"auteur": ADMIN}).text)
    assert "Dossier exporté" in log
    assert "Demande de la personne" in log


def test_the_access_log_names_the_person_read_and_why(
    admin: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Roy")
    person_id = register(http, dev_system, api_token(http, dev_system, STAFF), refugee(family, "Léa"))
    reference = _reference(http, dev_system, person_id)  # read by the administrator
    karine = api_token(http, dev_system, STAFF)
    http.get(f"{dev_system.url('registration')}/persons/{person_id}", headers=karine)
    log = admin.get("/administration/confidentialite/journal", params={"dossier": reference})
    shown = text_of(log.text)
    assert f"karine@org-sherbrooke (org-sherbrooke) Léa {family} — 12 mars 1984 — {reference}" in shown
    assert f"Léa {family} — 12 mars 1984 — {reference} Dossier consulté Prestation de services" in shown
    assert f"{ADMIN} Léa {family} — 12 mars 1984 — {reference} Dossier consulté Administration" in shown
    assert_no_id_shown(log.text)


def test_an_incident_is_recorded_notified_measured_and_closed(admin: TestClient) -> None:
    path = "/administration/confidentialite/incidents/nouveau"
    empty = admin.post(path, data=form_of(admin, path))
    assert empty.status_code == 422
    assert 'href="#circumstances"' in empty.text
    circumstances = f"Liste envoyée au mauvais organisme {unique('c')}"
    form = form_of(
        admin,
        path,
        circumstances=circumstances,
        personal_information="Noms et dates de naissance",
        occurred_on="2026-11-02",
        detected_on="2026-11-04",
        persons_concerned="37",
        risk_assessment="Peu sensibles; fichier détruit",
        serious_injury_risk="yes",
    )
    made = admin.post(path, data=form)
    assert made.status_code == 303
    incident = made.headers["location"]
    page = admin.get(incident)
    assert "L'incident est inscrit au registre" in text_of(page.text)
    token = csrf_of(page.text)
    assert (
        admin.post(
            f"{incident}/avis", data={"csrf_token": token, "recipient": "commission", "sent_on": "2026-11-05"}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            f"{incident}/avis", data={"csrf_token": token, "recipient": "persons", "sent_on": "2026-11-06"}
        ).status_code
        == 303
    )
    no_date = admin.post(
        f"{incident}/mesure", data={"csrf_token": token, "description": "Rappel au personnel"}
    )
    assert no_date.status_code == 422
    assert 'href="#taken_on"' in no_date.text
    measure = {"csrf_token": token, "description": "Rappel au personnel", "taken_on": "2026-11-06"}
    assert admin.post(f"{incident}/mesure", data=measure).status_code == 303
    closed = admin.post(
        f"{incident}/fermeture", data={"csrf_token": token, "reason": "Avis faits, mesure prise"}
    )
    assert closed.status_code == 303
    shown = text_of(admin.get(incident).text)
    assert "Commission avisée le 5 novembre 2026" in shown
    assert "Rappel au personnel" in shown
    assert "Fermé — Avis faits, mesure prise" in shown
    listed = text_of(admin.get("/administration/confidentialite/incidents", params={"etat": "closed"}).text)
    assert circumstances in listed


def test_the_reminder_schedule_is_changed_with_a_reason(admin: TestClient) -> None:
    page = admin.get("/administration/avis")
    assert 'value="15, 7, 1"' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "deadline_reminders": "15, 7, 1",
        "escalations": "7",
        "control_reminders": "20",
        "resubmission_reminders": "3",
        "checkpoint_reminders": "0",
        "grace_days": "3",
        "deadline_missed": "yes",
    }
    refused = admin.post(
        "/administration/avis", data={**form, "deadline_reminders": "15, sept", "reason": "Essai"}
    )
    assert refused.status_code == 422
    assert "Entrez des nombres de jours, séparés par des virgules" in text_of(refused.text)
    too_far = admin.post("/administration/avis", data={**form, "escalations": "7, 400", "reason": "Essai"})
    assert too_far.status_code == 422
    assert 'href="#escalations"' in too_far.text
    try:
        changed = admin.post(
            "/administration/avis",
            data={**form, "deadline_reminders": "21, 15, 7, 1", "reason": "Un rappel de plus"},
        )
        assert changed.status_code == 303
        assert 'value="21, 15, 7, 1"' in admin.get("/administration/avis").text
    finally:
        admin.post("/administration/avis", data={**form, "reason": "Retour au calendrier habituel"})


def test_a_template_is_previewed_in_french_and_english(admin: TestClient) -> None:
    page = admin.get("/administration/avis/modeles", params={"type": "report_rejected"})
    shown = text_of(page.text)
    assert "Français" in shown
    assert "English" in shown
    assert 'lang="fr-CA"' in page.text
    assert 'lang="en-CA"' in page.text
    assert re.search(r"refusé", shown, re.IGNORECASE)
    assert re.search(r"rejected", shown, re.IGNORECASE)
    assert admin.get("/administration/avis/modeles", params={"type": "nothing"}).status_code == 404


def _delivery(http: httpx.Client, system: ServiceProcesses) -> tuple[str, dict[str, Any]]:
    """An organization with one contact, and an import of theirs that finished: notifications
    makes the e-mail telling the contact (whatever becomes of it)."""
    organization = f"org-{unique('avis').lower()}"
    admin = api_token(http, system, ADMIN)
    contact = {
        "name": "Inès Roy",
        "email": f"ines@{organization}.example",
        "role": "accueil",
        "language": "en",
    }
    body = {"organization_id": organization, "name": "Centre Avis", "regions": ["05"], "contacts": [contact]}
    assert http.post(f"{system.url('reporting')}/organizations", headers=admin, json=body).status_code == 201
    user = {"user_id": f"ines@{organization}", "roles": ["org_staff"], "organization": organization}
    token = http.post(f"{system.url('registration')}/dev/token", json=user).json()["access_token"]
    header = b"person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n"
    header += b"3f0e4b9e-0000-4000-8000-000000000000;ACC;2026-11-02;60;in_person;V1;ines;\n"

    def imported() -> bool:
        answer = http.post(
            f"{system.url('interventions')}/imports",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("vide.csv", header, "text/csv")},
            data={"mode": "valid_rows_only"},
        )
        return answer.status_code == 202

    eventually(imported, what="the import starts")

    def made() -> dict[str, Any] | None:
        params = {"organization_id": organization}
        found = http.get(f"{system.url('notifications')}/deliveries", headers=admin, params=params).json()
        return found["items"][0] if found["items"] else None

    return organization, eventually(made, what="notifications makes the e-mail")


def test_the_delivery_log_lists_an_e_mail_and_a_retry_of_one_not_failed_is_refused(
    admin: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    organization, delivery = _delivery(http, dev_system)
    page = admin.get("/administration/avis/envois", params={"adresse": f"ines@{organization}.example"})
    shown = text_of(page.text)
    # the organization by its name, its identifier beside it
    assert f"Inès Roy ines@{organization}.example (en) import_finished Centre Avis ({organization})" in shown
    # Not a dead letter (sent, or waiting for its next attempt): no button, and notifications
    # refuses a retry sent anyway, in its own words.
    target = f"/administration/avis/envois/{delivery['delivery_id']}/renvoi"
    assert target not in page.text
    retried = admin.post(target, data={"csrf_token": csrf_of(page.text)})
    assert retried.status_code == 303
    after = text_of(admin.get("/administration/avis/envois").text)
    assert "Seul un courriel en échec définitif (lettre morte) peut être renvoyé." in after


def test_a_dead_letter_has_its_reason_and_a_button_that_sends_it_again() -> None:
    """The delivery log's retry, with notifications answering in place of the real service (a
    dead letter takes six failed attempts over an hour on the real one)."""
    dead = {
        "delivery_id": "3b0f5c0e-7d43-5f7e-9a1e-2c4b6d8f0a12",
        "notice_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
        "dedupe_key": "k",
        "kind": "report_rejected",
        "organization_id": "org-sherbrooke",
        "audience": "organization",
        "quarter": "2026-2027-Q1",
        "address": "sophie@org-sherbrooke.example",
        "recipient_name": "Sophie Tremblay",
        "language": "fr",
        "status": "dead",
        "attempts": 6,
        "next_attempt_at": None,
        "last_error": "smtp.unavailable",
        "error_detail": None,
        "dead_reason": "delivery.max_attempts",
        "sent_at": None,
        "message_id": None,
        "created_at": "2026-08-21T15:00:00Z",
        "updated_at": "2026-08-21T16:00:00Z",
    }
    retried: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/dev/token":
            return httpx.Response(200, json={"access_token": "token"})
        if request.url.path.endswith("/retry"):
            retried.append(request.url.path)
            return httpx.Response(200, json={**dead, "status": "pending"})
        return httpx.Response(200, json={"items": [dead], "total": 1, "offset": 0, "limit": 25})

    settings = PortalSettings(
        auth_mode="development", dev_users=[DevUser(**u) for u in USERS if u["user_id"] == ADMIN]
    )
    with TestClient(
        build_app(settings, transport=httpx.MockTransport(answer)), follow_redirects=False
    ) as client:
        token = csrf_of(client.get("/signin").text)
        assert client.post("/signin/dev", data={"user_id": ADMIN, "csrf_token": token}).status_code == 303
        page = client.get("/administration/avis/envois")
        assert "Toutes les tentatives ont échoué" in text_of(page.text)
        target = f"/administration/avis/envois/{dead['delivery_id']}/renvoi"
        assert f'action="{target}"' in page.text
        assert client.post(target, data={"csrf_token": csrf_of(page.text)}).status_code == 303
        assert retried == [f"/deliveries/{dead['delivery_id']}/retry"]
        assert "Le courriel sera envoyé de nouveau." in text_of(
            client.get("/administration/avis/envois").text
        )
