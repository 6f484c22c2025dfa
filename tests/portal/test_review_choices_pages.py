"""The reviewer's and the administrator's choices in the portal, against the real services
(processes, embedded mode): the work queue filtered by reporting a page at a time; the rejection's
resubmission deadline (the calendar's prefilled, another business day chosen, a weekend refused
beside its field, the organization told); organizations named, not numbered, in the
administration's lists; an agreement's targets per intervention code.

The tests run in this file's order (one report goes from the queue to its rejection)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.routes import review_queue
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import csrf_of, text_of
from tests.portal.review_support import (
    ADMIN,
    MANAGER,
    ORG,
    OTHER,
    QUARTER,
    REVIEWER,
    ok,
    portal_as,
    set_up,
    start,
    token,
)

pytestmark = [pytest.mark.portal, pytest.mark.usefixtures("prepared")]

CONTROL = f"/controle/{ORG}/{QUARTER}"
OTHER_CONTROL = f"/controle/{OTHER}/{QUARTER}"
OTHER_MANAGER = "isabelle@org-montreal"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcesses]:
    system = start(tmp_path_factory.mktemp("portal-review-choices"))
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def prepared(system: ServiceProcesses) -> None:
    """The organization's report submitted (``set_up``), and Montréal's too (no intervention)."""
    with httpx.Client(timeout=30) as http:
        set_up(http, system)
        path = f"{system.url('reporting')}/reports/{OTHER}/{QUARTER}/submit"
        ok(http.post(path, headers=token(http, system, OTHER_MANAGER)))


@pytest.fixture
def reviewer(system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(system, REVIEWER) as client:
        yield client


def _reporting(
    system: ServiceProcesses, path: str, user: str, method: str = "GET", body: dict[str, Any] | None = None
) -> Any:
    with httpx.Client(timeout=30) as http:
        url, headers = f"{system.url('reporting')}{path}", token(http, system, user)
        return ok(http.request(method, url, headers=headers, json=body))


def _queue_rows(html: str) -> list[str]:
    table = html[html.index('id="queue"') : html.index('id="overview"')]
    return re.findall(r'<a href="(/controle/[^"]+)">', table)


# --- the queue, filtered by reporting ----------------------------------------------------------


def test_the_queue_is_filtered_before_it_is_paged(
    reviewer: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One report a page: a filter finds the report on a later page of the unfiltered queue."""
    monkeypatch.setattr(review_queue, "QUEUE_PAGE", 1)
    first = reviewer.get("/controle")
    assert first.status_code == 200, first.text
    assert len(_queue_rows(first.text)) == 1
    assert "Rapports 1 à 1 sur 2" in text_of(first.text)
    following = re.search(r'href="([^"]*page=2)" rel="next"', first.text)
    assert following
    second = reviewer.get(following[1].replace("&amp;", "&"))
    assert {*_queue_rows(first.text), *_queue_rows(second.text)} == {CONTROL, OTHER_CONTROL}
    for region, control in (("05", CONTROL), ("06", OTHER_CONTROL)):
        page = reviewer.get("/controle", params={"region": region})
        assert _queue_rows(page.text) == [control]
        assert 'rel="next"' not in page.text
    assert _queue_rows(reviewer.get("/controle", params={"organisme": OTHER}).text) == [OTHER_CONTROL]
    assert _queue_rows(reviewer.get("/controle", params={"etat": "under_control"}).text) == []
    # a value reporting would refuse, typed in the address, is no filter rather than an error page
    assert reviewer.get("/controle", params={"region": "99", "etat": "x"}).status_code == 200


# --- the resubmission deadline -----------------------------------------------------------------


def _window(system: ServiceProcesses) -> dict[str, str]:
    found: dict[str, str] = _reporting(system, f"/reports/{ORG}/{QUARTER}/resubmission-window", REVIEWER)
    return found


def _reject(client: TestClient, **data: str) -> httpx.Response:
    page = client.get(CONTROL)
    answer: httpx.Response = client.post(
        f"{CONTROL}/refus", data={"csrf_token": csrf_of(page.text), "reason": "Des durées à revoir", **data}
    )
    return answer


def test_the_rejection_form_offers_the_calendars_deadline(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    page = reviewer.get(CONTROL)
    assert 'id="resubmission_due"' not in page.text  # not before the report is taken
    taken = reviewer.post(f"{CONTROL}/prise", data={"csrf_token": csrf_of(page.text)})
    assert taken.status_code == 303
    window = _window(system)
    page = reviewer.get(CONTROL)
    field = re.search(r'<input[^>]*id="resubmission_due"[^>]*>', page.text)
    assert field, page.text
    assert f'value="{window["default"]}"' in field[0]
    assert f'min="{window["earliest"]}"' in field[0]
    assert f'max="{window["latest"]}"' in field[0]
    assert "Par défaut, l'échéance du calendrier de reddition de comptes" in text_of(page.text)


def test_a_weekend_deadline_is_refused_beside_its_field(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    earliest = date.fromisoformat(_window(system)["earliest"])
    saturday = earliest + timedelta(days=(5 - earliest.weekday()) % 7)
    refused = _reject(reviewer, resubmission_due=saturday.isoformat())
    assert refused.status_code == 422, refused.text
    assert 'href="#resubmission_due"' in refused.text
    assert re.search(r'id="resubmission_due-error"[^>]*>.*?pas un jour ouvrable', refused.text, re.S)
    assert re.search(r'<input[^>]*id="resubmission_due"[^>]*aria-invalid="true"', refused.text)
    assert "Des durées à revoir" in refused.text  # what was typed, kept
    not_a_date = _reject(reviewer, resubmission_due="demain")
    assert not_a_date.status_code == 422
    assert "Indiquez le dernier jour pour resoumettre, sous forme de date" in text_of(not_a_date.text)


def test_a_chosen_deadline_is_the_one_the_organization_sees(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    window = _window(system)
    chosen = window["earliest"] if window["earliest"] != window["default"] else window["latest"]
    done = _reject(reviewer, resubmission_due=chosen)
    assert done.status_code == 303, done.text
    report = _reporting(system, f"/reports/{ORG}/{QUARTER}", MANAGER)
    assert (report["state"], report["resubmission_due"]) == ("rejected", chosen)
    with portal_as(system, MANAGER) as organization:
        seen = organization.get(f"/rapports/{ORG}/{QUARTER}")
    assert seen.status_code == 200, seen.text
    day = date.fromisoformat(chosen)
    assert re.search(rf"Resoumettez au plus tard le {day.day}(er)? \w+ {day.year}", text_of(seen.text))


# --- the administration's lists name organizations -------------------------------------------


def test_the_locked_quarters_and_the_audit_name_the_organizations(system: ServiceProcesses) -> None:
    path = f"/reports/{OTHER}/{QUARTER}"
    for step, body in (("take", None), ("accept", {}), ("lock", None)):
        _reporting(system, f"{path}/{step}", REVIEWER, method="POST", body=body)
    with portal_as(system, ADMIN) as admin:
        locked = admin.get("/administration/deverrouillage")
        audit = admin.get("/administration/audit", params={"service": "registration"})
    row = re.search(r"<tr>\s*<td>(.*?)</td>", locked.text[locked.text.index("<tbody>") :], re.S)
    assert row
    assert text_of(row[1]) == f"Accueil Montréal ({OTHER})"
    assert audit.status_code == 200, audit.text
    assert f"karine@{ORG} (Intégration Estrie)" in text_of(audit.text)


# --- an agreement's targets per intervention code ---------------------------------------------


def _agreement_form(client: TestClient, organization: str, **typed: str) -> httpx.Response:
    address = f"/administration/organismes/{organization}/conventions/nouvelle"
    page = client.get(address)
    data = {
        "csrf_token": csrf_of(page.text),
        "starts_on": "2027-04-01",
        "ends_on": "2028-03-31",
        "volets": "V1",
        "fiscal_year": "2027-2028",
        **typed,
    }
    answer: httpx.Response = client.post(address, data=data)
    return answer


def test_an_agreement_has_targets_per_intervention_code(system: ServiceProcesses) -> None:
    organization = "org-levis"
    body = {"organization_id": organization, "name": "Accueil Lévis", "regions": ["12"]}
    _reporting(system, "/organizations", ADMIN, method="POST", body=body)
    with portal_as(system, ADMIN) as admin:
        refused = _agreement_form(admin, organization, codes_year="ACC 400, ACC 10")
        assert refused.status_code == 422
        assert "écrivez chaque code une seule fois avec sa cible" in text_of(refused.text)
        done = _agreement_form(
            admin, organization, persons_year="120", codes_year="acc 400; SUI: 900", codes_Q1="EVB 30"
        )
        assert done.status_code == 303, done.text
        page = admin.get(done.headers["location"])
    agreement_id = done.headers["location"].rsplit("/", 1)[1]
    recorded = _reporting(system, f"/agreements/{agreement_id}", ADMIN)
    by_period = {t["period"]: t["interventions"] for t in recorded["targets"]}
    assert by_period == {"year": {"ACC": 400, "SUI": 900}, "Q1": {"EVB": 30}}
    text = text_of(page.text)
    assert "ACC 400, SUI 900" in text
    assert re.search(
        r'<input[^>]*id="codes_year"[^>]*value="ACC 400, SUI 900"', page.text
    )  # the amendment form
