"""The imports pages in-process against the real services: the template downloaded, a file with
errors checked (dry run: the error table, the error file), then a clean file saved; the progress
bar while an import runs, the page again once it is done; a file refused as a whole."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.bootstrap import build_app
from portal.settings import DevUser, PortalSettings
from portal.web import Pages
from scripts.demo_plan import USERS
from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import STAFF, assert_no_id_shown, form_of, known_person, today, unique
from tests.portal.persons_support import csrf_of, text_of
from tests.portal.support import eventually

pytestmark = pytest.mark.portal

HEADER = "person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n"
UNKNOWN = "3f0e4b9e-0000-4000-8000-000000000000"
JOB = "6b1d2c3e-0000-4000-8000-00000000a001"


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def upload(client: TestClient, name: str, content: bytes, mode: str) -> Any:
    return client.post(
        "/imports",
        data={**form_of(client, "/imports"), "mode": mode},
        files={"file": (name, content, "text/csv")},
    )


def finished(client: TestClient, job: str) -> str:
    def done() -> str | None:
        page = client.get(job)
        return page.text if "<progress" not in page.text else None

    page: str = eventually(done, what="the import to finish")
    return page


def test_a_file_with_errors_is_checked_then_a_clean_one_saved(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    template = karine.get("/imports/modele", params={"format": "csv"})
    assert template.status_code == 200
    assert template.content.startswith("\ufeffperson_id;code".encode())
    assert "attachment" in template.headers["content-disposition"]
    assert karine.get("/imports/modele", params={"format": "xlsx"}).content.startswith(b"PK")

    person_id = known_person(http, dev_system, unique("Import"))
    with_errors = csv_of(
        f"{person_id};PDI;{today()};30;in_person;V1;karine;",
        f"{person_id};XYZ;{today()};30;in_person;V1;karine;",
        f"{UNKNOWN};PDI;{today()};30;in_person;V1;karine;",
    )
    checked = upload(karine, "seances.csv", with_errors, "dry_run")
    assert checked.status_code == 303, checked.text
    job = checked.headers["location"]
    page = finished(karine, job)
    words = text_of(page)
    assert "Importation de seances.csv" in words
    assert "Vérification seulement (essai)" in words
    assert "Lignes valides (seraient enregistrées) 1" in words
    assert "Lignes en erreur 2" in words
    assert "Code d'intervention inconnu : XYZ" in words
    assert "Personne inconnue de votre organisme" in words
    assert_no_id_shown(page)  # the unknown person's id, as typed in the file, is not shown either
    errors = karine.get(f"{job}/erreurs", params={"format": "csv"})
    assert errors.status_code == 200
    assert "catalogue.unknown_code" in errors.content.decode("utf-8-sig")
    assert karine.get(job + "/avancement").headers.get("HX-Refresh") == "true"  # done: the page again

    clean = csv_of(
        f"{person_id};PDI;{today()};30;in_person;V1;karine;",
        f"{person_id};ADM;{today()};30;in_person;V1;karine;",
    )
    saved = upload(karine, "propre.csv", clean, "valid_rows_only")
    assert saved.status_code == 303
    words = text_of(finished(karine, saved.headers["location"]))
    assert "Interventions enregistrées 2" in words
    assert "Lignes en erreur 0" in words
    link = re.search(r'href="(/interventions\?import_id=[^"]+)"', finished(karine, saved.headers["location"]))
    assert link
    assert "2 interventions" in text_of(karine.get(link[1]).text)
    past = text_of(karine.get("/imports").text)
    assert past.index("propre.csv") < past.index("seances.csv")  # the latest first


def test_a_file_is_refused_as_a_whole_beside_the_file_field(karine: TestClient) -> None:
    nothing = karine.post("/imports", data={**form_of(karine, "/imports"), "mode": "dry_run"})
    assert nothing.status_code == 422
    assert '<a href="#file">Choisissez le fichier à importer</a>' in nothing.text
    wrong = upload(karine, "notes.txt", b"bonjour", "dry_run")
    assert wrong.status_code == 422
    assert 'id="file-error"' in wrong.text
    assert "colonnes" in text_of(wrong.text).lower()


def test_while_an_import_runs_a_progress_bar_says_where_it_stands_and_refreshes_itself() -> None:
    environment = Pages(development_sign_in=True).environment("fr")
    job = {
        "import_id": "job-1",
        "status": "validating",
        "processed_rows": 1200,
        "total_rows": 5000,
        "created": 0,
    }
    html = environment.get_template("imports/progress.html").render(job=job)
    assert re.search(r'<progress class="import-progress__bar" max="5000" value="1200"', html)
    assert "Vérification des lignes : 1 200 sur 5 000" in " ".join(html.replace("\u202f", " ").split())
    assert 'hx-get="/imports/job-1/avancement" hx-trigger="every 1s"' in html
    assert '<a href="/imports/job-1">Actualiser la page</a>' in html  # without JavaScript


def test_the_job_page_polls_while_the_import_runs_then_shows_the_whole_page_again() -> None:
    """The polling contract, with interventions answering "running" then "done" (on the real
    services a small file is done before its page is shown; on SQLite an import holds the
    database while it validates, so a read waits for it)."""
    states = iter(["validating", "writing", "done"])
    job = {"import_id": JOB, "organization_id": "org-sherbrooke", "file_name": "propre.csv", "format": "csv"}
    job |= {"mode": "valid_rows_only", "total_rows": 900, "created": 0, "unchanged": 0, "rejected": 0}
    job |= {"started_at": "2026-12-06T15:00:00Z", "finished_at": None, "started_by": STAFF, "failure": None}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/dev/token":
            return httpx.Response(200, json={"access_token": "token"})
        if request.url.path == f"/imports/{JOB}":
            status = next(states)
            return httpx.Response(200, json={**job, "status": status, "processed_rows": 300})
        return httpx.Response(200, json={"items": [], "total": 0, "offset": 0, "limit": 100})

    settings = PortalSettings(
        auth_mode="development", dev_users=[DevUser(**u) for u in USERS if u["user_id"] == STAFF]
    )
    with TestClient(
        build_app(settings, transport=httpx.MockTransport(answer)), follow_redirects=False
    ) as client:
        token = csrf_of(client.get("/signin").text)
        assert client.post("/signin/dev", data={"user_id": STAFF, "csrf_token": token}).status_code == 303
        page = client.get(f"/imports/{JOB}")
        assert re.search(r'<progress class="import-progress__bar" max="900" value="300"', page.text)
        assert f'hx-get="/imports/{JOB}/avancement" hx-trigger="every 1s"' in page.text
        assert f'<a href="/imports/{JOB}">Actualiser la page</a>' in page.text
        running = client.get(f"/imports/{JOB}/avancement")
        assert "Enregistrement des lignes valides" in text_of(running.text)
        assert "HX-Refresh" not in running.headers
        done = client.get(f"/imports/{JOB}/avancement")
        assert done.headers["HX-Refresh"] == "true"
