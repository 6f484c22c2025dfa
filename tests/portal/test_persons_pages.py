"""The persons pages in-process against the real services (processes, embedded mode): register
with an error then fixed, eligibility and the duplicate rules on save, live checks of a field
and the region filled in from the postal code, the search (accents, UCI, file number, filters,
htmx's results alone), a file with its plan, checkpoints and interventions on one timeline,
changes with their reasons, documents up and down, and another organization's file not found."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import montreal_date
from portal.routes.persons_choices import regions
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import (
    api_token,
    csrf_of,
    person_body,
    portal_as,
    register,
    registration_form,
    text_of,
)
from tests.portal.support import eventually

pytestmark = pytest.mark.portal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def unique(name: str) -> str:
    """A family name no other test uses (the services run for the whole session)."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:6])
    return f"{name}-{letters.capitalize()}"


def file_path(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(r"/personnes/[0-9a-f-]{36}", location), location
    return location


# --- registering ----------------------------------------------------------------------------


def test_an_error_is_shown_in_the_summary_and_beside_the_field_then_the_fixed_form_saves(
    karine: TestClient,
) -> None:
    family = unique("Haddad")
    form = registration_form(karine, family_name=family, given_name="")
    refused = karine.post("/personnes/nouvelle", data=form)
    assert refused.status_code == 422
    assert '<a href="#given_name">Entrez le prénom</a>' in refused.text
    assert (
        'id="given_name-error"><span class="visually-hidden">Erreur :</span> Entrez le prénom' in refused.text
    )
    assert 'aria-describedby="given_name-error" aria-invalid="true"' in refused.text
    # What was typed is still there, and the region was filled in from the postal code.
    assert f'value="{family}"' in refused.text
    assert '<option value="05" selected>05 — Estrie</option>' in refused.text
    assert "Remplie d'après le code postal (J1H)" in text_of(refused.text)

    saved = karine.post("/personnes/nouvelle", data={**form, "given_name": "Amina"})
    page = karine.get(file_path(saved))
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Personne inscrite" in shown
    assert re.search(r"Numéro de dossier : D-\d{6}", shown)
    assert f"Amina {family}" in shown
    assert "Estrie (05)" in shown
    # Eligibility per volet with its reasons, as registration evaluated it on save.
    assert re.search(
        r"V3 — Personnes réfugiées prises en charge par l'État sélectionnées à l'étranger Admissible", shown
    )
    assert re.search(r"V4 — Personnes demandant l'asile Non admissible .*\(règle E3\)", shown)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", shown), "no id on screen"
    # The message is shown once: the same file again has no "registered" panel.
    assert "Personne inscrite" not in text_of(karine.get(file_path(saved)).text)


def test_registrations_refusal_is_put_beside_its_field(karine: TestClient) -> None:
    form = registration_form(karine, family_name=unique("Roy"), given_name="Léa", effective_from="2030-01-01")
    refused = karine.post("/personnes/nouvelle", data=form)
    assert refused.status_code == 422
    # Registration's own sentence (the status may not start in the future), on the date field.
    assert '<a href="#effective_from">Le statut commence dans le futur.</a>' in refused.text
    assert 'id="effective_from-error"' in refused.text


def test_the_same_uci_twice_opens_the_existing_file(karine: TestClient) -> None:
    uci = f"{uuid.uuid4().int % 10**8:08d}"
    first = file_path(
        karine.post(
            "/personnes/nouvelle",
            data=registration_form(karine, family_name=unique("Nguyen"), given_name="Bao", uci=uci),
        )
    )
    again = karine.post(
        "/personnes/nouvelle",
        data=registration_form(karine, family_name=unique("Nguyen"), given_name="Bao", uci=uci),
    )
    assert file_path(again) == first
    shown = text_of(karine.get(first).text)
    assert "Votre organisme a déjà inscrit une personne avec cet IUC." in shown
    assert re.search(r"Voici son dossier \(D-\d{6}\) : aucun second dossier n'a été créé\.", shown)
    found = karine.get("/personnes", params={"q": uci})
    assert "1 personne trouvée" in text_of(found.text)


def test_a_second_click_on_register_opens_the_first_file(karine: TestClient) -> None:
    family = unique("Diallo")
    form = registration_form(karine, family_name=family, given_name="Aïssatou")
    first = file_path(karine.post("/personnes/nouvelle", data=form))
    assert file_path(karine.post("/personnes/nouvelle", data=form)) == first
    assert "1 personne trouvée" in text_of(karine.get("/personnes", params={"q": family}).text)


def test_a_field_is_checked_as_it_is_left_and_the_postal_code_fills_in_the_region(karine: TestClient) -> None:
    form = registration_form(karine, birth_date="2999-01-01", postal_code="h7n 1a1")
    headers = {"x-csrf-token": form["csrf_token"]}
    field = karine.post("/personnes/formulaires/registration/birth_date", data=form, headers=headers)
    assert field.status_code == 200
    assert field.text.lstrip().startswith('<div class="field field--error" id="field-birth_date">')
    assert "La date de naissance doit être aujourd'hui ou dans le passé" in text_of(field.text)
    assert "<html" not in field.text  # the field alone

    postal = karine.post("/personnes/formulaires/registration/postal_code", data=form, headers=headers)
    assert '<div class="field" id="field-region" hx-swap-oob="true">' in postal.text
    assert '<option value="13" selected>13 — Laval</option>' in postal.text
    # A region the person chose is kept; a rural area that spans two regions names them.
    chosen = {**form, "region": "06", "region_auto": "", "postal_code": "G0M 1A0"}
    kept = karine.post("/personnes/formulaires/registration/postal_code", data=chosen, headers=headers)
    assert '<option value="06" selected>' in kept.text
    assert "Chaudière-Appalaches (12), Estrie (05)" in kept.text


# --- finding --------------------------------------------------------------------------------


def test_search_ignores_accents_and_case_and_finds_by_file_number_and_uci(
    karine: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "karine@org-sherbrooke")
    family = unique("Bélanger-Côté")
    uci = f"{uuid.uuid4().int % 10**8:08d}"
    person_id = register(http, dev_system, headers, person_body(family, "Émilie", uci=uci))
    plain = family.lower().replace("é", "e").replace("ô", "o").replace("-", " ")

    for query in (plain, plain.split()[1][:4] + " emil", uci, f"{uci[:4]}-{uci[4:]}"):
        shown = text_of(karine.get("/personnes", params={"q": query}).text)
        assert "1 personne trouvée" in shown, query
        assert f"{family}, Émilie" in shown
    reference = re.search(r"<td>(D-\d{6})</td>", karine.get("/personnes", params={"q": uci}).text)
    assert reference
    by_number = text_of(karine.get("/personnes", params={"q": reference[1].lower()}).text)
    assert f"{family}, Émilie" in by_number
    # Filters: the region and the volet narrow it; another status leaves nobody.
    kept = karine.get("/personnes", params={"q": plain, "region": "06", "eligible_for": "V1"})
    assert "1 personne trouvée" in text_of(kept.text)
    none = karine.get("/personnes", params={"q": plain, "status": "asylum_claimant"})
    assert "0 personne trouvée" in text_of(none.text)
    # htmx, as one types: the results alone, the count for the live region beside them.
    live = karine.get(
        "/personnes", params={"q": plain}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in live.text
    assert f'href="/personnes/{person_id}"' in live.text
    assert '<p id="result-count" hx-swap-oob="innerHTML">1 personne trouvée</p>' in live.text


def test_results_come_a_page_at_a_time(
    karine: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "karine@org-sherbrooke")
    family = unique("Pagination")
    for n in range(21):
        register(http, dev_system, headers, person_body(family, f"Personne {n:02d}"))
    first = karine.get("/personnes", params={"q": family})
    shown = text_of(first.text)
    assert "21 personnes trouvées — page 1 de 2" in shown
    assert shown.count(f"{family}, Personne") == 20
    assert 'rel="next"' in first.text
    second = text_of(karine.get("/personnes", params={"q": family, "page": "2"}).text)
    assert second.count(f"{family}, Personne") == 1
    assert f"{family}, Personne 20" in second


# --- a file ---------------------------------------------------------------------------------


def test_a_file_shows_eligibility_on_a_date_the_plan_the_checkpoints_and_the_interventions(
    dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "marc@org-montreal")
    today = montreal_date(datetime.now(UTC)).isoformat()
    person_id = register(http, dev_system, headers, person_body(unique("Moreno"), "Lucía"))
    interventions = dev_system.url("interventions")
    declaration = {
        "person_id": person_id,
        "code": "ACC",
        "service_date": today,
        "duration_minutes": 45,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "marc",
    }
    eventually(
        lambda: (
            http.post(f"{interventions}/interventions", headers=headers, json=declaration).status_code == 201
        ),
        what="interventions learns of the person",
    )
    plan = {
        "person_id": person_id,
        "opened_on": today,
        "needs": ["housing"],
        "objectives": ["Trouver un logement"],
    }
    assert http.post(f"{interventions}/action-plans", headers=headers, json=plan).status_code == 201
    follow_up = {"person_id": person_id, "destination_region": "05", "opened_on": today}
    assert (
        http.post(f"{interventions}/regionalization-follow-ups", headers=headers, json=follow_up).status_code
        == 201
    )

    with portal_as(dev_system, "marc@org-montreal") as marc:
        page = marc.get(f"/personnes/{person_id}", params={"on": "2025-03-01"})
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Admissibilité le 1 mars 2025" in shown
    assert "ACC — " in shown
    assert "V1, 45 min, en personne, par marc" in shown
    assert "Plan ouvert le" in shown
    assert "Logement" in shown
    assert "Trouver un logement" in shown
    assert "Établissement dans la région : Estrie (05)" in shown
    assert "Jalon de régionalisation à 3 mois" in shown
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", shown), "no id on screen"
    with portal_as(dev_system, "marc@org-montreal") as marc:
        before_birth = marc.get(f"/personnes/{person_id}", params={"on": "1950-01-01"})
    assert '<a href="#on">' in before_birth.text  # registration's refusal, in the summary and by the date


def test_another_organizations_person_is_page_not_found(
    karine: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "julie@org-quebec")
    person_id = register(http, dev_system, headers, person_body(unique("Lavoie"), "Anne"))
    for path in (f"/personnes/{person_id}", f"/personnes/{person_id}/adresse", "/personnes/not-a-person"):
        page = karine.get(path)
        assert page.status_code == 404, path
        assert "<h1>Page introuvable</h1>" in page.text
        assert "Lavoie" not in page.text


def test_changes_of_status_address_and_consent_each_with_its_reason(
    karine: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "karine@org-sherbrooke")
    person_id = register(http, dev_system, headers, person_body(unique("Ortiz"), "Sofía"))
    base = f"/personnes/{person_id}"
    form = karine.get(f"{base}/adresse")
    today = montreal_date(datetime.now(UTC)).isoformat()
    assert f'name="effective_from" type="date" value="{today}"' in form.text  # today by default
    address = {
        "csrf_token": csrf_of(form.text),
        "street": "45 rue Wellington Nord",
        "municipality": "Sherbrooke",
        "postal_code": "J1H 5B2",
        "region": "",
        "region_auto": "",
        "effective_from": today,
        "reason": "",
    }
    refused = karine.post(f"{base}/adresse", data=address)
    assert refused.status_code == 422
    assert '<a href="#reason">Entrez le motif du changement</a>' in refused.text
    done = karine.post(f"{base}/adresse", data={**address, "reason": "Déménagement"})
    assert done.status_code == 303
    assert done.headers["location"] == f"{base}#identity"
    shown = text_of(karine.get(base).text)
    assert "La nouvelle adresse est enregistrée." in shown
    assert "Estrie (05)" in shown

    status = {
        "csrf_token": address["csrf_token"],
        "status": "protected_person",
        "effective_from": today,
        "admission_date": "",
        "expires_on": "",
        "reason": "Décision de la CISR reçue",
    }
    assert karine.post(f"{base}/statut", data=status).status_code == 303
    assert "Personne protégée, depuis le" in text_of(karine.get(base).text)

    withdrawal = f"{base}/consentements/ministry_reporting/retrait"
    assert "Consentement : Reddition de comptes au ministère" in text_of(karine.get(withdrawal).text)
    assert (
        karine.post(
            withdrawal, data={"csrf_token": address["csrf_token"], "reason": "Demande de la personne"}
        ).status_code
        == 303
    )
    shown = text_of(karine.get(base).text)
    assert "Demande de la personne" in shown
    given = karine.post(
        f"{base}/consentements", data={"csrf_token": address["csrf_token"], "purpose": "research"}
    )
    assert given.status_code == 303
    assert "Le consentement est enregistré." in text_of(karine.get(base).text)


def test_a_document_goes_up_and_comes_back_down_through_the_portal(
    karine: TestClient, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    headers = api_token(http, dev_system, "karine@org-sherbrooke")
    person_id = register(http, dev_system, headers, person_body(unique("Kaya"), "Deniz"))
    base = f"/personnes/{person_id}"
    token = csrf_of(karine.get(f"{base}/documents").text)

    wrong = karine.post(
        f"{base}/documents",
        data={"csrf_token": token, "kind": "status_document"},
        files={"file": ("notes.txt", b"just text", "text/plain")},
    )
    assert wrong.status_code == 422
    assert 'id="file-error"' in wrong.text  # registration's refusal of the type, by the file
    too_large = karine.post(
        f"{base}/documents",
        data={"csrf_token": token, "kind": "status_document"},
        files={"file": ("scan.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024), "application/pdf")},
    )
    assert too_large.status_code == 422
    assert "Le fichier dépasse 10 Mo : choisissez-en un plus petit" in too_large.text

    sent = karine.post(
        f"{base}/documents",
        data={"csrf_token": token, "kind": "status_document"},
        files={"file": ("carte-rp.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303
    page = karine.get(base)
    assert "Preuve de statut" in text_of(page.text)
    link = re.search(rf'href="({base}/documents/[0-9a-f-]+\?nom=[^"]+)"', page.text)
    assert link
    download = karine.get(link[1].replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="status_document-\d{4}-\d{2}-\d{2}\.pdf"', disposition)


# --- the postal-code table ------------------------------------------------------------------


def test_the_postal_code_table_names_only_quebec_areas_and_real_regions() -> None:
    table = regions()
    assert sorted(table.names) == [f"{n:02d}" for n in range(1, 18)]
    assert len(table.by_fsa) > 400
    for fsa, codes in table.by_fsa.items():
        assert re.fullmatch(r"[GHJ][0-9][A-Z]", fsa), fsa
        assert codes, fsa
        assert set(codes) <= set(table.names), fsa
    assert {code for codes in table.by_fsa.values() for code in codes} == set(table.names)
    # Places whose region nobody doubts; a rural area across two regions gives both.
    known = {"H2X": "06", "H7N": "13", "J1H": "05", "G1R": "03", "J8Y": "07", "G5L": "01", "J9P": "08"}
    for fsa, region in known.items():
        assert table.of_postal_code(f"{fsa.lower()} 1a1") == (fsa, (region,))
    assert table.of_postal_code("G0M 1A0")[1] == ("12", "05")
    assert table.of_postal_code("K1A 0B1") == ("K1A", ())
