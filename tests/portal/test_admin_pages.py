"""The administration pages in-process against the running services (embedded mode): the
organizations registry (register, change with a reason, contacts and their language), reviewer
assignment, agreements with funding and targets per quarter and their amendments, the reporting
calendar, unlocking a locked quarter; a reviewer's or an organization's session is refused.
What the pages make is read back through reporting's API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import api_token, csrf_of, portal_as, text_of

pytestmark = pytest.mark.portal

ADMIN, REVIEWER, STAFF = "admin@mifi", "nadia@mifi", "karine@org-sherbrooke"
ORGS = "/administration/organismes"


@pytest.fixture
def admin(dev_system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(dev_system, ADMIN) as client:
        yield client


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _post(client: TestClient, path: str, form_path: str, **fields: Any) -> httpx.Response:
    token = csrf_of(client.get(form_path).text)
    return client.post(path, data={"csrf_token": token, **fields})


def _organization(client: TestClient, **fields: Any) -> str:
    org_id = f"org-test-{uuid.uuid4().hex[:8]}"
    form = {
        "organization_id": org_id,
        "name": "Accueil Laurentides",
        "regions": ["15"],
        "contact_name": "Julie Gagnon",
        "contact_email": "julie@accueil-laurentides.example",
        "contact_role": "direction",
        "contact_language": "fr",
        **fields,
    }
    made = _post(client, ORGS + "/nouveau", ORGS + "/nouveau", **form)
    assert made.status_code == 303, made.text
    assert made.headers["location"] == f"{ORGS}/{org_id}"
    return org_id


def test_an_empty_registration_is_refused_beside_each_field_and_in_the_summary(admin: TestClient) -> None:
    answer = _post(admin, ORGS + "/nouveau", ORGS + "/nouveau", organization_id="Pas Bon", contact_email="x")
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Il y a un problème" in text
    assert "Utilisez seulement des lettres minuscules" in text
    assert "Inscrivez le nom de l'organisme" in text
    assert "Choisissez au moins une région" in text
    assert "Entrez une adresse courriel" in text
    assert 'href="#organization_id"' in answer.text  # the summary links to the field
    assert 'value="Pas Bon"' in answer.text  # what was typed stays


def test_a_field_is_checked_as_it_is_left(admin: TestClient) -> None:
    token = csrf_of(admin.get(ORGS + "/nouveau").text)
    answer = admin.post(
        "/administration/formulaires/admin-organization/organization_id",
        data={"csrf_token": token, "organization_id": "Avec Espaces"},
    )
    assert answer.status_code == 200
    assert 'id="field-organization_id"' in answer.text
    assert "Utilisez seulement des lettres minuscules" in text_of(answer.text)
    assert (
        'hx-post="/administration/formulaires/admin-organization/name"' in admin.get(ORGS + "/nouveau").text
    )


def test_the_admin_registers_an_organization_changes_it_with_a_reason_and_adds_a_contact(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    org_id = _organization(admin)
    page = admin.get(f"{ORGS}/{org_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Accueil Laurentides" in text
    assert "Julie Gagnon" in text
    assert "15 — Laurentides" in text
    assert "Inscrite" not in text
    assert "L'organisme a été inscrit." in text
    assert org_id in text_of(admin.get(ORGS).text)

    change = f"{ORGS}/{org_id}/modifier"
    refused = _post(admin, change, change, name="Accueil Laurentides-Lanaudière", regions=["15", "14"])
    assert refused.status_code == 422
    assert "Entrez le motif du changement" in text_of(refused.text)
    changed = _post(
        admin, change, change, name="Accueil Laurentides-Lanaudière", regions=["15", "14"], reason="Fusion"
    )
    assert changed.status_code == 303

    add = f"{ORGS}/{org_id}/contacts/nouveau"
    contact = {
        "contact_name": "Peter Smith",
        "contact_email": "peter@accueil.example",
        "contact_role": "coordination",
        "contact_language": "en",
        "reason": "Nouveau coordonnateur",
    }
    assert _post(admin, add, add, **contact).status_code == 303
    found = _ok(
        http.get(
            f"{dev_system.url('reporting')}/organizations/{org_id}",
            headers=api_token(http, dev_system, ADMIN),
        )
    )
    assert found["name"] == "Accueil Laurentides-Lanaudière"
    assert sorted(found["regions"]) == ["14", "15"]
    assert [(c["name"], c["language"]) for c in found["contacts"]] == [
        ("Julie Gagnon", "fr"),
        ("Peter Smith", "en"),
    ]
    assert found["update_reason"] == "Nouveau coordonnateur"
    text = text_of(admin.get(f"{ORGS}/{org_id}").text)
    assert "Peter Smith" in text
    assert "Anglais" in text
    assert "Nouveau coordonnateur" in text

    page = admin.get(f"{ORGS}/{org_id}")
    removed = admin.post(
        f"{ORGS}/{org_id}/contacts/retirer",
        data={"csrf_token": csrf_of(page.text), "email": "peter@accueil.example"},
    )
    assert removed.status_code == 303
    found = _ok(
        http.get(
            f"{dev_system.url('reporting')}/organizations/{org_id}",
            headers=api_token(http, dev_system, ADMIN),
        )
    )
    assert [c["name"] for c in found["contacts"]] == ["Julie Gagnon"]


def test_the_admin_assigns_a_reviewer_then_removes_them(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    org_id = _organization(admin)
    page = f"{ORGS}/{org_id}"
    refused = _post(admin, page + "/conseillers", page, reviewer_id="nadia mifi")
    assert refused.status_code == 422
    assert "sans espace" in text_of(refused.text)
    assert _post(admin, page + "/conseillers", page, reviewer_id=REVIEWER).status_code == 303
    reviewers = f"{dev_system.url('reporting')}/organizations/{org_id}/reviewers"
    headers = api_token(http, dev_system, ADMIN)
    assert [r["reviewer_id"] for r in _ok(http.get(reviewers, headers=headers))] == [REVIEWER]
    text = text_of(admin.get(page).text)
    assert f"{REVIEWER} a été assigné(e)" in text
    assert "admin@mifi" in text
    assert _post(admin, page + "/conseillers/retirer", page, reviewer_id=REVIEWER).status_code == 303
    assert _ok(http.get(reviewers, headers=headers)) == []
    assert "Aucune conseillère ni aucun conseiller" in text_of(admin.get(page).text)


def test_an_agreement_with_targets_per_quarter_then_an_amendment_with_its_versions(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    org_id = _organization(admin)
    new = f"{ORGS}/{org_id}/conventions/nouvelle"
    terms = {
        "volets": ["V1", "V2"],
        "fiscal_year": "2026-2027",
        "amount": "850000,50",
        "persons_year": "400",
        "plans_year": "150",
        "persons_Q1": "120",
        "plans_Q1": "40",
    }
    wrong = _post(
        admin, new, new, starts_on="2027-03-31", ends_on="2026-04-01", **{**terms, "persons_Q2": "-3"}
    )
    assert wrong.status_code == 422
    text = text_of(wrong.text)
    assert "La fin doit venir après le début" in text
    assert "Personnes distinctes doit être un nombre entier" in text
    made = _post(admin, new, new, starts_on="2026-04-01", ends_on="2029-03-31", **terms)
    assert made.status_code == 303, made.text
    page = made.headers["location"]
    agreement_id = page.rsplit("/", 1)[1]
    reporting, headers = dev_system.url("reporting"), api_token(http, dev_system, ADMIN)
    found = _ok(http.get(f"{reporting}/agreements/{agreement_id}", headers=headers))
    assert found["organization_id"] == org_id
    assert found["volets"] == ["V1", "V2"]
    assert found["funding"] == [{"fiscal_year": "2026-2027", "amount_cents": 85000050}]
    targets = {t["period"]: (t["unique_persons"], t["action_plans"]) for t in found["targets"]}
    assert targets == {"year": (400, 150), "Q1": (120, 40)}

    shown = admin.get(page)
    assert 'value="120"' in shown.text  # the amendment form starts from the current terms
    amend = page + "/modifier"
    refused = _post(admin, amend, page, **{**terms, "persons_Q1": "130"})
    assert refused.status_code == 422
    assert "Entrez le motif du changement" in text_of(refused.text)
    amended = _post(admin, amend, page, **{**terms, "persons_Q1": "130", "reason": "Cibles révisées"})
    assert amended.status_code == 303
    versions = _ok(http.get(f"{reporting}/agreements/{agreement_id}/versions", headers=headers))
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["reason"] == "Cibles révisées"
    text = text_of(admin.get(page).text)
    assert "La convention a été modifiée (version 2)" in text
    assert "Motif : Cibles révisées" in text
    assert "Première version" in text
    assert "850 000,5 $" in text
    assert agreement_id in admin.get(f"{ORGS}/{org_id}").text


def test_the_admin_sets_a_fiscal_years_calendar(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    year = "2040-2041"  # a year no other test reads
    page = admin.get(f"/administration/calendrier?exercice={year}")
    assert page.status_code == 200
    assert "Pas encore fixé" in text_of(page.text)
    form = {
        "q1": "2040-07-30",
        "q2": "2040-10-30",
        "q3": "2041-02-05",
        "q4": "2041-04-30",
        "early_submission_days": "10",
        "control_window_days": "30",
        "resubmission_business_days": "10",
    }
    action = f"/administration/calendrier/{year}"
    wrong = _post(
        admin,
        action,
        f"/administration/calendrier?exercice={year}",
        **{**form, "q2": "", "control_window_days": "x"},
    )
    assert wrong.status_code == 422
    text = text_of(wrong.text)
    assert "Inscrivez l'échéance" in text
    assert "Délai de contrôle (jours) doit être un nombre entier" in text
    saved = _post(
        admin, action, f"/administration/calendrier?exercice={year}", **{**form, "control_window_days": "45"}
    )
    assert saved.status_code == 303
    found = _ok(
        http.get(f"{dev_system.url('reporting')}/calendar/{year}", headers=api_token(http, dev_system, ADMIN))
    )
    assert found["source"] == "set"
    assert found["control_window_days"] == 45
    assert [q["submission_due"] for q in found["quarters"]] == [form[f"q{n}"] for n in range(1, 5)]
    holidays = [{"date": "2040-12-25", "name_fr": "Noël", "name_en": "Christmas"}]
    api = f"{dev_system.url('reporting')}/calendar/{year}"
    headers = api_token(http, dev_system, ADMIN)
    _ok(http.put(api, headers=headers, json={**_api_calendar(form), "holidays": holidays}))
    again = _post(
        admin, action, f"/administration/calendrier?exercice={year}", **{**form, "control_window_days": "45"}
    )
    assert again.status_code == 303
    assert _ok(http.get(api, headers=headers))["holidays"] == holidays  # kept, not reset to defaults
    text = text_of(admin.get(f"/administration/calendrier?exercice={year}").text)
    assert "Le calendrier a été enregistré." in text
    assert "Délai de contrôle : 45 jours" in text
    assert admin.get("/administration/calendrier?exercice=2040").status_code == 404


def _api_calendar(form: dict[str, str]) -> dict[str, Any]:
    return {
        "submission_due": {f"q{n}": form[f"q{n}"] for n in range(1, 5)},
        "control_window_days": 45,
        "resubmission_business_days": 10,
    }


def _locked_quarter(
    http: httpx.Client, system: ServiceProcesses, org_id: str, *, agreement_too: bool = True
) -> FiscalQuarter:
    """The previous quarter (ended, empty) of ``org_id`` submitted, accepted and locked (with an
    agreement covering it first, unless the organization has one)."""
    previous = FiscalQuarter.of(
        FiscalQuarter.of(montreal_date(datetime.now(UTC))).first_day - timedelta(days=1)
    )
    reporting = system.url("reporting")
    admin = api_token(http, system, ADMIN)
    agreement = {
        "organization_id": org_id,
        "starts_on": previous.first_day.isoformat(),
        "ends_on": (previous.first_day + timedelta(days=3 * 365)).isoformat(),
        "volets": ["V1"],
    }
    if agreement_too:
        _ok(http.post(f"{reporting}/agreements", headers=admin, json=agreement))
    token = http.post(
        f"{system.url('registration')}/dev/token",
        json={"user_id": f"manager@{org_id}", "roles": ["org_manager"], "organization": org_id},
    ).json()["access_token"]
    path = f"{reporting}/reports/{org_id}/{previous}"
    _ok(http.post(f"{path}/submit", headers={"Authorization": f"Bearer {token}"}))
    for step, body in (("take", None), ("accept", {}), ("lock", None)):
        _ok(http.post(f"{path}/{step}", headers=admin, json=body))
    return previous


def test_the_admin_unlocks_a_locked_quarter_with_a_reason(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    org_id = _organization(admin)
    quarter = _locked_quarter(http, dev_system, org_id)
    listing = admin.get("/administration/deverrouillage")
    form = f"/administration/deverrouillage/{org_id}/{quarter}"
    assert f'href="{form}"' in listing.text
    refused = _post(admin, form, form, reason="  ")
    assert refused.status_code == 422
    assert "Inscrivez le motif du déverrouillage" in text_of(refused.text)
    done = _post(admin, form, form, reason="Correction demandée par la vérification interne")
    assert done.status_code == 303
    report = _ok(
        http.get(
            f"{dev_system.url('reporting')}/reports/{org_id}/{quarter}",
            headers=api_token(http, dev_system, ADMIN),
        )
    )
    assert report["state"] == "accepted"
    after = admin.get("/administration/deverrouillage")
    assert "Le trimestre a été déverrouillé" in text_of(after.text)
    assert f'href="{form}"' not in after.text
    assert admin.get("/administration/deverrouillage/org-x/2026-Q9").status_code == 404


@pytest.mark.parametrize("user_id", [REVIEWER, STAFF])
def test_a_reviewers_or_an_organizations_session_is_refused_every_administration_page(
    dev_system: ServiceProcesses, user_id: str
) -> None:
    with portal_as(dev_system, user_id) as client:
        home = client.get("/")
        assert 'href="/administration"' not in home.text  # no menu entry either
        for path in (
            "/administration",
            ORGS,
            ORGS + "/nouveau",
            ORGS + "/org-sherbrooke",
            "/administration/calendrier",
            "/administration/deverrouillage",
        ):
            page = client.get(path)
            assert page.status_code == 403, path
            assert "Accès refusé" in text_of(page.text), path
        token = csrf_of(home.text)
        posted = client.post(
            ORGS + "/org-sherbrooke/conseillers", data={"csrf_token": token, "reviewer_id": "x@y"}
        )
        assert posted.status_code == 403


def test_the_admin_sees_the_administration_menu_in_english(dev_system: ServiceProcesses) -> None:
    with portal_as(dev_system, ADMIN, language="en") as client:
        home = client.get("/administration")
        assert home.status_code == 200
        text = text_of(home.text)
        assert "Administration" in text
        assert "Reporting calendar" in text
        assert "Locked quarters" in text
        form = client.get(ORGS + "/nouveau")
        assert "Register an organization" in text_of(form.text)
