"""The programme-rules pages in-process against the running services, as a browser without
JavaScript uses them (plain POSTs): the versions of the eligibility rules and of the
intervention catalogue, one version's settings, two versions compared, and publishing a new
version — the form, its errors (the page's and the service's), the service's preview, going
back to change it, then the confirmation, sent once. What was published is read back through
the services' APIs."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import montreal_date
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import api_token, csrf_of, portal_as, text_of
from tests.portal.test_admin_pages import ADMIN, REVIEWER

pytestmark = pytest.mark.portal

RULES = "/administration/regles"
LISTINGS = {
    "catalogue": ("interventions", "/catalogue/history"),
    "admissibilite": ("registration", "/rule-sets"),
}


@pytest.fixture
def admin(dev_system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(dev_system, ADMIN) as client:
        yield client


def history(http: httpx.Client, system: ServiceProcesses, kind: str) -> list[dict[str, Any]]:
    service, path = LISTINGS[kind]
    answer = http.get(system.url(service) + path, headers=api_token(http, system, ADMIN))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def next_date(http: httpx.Client, system: ServiceProcesses, kind: str) -> str:
    """A date a new version may take effect on: after the latest version's and after today."""
    latest = date.fromisoformat(history(http, system, kind)[-1]["effective_from"])
    today = montreal_date(datetime.now(UTC))
    return (max(latest, today + timedelta(days=30)) + timedelta(days=1)).isoformat()


def proposal(client: TestClient, kind: str, change: Any) -> dict[str, str]:
    """The publishing form as the page fills it (the latest version), ``change`` applied."""
    page = client.get(f"{RULES}/{kind}/publier")
    assert page.status_code == 200, page.text
    start = page.text.index('id="document"')
    raw = page.text[page.text.index(">", start) + 1 : page.text.index("</textarea>", start)]
    document = json.loads(html.unescape(raw))
    change(document)
    return {"csrf_token": csrf_of(page.text), "document": json.dumps(document, ensure_ascii=False)}


def younger_obi(document: dict[str, Any]) -> None:
    """OBI a year younger than in the latest version (other tests of the session publish too)."""
    document["codes"]["OBI"]["min_age"] -= 1


def test_the_versions_and_a_versions_settings_are_listed(admin: TestClient) -> None:
    listed = text_of(admin.get(RULES).text)
    assert "Règles d'admissibilité" in listed
    assert "Catalogue des interventions" in listed
    assert "2020.1" in listed
    assert "Livrée avec GSI" in listed
    version = admin.get(f"{RULES}/catalogue/versions/2020.1")
    assert version.status_code == 200
    assert "codes.OBI.min_age" in version.text
    rules = admin.get(f"{RULES}/admissibilite/versions/2020.1")
    assert "rules.E4.max_years.permanent_resident.years" in rules.text
    assert admin.get(f"{RULES}/catalogue/versions/1999.9").status_code == 404
    assert admin.get(f"{RULES}/autre/versions/2020.1").status_code == 404


def test_a_catalogue_version_is_previewed_then_published_once(
    admin: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    form = proposal(admin, "catalogue", younger_obi)
    age = json.loads(form["document"])["codes"]["OBI"]["min_age"]
    version = f"2090.{uuid.uuid4().hex[:6]}"
    empty = admin.post(f"{RULES}/catalogue/publier", data={**form, "document": "{ pas du JSON"})
    assert empty.status_code == 422
    said = text_of(empty.text)
    assert "Il y a un problème" in said
    assert "Inscrivez le numéro de la nouvelle version" in said
    assert "Les règles ne forment pas un document JSON valide (ligne 1)" in said
    a_list = admin.post(f"{RULES}/catalogue/publier", data={**form, "document": "[1, 2]"})
    assert "Les règles doivent former un objet JSON, entre { et }" in text_of(a_list.text)

    filled = {**form, "version": version, "reason": "Âge minimal de l'OBI abaissé"}
    today = montreal_date(datetime.now(UTC)).isoformat()
    retroactive = admin.post(f"{RULES}/catalogue/publier", data={**filled, "effective_from": today})
    assert retroactive.status_code == 422
    # Registration's refusal beside the date: from tomorrow on, or after a version already to come.
    assert 'id="effective_from-error"' in retroactive.text
    assert "entrer en vigueur" in text_of(retroactive.text)

    filled["effective_from"] = next_date(http, dev_system, "catalogue")
    before = history(http, dev_system, "catalogue")
    preview = admin.post(f"{RULES}/catalogue/publier", data=filled)
    assert preview.status_code == 200, preview.text
    shown = text_of(preview.text)
    assert f"Aperçu : Catalogue des interventions, version {version}" in shown
    assert f"codes.OBI.min_age Modifié {age + 1} {age}" in shown
    assert re.search(r"Codes d'intervention : OBI — \d+ interventions? au cours des 12 derniers mois", shown)
    assert history(http, dev_system, "catalogue") == before  # a preview publishes nothing

    confirm = {**filled, "csrf_token": csrf_of(preview.text), "submission": uuid.uuid4().hex}
    back = admin.post(f"{RULES}/catalogue/publier/confirmer", data={**confirm, "decision": "edit"})
    assert back.status_code == 200
    assert f'value="{version}"' in back.text
    published = admin.post(f"{RULES}/catalogue/publier/confirmer", data=confirm)
    assert published.status_code == 303, published.text
    target = f"{RULES}/catalogue/versions/{version}"
    assert published.headers["location"] == target
    again = admin.post(f"{RULES}/catalogue/publier/confirmer", data=confirm)  # sent twice: once
    assert (again.status_code, again.headers["location"]) == (303, target)
    page = text_of(admin.get(target).text)
    assert f"La version {version} a été publiée." in page
    assert "Âge minimal de l'OBI abaissé" in page
    latest = history(http, dev_system, "catalogue")[-1]
    assert (latest["version"], latest["published_by"], latest["reason"]) == (
        version,
        ADMIN,
        "Âge minimal de l'OBI abaissé",
    )

    compared = admin.get(f"{RULES}/catalogue/comparer", params={"de": "2020.1", "a": version})
    assert compared.status_code == 200
    assert f"codes.OBI.min_age Modifié 18 {age}" in text_of(compared.text)


def test_an_eligibility_rules_version_refused_by_registration_says_why_in_english(
    dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    with portal_as(dev_system, ADMIN, language="en") as admin:

        def unknown_volet(document: dict[str, Any]) -> None:
            document["rules"]["E3"]["no_individual_services"] = ["V9"]

        form = proposal(admin, "admissibilite", unknown_volet)
        data = {
            **form,
            "version": f"2090.{uuid.uuid4().hex[:6]}",
            "effective_from": next_date(http, dev_system, "admissibilite"),
            "reason": "Test",
        }
        refused = admin.post(f"{RULES}/admissibilite/publier", data=data)
        assert refused.status_code == 422
        said = text_of(refused.text)
        assert "There is a problem" in said
        assert "The rule set is invalid." in said
        assert "V9" in said


def test_a_reviewer_cannot_open_the_programme_rules(dev_system: ServiceProcesses) -> None:
    with portal_as(dev_system, REVIEWER) as reviewer:
        assert reviewer.get(RULES).status_code == 403
        assert reviewer.get(f"{RULES}/catalogue/publier").status_code == 403
