"""The ministry's pages — its organizations and their profiles, the lock-exception requests to
decide, the programme's indicators — against the real services (processes, embedded mode),
in-process. The set-up is the reports tests' (an organization, its agreement and calendar, two
interventions this quarter, the previous quarter locked), plus quarterly targets, the reviewer's
assignment in reporting's registry and two lock-exception requests."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from scripts.demo_plan import USERS
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import api_token, csrf_of, portal_as, text_of
from tests.portal.support import PORT_SHIFT, eventually
from tests.portal.test_reports import (
    ADMIN,
    CURRENT,
    MANAGER,
    OFFSET,
    ORG,
    PREVIOUS,
    REVIEWER,
    TODAY,
    _fiscal_year,
    _lock_previous,
    _ok,
    _setup,
)

pytestmark = pytest.mark.portal

BASE_PORT = 19400 + PORT_SHIFT  # apart from the other portal tests' ports (test_screens: 19380)
YEAR = _fiscal_year(CURRENT)
QUARTER_TARGET = {"unique_persons": 4, "action_plans": 2, "interventions": {"ACC": 4, "SUI": 4}}


def _targets(http: httpx.Client, system: ServiceProcesses) -> None:
    """Quarterly targets for this fiscal year, by an amendment of the organization's agreement."""
    admin, reporting = api_token(http, system, ADMIN), system.url("reporting")
    agreement = _ok(http.get(f"{reporting}/agreements", headers=admin, params={"organization_id": ORG}))
    targets = [{"fiscal_year": YEAR, "period": f"Q{n}", **QUARTER_TARGET} for n in range(1, 5)]
    path = f"{reporting}/agreements/{agreement['items'][0]['agreement_id']}/amendments"
    _ok(http.post(path, headers=admin, json={"targets": targets, "reason": "Cibles trimestrielles"}))
    _ok(http.put(f"{reporting}/organizations/{ORG}/reviewers/{REVIEWER}", headers=admin))


def _request(http: httpx.Client, system: ServiceProcesses, reason: str) -> str:
    """A lock exception for the locked previous quarter, once interventions knows of the lock."""
    manager, url = api_token(http, system, MANAGER), f"{system.url('interventions')}/lock-exceptions"
    body = {"quarter": str(PREVIOUS), "reason": reason}
    made = eventually(
        lambda: (a := http.post(url, headers=manager, json=body)).status_code == 201 and a.json(),
        what="interventions learns of the lock",
    )
    return str(made["id"])


@contextmanager
def ministry_system(tmp: Path, base_port: int) -> Iterator[ServiceProcesses]:
    """The services and the portal on ``base_port``, set up as this module's docstring says
    (the browser tests' too). The in-process portal reads the services' clock from the
    environment: the caller sets ``GSI_PORTAL_CLOCK_OFFSET_DAYS`` to :data:`OFFSET`."""
    env = {"GSI_DATA_DIR": str(tmp), "GSI_BUS": "embedded", "GSI_CLOCK_OFFSET_DAYS": str(OFFSET)}
    system = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=base_port)
    try:
        system.start(timeout_s=120)
        portal_env = {
            "GSI_PORTAL_AUTH_MODE": "development",
            "GSI_PORTAL_DEV_USERS": json.dumps(USERS),
            "GSI_PORTAL_CLOCK_OFFSET_DAYS": str(OFFSET),
        }
        system.start_portal(portal_env)
        with httpx.Client(timeout=30) as http:
            _setup(http, system)
            _targets(http, system)
            _lock_previous(http, system)
            system.requests = [  # type: ignore[attr-defined]
                _request(http, system, "Deux accueils de mai saisis en retard"),
                _request(http, system, "Une durée mal saisie"),
            ]
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def system(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[ServiceProcesses]:
    monkeypatch_module.setenv("GSI_PORTAL_CLOCK_OFFSET_DAYS", str(OFFSET))
    with ministry_system(tmp_path_factory.mktemp("portal-ministry"), BASE_PORT) as started:
        yield started


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def reviewer(system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(system, REVIEWER) as client:
        yield client


def _inbox_titles(system: ServiceProcesses) -> list[str]:
    with httpx.Client(timeout=30) as http:
        manager = api_token(http, system, MANAGER)
        found = _ok(http.get(f"{system.url('notifications')}/inbox", headers=manager, params={"limit": 50}))
    return [str(n["title_fr"]) for n in found["items"]]


# --- who sees these pages ----------------------------------------------------------------------


def test_the_menu_leads_a_reviewer_to_the_ministrys_pages(reviewer: TestClient) -> None:
    page = reviewer.get("/organismes")
    assert page.status_code == 200, page.text
    for link in ("/organismes", "/indicateurs", "/demandes-exception"):
        assert f'href="{link}"' in page.text
    assert 'href="/organismes" aria-current="page"' in page.text
    assert f'href="/organismes/{ORG}">Intégration Estrie</a>' in page.text


def test_an_organizations_staff_get_neither_the_menu_nor_the_pages(system: ServiceProcesses) -> None:
    with portal_as(system, MANAGER) as manager:
        assert 'href="/indicateurs"' not in manager.get("/").text
        for path in ("/organismes", f"/organismes/{ORG}", "/indicateurs", "/demandes-exception"):
            assert manager.get(path).status_code == 403, path
        assert manager.get(f"/indicateurs/{YEAR}/codes.csv").status_code == 403


def test_an_organization_the_reviewer_is_not_assigned_is_not_found(reviewer: TestClient) -> None:
    assert reviewer.get("/organismes/org-montreal").status_code == 404
    assert reviewer.get("/organismes/<script>").status_code == 404


def test_an_administrator_sees_every_organization(system: ServiceProcesses) -> None:
    with portal_as(system, ADMIN) as admin:
        page = admin.get("/organismes")
        assert page.status_code == 200, page.text
        assert f'href="/organismes/{ORG}"' in page.text
        assert admin.get(f"/organismes/{ORG}").status_code == 200


# --- an organization's profile -----------------------------------------------------------------


def test_the_profile_shows_agreements_targets_reports_reviewers_and_contacts(reviewer: TestClient) -> None:
    page = reviewer.get(f"/organismes/{ORG}")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Intégration Estrie" in text
    assert "V1, V2, V3" in text  # the agreement's volets
    assert f"Cibles et réalisations, exercice {YEAR}" in text
    # This quarter: two persons served against a target of 4 (50 %), in the table and the chart.
    quarter = f"T{CURRENT.number} {CURRENT.start_year}-{CURRENT.start_year + 1}"
    assert re.search(rf"{quarter} 2 / 4 \(50 %\)", text), text
    assert page.text.count('class="bar-chart"') == 3  # persons, action plans, interventions
    assert 'width="50.0%"' in page.text
    assert f'href="/rapports/{ORG}/{PREVIOUS}"' in page.text  # the report history
    assert "Verrouillé" in text
    assert REVIEWER in text  # the assigned reviewers
    assert "Sophie Tremblay" in text
    assert 'href="mailto:sophie@integration-estrie.example"' in page.text


def test_the_profile_of_another_fiscal_year_and_in_english(system: ServiceProcesses) -> None:
    next_year = f"{CURRENT.start_year + 1}-{CURRENT.start_year + 2}"
    with portal_as(system, REVIEWER, language="en") as client:
        page = client.get(f"/organismes/{ORG}", params={"exercice": next_year})
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert f"Targets and achievements, fiscal year {next_year}" in text
    assert "The agreement sets no quarterly target for this fiscal year." in text
    assert "Assigned reviewers" in text


# --- lock-exception requests -------------------------------------------------------------------


def test_the_requests_awaiting_a_decision_name_their_organization(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    page = reviewer.get("/demandes-exception")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Demandes d'exception au verrouillage" in text
    for made in system.requests:  # type: ignore[attr-defined]
        assert f'href="/demandes-exception/{made}">Intégration Estrie</a>' in page.text
    assert "Deux accueils de mai saisis en retard" in text


def test_a_grant_without_a_valid_day_and_a_refusal_without_a_reason_are_refused_beside_their_fields(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    made = system.requests[0]  # type: ignore[attr-defined]
    form = reviewer.get(f"/demandes-exception/{made}")
    assert form.status_code == 200, form.text
    token = csrf_of(form.text)
    wrong = reviewer.post(
        f"/demandes-exception/{made}/accord", data={"csrf_token": token, "valid_until": "demain"}
    )
    assert wrong.status_code == 422
    assert 'href="#valid_until"' in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    past = (TODAY - timedelta(days=3)).isoformat()
    refused = reviewer.post(
        f"/demandes-exception/{made}/accord", data={"csrf_token": token, "valid_until": past}
    )
    assert refused.status_code == 422, refused.text  # interventions refuses a day already past
    empty = reviewer.post(
        f"/demandes-exception/{made}/refus", data={"csrf_token": token, "refuse_reason": " "}
    )
    assert empty.status_code == 422
    assert "Indiquez le motif de la décision (3 caractères au moins)" in text_of(empty.text)


def test_granting_until_a_day_tells_the_organization(reviewer: TestClient, system: ServiceProcesses) -> None:
    made = system.requests[0]  # type: ignore[attr-defined]
    token = csrf_of(reviewer.get(f"/demandes-exception/{made}").text)
    until = (TODAY + timedelta(days=10)).isoformat()
    data = {"csrf_token": token, "valid_until": until, "grant_reason": "Corrections limitées à mai"}
    answer = reviewer.post(f"/demandes-exception/{made}/accord", data=data)
    assert answer.status_code == 303, answer.text
    page = text_of(reviewer.get(answer.headers["location"]).text)
    assert "L'exception est accordée ; l'organisme en est avisé." in page
    assert "Accordée" in page
    assert "Corrections limitées à mai" in page
    assert "Accorder l'exception" not in page  # decided: no more forms
    eventually(
        lambda: any(t.startswith("Exception au verrouillage accordée") for t in _inbox_titles(system)),
        what="the organization's notice",
    )


def test_refusing_with_a_reason_tells_the_organization(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    made = system.requests[1]  # type: ignore[attr-defined]
    token = csrf_of(reviewer.get(f"/demandes-exception/{made}").text)
    data = {"csrf_token": token, "refuse_reason": "La durée peut être corrigée au prochain trimestre"}
    answer = reviewer.post(f"/demandes-exception/{made}/refus", data=data)
    assert answer.status_code == 303, answer.text
    page = text_of(reviewer.get(answer.headers["location"]).text)
    assert "Refusée" in page
    assert "La durée peut être corrigée au prochain trimestre" in page
    eventually(
        lambda: any(t.startswith("Exception au verrouillage refusée") for t in _inbox_titles(system)),
        what="the organization's notice",
    )
    decided = text_of(reviewer.get("/demandes-exception", params={"etat": ""}).text)
    assert "Accordée" in decided
    assert "Refusée" in decided


# --- programme indicators ----------------------------------------------------------------------


def _counted(reviewer: TestClient) -> Any:
    page = reviewer.get("/indicateurs", params={"exercice": YEAR})
    return page if "ACC" in page.text else None


def test_the_indicators_each_have_a_chart_a_table_and_a_csv(reviewer: TestClient) -> None:
    page = eventually(lambda: _counted(reviewer), what="reporting counts the interventions")
    assert page.status_code == 200
    text = text_of(page.text)
    for title in (
        "Personnes servies par trimestre",
        "Part des personnes avec un plan d'action",
        "Interventions par code",
        "Personnes servies par région",
        "Délai de l'arrivée au premier service",
        "Rétention régionale à 12 mois",
    ):
        assert title in text
    for key in ("trimestres", "plans-action", "codes", "regions", "premier-service", "retention"):
        assert f'href="/indicateurs/{YEAR}/{key}.csv"' in page.text
    assert page.text.count("<table") == 6
    assert 'width="100.0%"' in page.text  # the largest figure of a chart fills it


def test_a_csv_is_for_a_french_excel(reviewer: TestClient) -> None:
    eventually(lambda: _counted(reviewer), what="reporting counts the interventions")
    answer = reviewer.get(f"/indicateurs/{YEAR}/codes.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="indicateurs-codes-{YEAR}.csv"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Code d'intervention", "Interventions"]
    assert ["ACC", "1"] in rows
    assert ["SUI", "1"] in rows
    quarters = reviewer.get(f"/indicateurs/{YEAR}/trimestres.csv").content.decode("utf-8-sig")
    assert quarters.startswith("Trimestre;Personnes servies;Interventions;Plans d'action ouverts\r\n")
    assert f"T{CURRENT.number} {CURRENT.start_year}-{CURRENT.start_year + 1};2;2;0\r\n" in quarters
    assert reviewer.get(f"/indicateurs/{YEAR}/autre.csv").status_code == 404
    assert reviewer.get("/indicateurs/2026-2030/codes.csv").status_code == 404


def test_the_indicators_in_english(system: ServiceProcesses) -> None:
    with portal_as(system, REVIEWER, language="en") as client:
        text = text_of(client.get("/indicateurs", params={"exercice": YEAR}).text)
        csv_text = client.get(f"/indicateurs/{YEAR}/regions.csv").content.decode("utf-8-sig")
    assert "Programme indicators" in text
    assert "Time from arrival to first service" in text
    assert csv_text.startswith("Code de région;Région;Personnes servies")  # French headers, always
