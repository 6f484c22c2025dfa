"""Bad input through a real browser (Debian's Chromium) against the services and the portal as
processes: empty and overlong fields, control characters, a 20 MB upload, a file of the wrong
type, a double-clicked submit, a session that ends in the middle of a form, another
organization's ids typed in the address bar. Each refusal is a page or a message in French, in
human words; nothing is saved that should not be; axe-core on every page reached."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Page, expect

from portal.bootstrap import build_app
from portal.errors import MAX_BODY_BYTES
from portal.settings import PortalSettings
from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.interventions_support import STAFF, known_person, today, unique
from tests.portal.persons_support import api_token, csrf_of, person_body, register
from tests.portal.support import assert_accessible, eventually, this_quarter, watch_csp

pytestmark = pytest.mark.portal

MIB = 1024 * 1024
OTHER_STAFF = "marc@org-montreal"


def sign_in(page: Page, portal: str, user: str = STAFF, then: str = "/") -> None:
    page.goto(f"{portal}/signin?next={then}")
    page.get_by_role("button", name=re.compile(re.escape(user))).click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def fill_registration(page: Page, family: str, given: str) -> None:
    """Every required field of the register form but the names, as a staff member types them."""
    page.get_by_label("Nom de famille").fill(family)
    page.get_by_label("Prénom").fill(given)
    page.get_by_label("Date de naissance").fill("1990-04-02")
    page.get_by_label("Femme").check()
    page.get_by_label("Pays de naissance").select_option(label="Colombie")
    page.get_by_label("Première langue").select_option(label="espagnol")
    page.get_by_label("Statut", exact=True).select_option(label="Résident·e permanent·e")
    page.get_by_label("Date d'admission").fill("2025-06-01")
    page.get_by_label("Municipalité").fill("Sherbrooke")
    page.get_by_label("Prestation de services").check()


def persons_named(http: httpx.Client, system: ServiceProcesses, family: str) -> int:
    headers = api_token(http, system, STAFF)
    found = http.get(f"{system.url('registration')}/persons", headers=headers, params={"q": family})
    assert found.status_code == 200, found.text
    return sum(1 for item in found.json()["items"] if item["family_name"] == family)  # q is fuzzy


def expect_summary_and_field(page: Page, field: str, message: str) -> None:
    """The error summary at the top links to the field; the same message sits beside it."""
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Il y a un problème")
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#{field}")
    expect(page.locator(f"#{field}-error")).to_contain_text(message)


@pytest.fixture
def portal(dev_system: ServiceProcesses) -> str:
    return dev_system.url(PORTAL)


def test_empty_and_overlong_names_are_said_at_the_top_and_beside_the_field(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    refused = watch_csp(page)
    sign_in(page, portal, then="/personnes/nouvelle")
    family = unique("Vide")
    fill_registration(page, family, "")
    page.get_by_label("Nom de famille").fill("")
    page.get_by_label("Prénom").fill("É" * 201)
    page.get_by_role("button", name="Inscrire la personne").click()

    expect(page).to_have_title(re.compile("^Erreur"))
    expect_summary_and_field(page, "family_name", "Entrez le nom de famille")
    expect_summary_and_field(page, "given_name", "Prénom : 200 caractères au plus")
    # What was typed elsewhere is still there (and the overlong text too, to shorten).
    expect(page.get_by_label("Municipalité")).to_have_value("Sherbrooke")
    expect(page.get_by_label("Date de naissance")).to_have_value("1990-04-02")
    expect(page.get_by_label("Pays de naissance")).to_have_value("CO")
    expect(page.get_by_label("Prénom")).to_have_value("É" * 201)
    assert_accessible(page)
    page.get_by_label("Nom de famille").fill(family)
    page.get_by_label("Prénom").fill("Élise")
    page.get_by_role("button", name="Inscrire la personne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Élise {family}")
    assert persons_named(http, dev_system, family) == 1
    assert refused == []


def test_a_control_character_in_a_name_is_refused_in_a_sentence(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    sign_in(page, portal, then="/personnes/nouvelle")
    family = unique("Ctrl")
    fill_registration(page, family, "Amina")
    # Pasted from elsewhere: a bell character (U+0007) inside the family name.
    page.get_by_label("Nom de famille").evaluate(
        "(input, value) => { input.value = value }", f"{family}\x07x"
    )
    page.get_by_role("button", name="Inscrire la personne").click()

    message = page.locator("#family_name-error")
    expect(message).to_contain_text("Nom de famille contient un caractère qui ne peut pas être enregistré")
    expect(message).to_contain_text(f"position {len(family) + 1}")
    expect(message).not_to_contain_text("[")  # a sentence, not a pattern
    expect(page.get_by_role("alert")).to_contain_text("Nom de famille contient un caractère")
    expect(page.get_by_label("Prénom")).to_have_value("Amina")
    assert_accessible(page)
    assert persons_named(http, dev_system, family) == 0


def test_a_double_clicked_submit_registers_one_person(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    sign_in(page, portal, then="/personnes/nouvelle")
    family = unique("Double")
    fill_registration(page, family, "Nour")
    page.get_by_role("button", name="Inscrire la personne").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Nour {family}")
    assert_accessible(page)
    page.wait_for_load_state("networkidle")
    assert persons_named(http, dev_system, family) == 1


def big_file(tmp_path: Path, name: str, head: bytes, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as out:
        out.write(head)
        out.truncate(size)  # the rest: zeros, on disk (the browser reads it from there)
    return path


def documents_of(http: httpx.Client, system: ServiceProcesses, person_id: str) -> list[Any]:
    headers = api_token(http, system, STAFF)
    answer = http.get(f"{system.url('registration')}/persons/{person_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json().get("documents", []))


def test_a_20_mb_document_and_a_text_file_are_refused_beside_the_file_field(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client, tmp_path: Path
) -> None:
    person_id = register(
        http, dev_system, api_token(http, dev_system, STAFF), person_body(unique("Piece"), "Ana")
    )
    sign_in(page, portal, then=f"/personnes/{person_id}/documents")
    page.get_by_label("Pièce d'identité").check()
    page.get_by_label("Fichier").set_input_files(big_file(tmp_path, "scan.pdf", b"%PDF-1.7\n", 20 * MIB))
    page.get_by_role("button", name="Ajouter la pièce").click()
    expect_summary_and_field(page, "file", "Le fichier dépasse 10 Mo : choisissez-en un plus petit")
    expect(page.get_by_label("Pièce d'identité")).to_be_checked()  # the choice is kept
    assert_accessible(page)

    text = tmp_path / "notes.txt"
    text.write_text("Ceci n'est pas une pièce justificative.\n")
    page.get_by_label("Fichier").set_input_files(text)
    page.get_by_role("button", name="Ajouter la pièce").click()
    expect(page.locator("#file-error")).to_contain_text(
        "Type de document refusé : PDF, PNG ou JPEG seulement"
    )
    assert_accessible(page)
    assert documents_of(http, dev_system, person_id) == []


def imports_listed(http: httpx.Client, system: ServiceProcesses) -> int:
    headers = api_token(http, system, STAFF)
    answer = http.get(f"{system.url('interventions')}/imports", headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


def test_a_20_mb_image_renamed_csv_and_an_exe_are_refused_on_the_import_page(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client, tmp_path: Path
) -> None:
    before = imports_listed(http, dev_system)
    sign_in(page, portal, then="/imports")
    page.get_by_label("Vérification seulement (essai)").check()
    picture = big_file(tmp_path, "interventions.csv", b"\x89PNG\r\n\x1a\n", 20 * MIB)
    page.get_by_label("Fichier", exact=True).set_input_files(picture)
    page.get_by_role("button", name="Importer le fichier").click()
    expect_summary_and_field(page, "file", "Format non pris en charge : ce fichier n'est pas du texte.")
    expect(page.get_by_label("Vérification seulement (essai)")).to_be_checked()
    assert_accessible(page)

    program = big_file(tmp_path, "setup.exe", b"MZ\x90\x00\x03", 64 * 1024)
    page.get_by_label("Fichier", exact=True).set_input_files(program)
    page.get_by_role("button", name="Importer le fichier").click()
    expect(page.locator("#file-error")).to_contain_text("Format non pris en charge")
    assert_accessible(page)
    assert imports_listed(http, dev_system) == before


def test_a_file_above_what_the_portal_reads_is_refused_with_a_page_not_a_reset(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client, tmp_path: Path
) -> None:
    before = imports_listed(http, dev_system)
    sign_in(page, portal, then="/imports")
    page.get_by_label("Vérification seulement (essai)").check()
    huge = big_file(tmp_path, "tout.csv", b"code;date\n", 60 * MIB)
    page.get_by_label("Fichier", exact=True).set_input_files(huge)
    page.get_by_role("button", name="Importer le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Le fichier est trop volumineux")
    expect(page.get_by_text("rien n'a été envoyé")).to_be_visible()
    assert_accessible(page)
    # The portal is still there, the person still signed in.
    page.goto(f"{portal}/imports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des interventions")
    assert imports_listed(http, dev_system) == before


def test_a_session_that_ends_mid_form_keeps_what_was_typed_for_after_signing_in(
    page: Page, context: BrowserContext, portal: str, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    sign_in(page, portal, then="/personnes/nouvelle")
    family = unique("Reprise")
    fill_registration(page, family, "Léa")
    page.get_by_label("Adresse (numéro et rue)").fill("12, rue King Ouest")
    # The server forgets the session (idle too long, or restarted): the cookie names nothing.
    lost = [
        {**c, "value": secrets.token_urlsafe(32)} for c in context.cookies() if c["name"] == "gsi_session"
    ]
    assert lost
    context.add_cookies(lost)  # type: ignore[arg-type]
    page.get_by_role("button", name="Inscrire la personne").click()

    expect(page).to_have_url(re.compile(r"/signin\?next=/personnes/nouvelle$"))
    expect(page.get_by_role("status")).to_contain_text("Votre session avait pris fin")
    assert_accessible(page)
    assert persons_named(http, dev_system, family) == 0  # nothing sent without a fresh CSRF check
    page.get_by_role("button", name=re.compile(re.escape(STAFF))).click()

    expect(page).to_have_url(f"{portal}/personnes/nouvelle")
    expect(page.get_by_role("status")).to_contain_text("Ce que vous aviez saisi est de retour")
    expect(page.get_by_label("Nom de famille")).to_have_value(family)
    expect(page.get_by_label("Prénom")).to_have_value("Léa")
    expect(page.get_by_label("Date de naissance")).to_have_value("1990-04-02")
    expect(page.get_by_label("Femme")).to_be_checked()
    expect(page.get_by_label("Pays de naissance")).to_have_value("CO")
    expect(page.get_by_label("Adresse (numéro et rue)")).to_have_value("12, rue King Ouest")
    expect(page.get_by_label("Prestation de services")).to_be_checked()
    assert_accessible(page)
    assert persons_named(http, dev_system, family) == 0
    page.get_by_role("button", name="Inscrire la personne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Léa {family}")
    assert persons_named(http, dev_system, family) == 1
    # Shown once: the form is blank when opened again.
    page.goto(f"{portal}/personnes/nouvelle")
    expect(page.get_by_label("Nom de famille")).to_have_value("")


def another_organizations_ids(http: httpx.Client, system: ServiceProcesses) -> dict[str, str]:
    """A person and an intervention of the Montréal organization, made through the APIs."""
    headers = api_token(http, system, OTHER_STAFF)
    person_id = register(http, system, headers, person_body(unique("Ailleurs"), "Rosa"))
    body = {
        "person_id": person_id,
        "code": "ACC",
        "service_date": today(),
        "duration_minutes": 45,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "marc",
    }

    def declared() -> str | None:
        answer = http.post(f"{system.url('interventions')}/interventions", headers=headers, json=body)
        return str(answer.json()["intervention_id"]) if answer.status_code == 201 else None

    intervention_id = eventually(declared, what="interventions learns of the person")
    return {"person": person_id, "intervention": intervention_id}


def test_another_organizations_ids_typed_in_the_address_are_page_not_found(
    page: Page, portal: str, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    ids = another_organizations_ids(http, dev_system)
    known_person(http, dev_system, unique("Ici"))  # the staff member's own organization has data
    sign_in(page, portal)
    for path in (
        f"/personnes/{ids['person']}",
        f"/personnes/{ids['person']}/documents",
        f"/interventions/{ids['intervention']}",
        f"/rapports/org-montreal/{this_quarter()}",
    ):
        answer = page.goto(f"{portal}{path}")
        assert answer is not None
        assert answer.status == 404, (path, answer.status)
        expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
        content = page.content()
        assert "Rosa" not in content, path
        assert "Ailleurs" not in content, path
        assert_accessible(page)


def test_a_body_sent_without_its_length_is_cut_off_once_past_the_limit() -> None:
    """In process: a chunked body (no ``Content-Length``) is counted as it comes and refused with
    the page once it passes what the portal reads; no route sees the rest."""
    settings = PortalSettings(auth_mode="development")
    with TestClient(build_app(settings), follow_redirects=False) as client:
        token = csrf_of(client.get("/signin").text)

        def chunks() -> Iterator[bytes]:  # a form with a file, streamed
            yield (
                f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                '--b\r\nContent-Disposition: form-data; name="language"\r\n\r\nen\r\n'
                '--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            ).encode()
            for _ in range(MAX_BODY_BYTES // MIB + 2):
                yield b"x" * MIB
            yield b"\r\n--b--\r\n"

        answer = client.post(
            "/language", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert answer.status_code == 413
        assert "<h1>Le fichier est trop volumineux</h1>" in answer.text
        assert client.get("/signin").text.count('lang="fr-CA"') == 1  # the language did not change
