"""The interventions pages in-process against the real services (processes, embedded mode):
the person found by name and shown by name, birth date and file number; the checks before
saving (a C5 flag shown, fixed by a plan made from its link, then the declaration saved clean;
a refusal said before saving and beside its field on saving); the code list grouped by volet;
a second click on "Save"; the list filtered, sorted and each flag explained; a correction and a
cancellation with their reasons and the history; a group session with its attendance list."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import (
    STAFF,
    assert_no_id_shown,
    form_of,
    hidden,
    known_person,
    today,
    unique,
)
from tests.portal.persons_support import api_token, csrf_of, portal_as, text_of

pytestmark = pytest.mark.portal

NEW = "/interventions/nouvelle"


def declaration(**fields: Any) -> dict[str, Any]:
    return {
        "person_query": "",
        "person_id": "",
        "code": "V1:PDI",
        "service_date": today(),
        "duration_minutes": "45",
        "mode": "in_person",
        "staff_member": STAFF,
        "notes": "",
        "target_organization": "",
        "referral_reason": "",
        **fields,
    }


def declare_api(http: httpx.Client, system: ServiceProcesses, person_id: str, code: str, **more: Any) -> str:
    body = {
        "person_id": person_id,
        "code": code,
        "service_date": today(),
        "duration_minutes": 30,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": more.pop("staff_member", "karine"),
        **more,
    }
    answer = http.post(
        f"{system.url('interventions')}/interventions", headers=api_token(http, system, STAFF), json=body
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["intervention_id"])


def test_a_person_is_found_as_one_types_and_shown_by_name_birth_date_and_file_number(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Quintero")
    person_id = known_person(http, dev_system, family)
    form = form_of(karine, NEW)
    # Without JavaScript: the "Search" button sends the form back with the persons found.
    found = karine.post(NEW, data={**form, **declaration(person_query=family, code=""), "action": "search"})
    assert found.status_code == 200, found.text
    words = text_of(found.text)
    assert f"Lucia {family}" in words
    assert "née le 14 juillet 1988" in words or "né(e) le 14 juillet 1988" in words
    assert re.search(r"dossier D-\d{6}", words)
    assert f'name="person_id" type="radio" value="{person_id}"' in found.text
    assert_no_id_shown(found.text)
    # With htmx, as one types: the same choices alone.
    live = karine.get("/interventions/personnes", params={"person_query": family[:6].lower()})
    assert live.status_code == 200
    assert f'value="{person_id}"' in live.text
    assert "<html" not in live.text
    assert "1 personne trouvée" in text_of(live.text)


def test_the_c5_flag_shows_before_saving_and_the_plan_made_from_its_link_fixes_it(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    person_id = known_person(http, dev_system, unique("Ferreira"))
    form = form_of(karine, NEW)
    typed = {**form, **declaration(person_id=person_id, code="V1:SUI")}
    checked = karine.post(NEW, data={**typed, "action": "check"})
    assert checked.status_code == 200, checked.text
    panel = text_of(checked.text)
    assert "Elle serait enregistrée avec 1 signalement" in panel
    assert "C5 · Erreur" in panel
    assert "Suivi (SUI) sans plan d'action actif" in panel
    assert "Comment corriger : Créez un plan d'action pour la personne" in panel
    # Live, with htmx: the same panel alone.
    live = karine.post(f"{NEW}/verification", data=typed, headers={"HX-Request": "true"})
    assert "C5 · Erreur" in text_of(live.text)
    assert "<html" not in live.text
    # Nothing was saved.
    listed = karine.get("/interventions", params={"person_id": person_id})
    assert "0 intervention" in text_of(listed.text)

    create = re.search(r'href="(/plans/nouveau\?[^"]+)">Créer un plan d\'action', checked.text)
    assert create, "the flag links to a new action plan"
    plan_page = html.unescape(create[1])
    plan_form = form_of(karine, plan_page)
    retour = html.unescape(hidden(karine.get(plan_page).text, "retour"))
    assert retour.startswith(f"{NEW}?")
    opened = karine.post(
        "/plans/nouveau",
        data={
            **plan_form,
            "person_id": person_id,
            "opened_on": today(),
            "needs": ["housing", "french_courses"],
            "objectives": "Trouver un logement\nS'inscrire en francisation",
            "retour": retour,
        },
    )
    assert opened.status_code == 303, opened.text
    back = opened.headers["location"]
    assert back.startswith(f"{NEW}?")
    again = karine.get(back)
    assert 'value="V1:SUI" selected' in again.text  # what was typed is kept
    assert "Aucun problème : elle serait enregistrée sans aucun signalement." in text_of(again.text)

    saved = karine.post(
        NEW, data={**form_of(karine, back), **declaration(person_id=person_id, code="V1:SUI")}
    )
    assert saved.status_code == 303, saved.text
    detail = karine.get(saved.headers["location"])
    words = text_of(detail.text)
    assert "L'intervention est enregistrée, sans aucun signalement." in words
    assert "Aucun signalement : rien à corriger." in words
    assert_no_id_shown(detail.text)


def test_a_second_click_on_save_opens_the_intervention_the_first_made(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    person_id = known_person(http, dev_system, unique("Okonkwo"))
    data = {**form_of(karine, NEW), **declaration(person_id=person_id)}
    first = karine.post(NEW, data=data)
    second = karine.post(NEW, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    listed = karine.get("/interventions", params={"person_id": person_id})
    assert "1 intervention" in text_of(listed.text)


def test_a_refusal_is_said_before_saving_and_beside_its_field_on_saving(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    person_id = known_person(http, dev_system, unique("Nakamura"))
    typed = {**form_of(karine, NEW), **declaration(person_id=person_id, service_date="2099-01-05")}
    checked = karine.post(NEW, data={**typed, "action": "check"})
    assert (
        "Cette intervention serait refusée : La date de l'intervention (2099-01-05) est dans le futur."
        in text_of(checked.text)
    )
    saved = karine.post(NEW, data=typed)
    assert saved.status_code == 422
    assert (
        '<a href="#service_date">La date de l&#39;intervention (2099-01-05) est dans le futur.</a>'
        in saved.text
    )
    assert 'id="service_date-error"' in saved.text
    assert "<title>Erreur : Déclarer une intervention — GSI</title>" in saved.text
    # No person chosen: said beside the person, in interventions' words.
    nobody = karine.post(NEW, data={**typed, "person_id": "", "service_date": today()})
    assert nobody.status_code == 422
    assert 'href="#person_id"' in nobody.text
    assert 'id="person_id-error"' in nobody.text
    listed = karine.get("/interventions", params={"person_id": person_id})
    assert "0 intervention" in text_of(listed.text)


def test_the_codes_are_grouped_by_volet_with_their_conditions_and_a_group_code_sets_the_mode(
    karine: TestClient,
) -> None:
    page = karine.get(NEW)
    assert page.status_code == 200
    assert re.search(r'<optgroup label="V1 — [^"]+">', page.text)
    assert '<option value="V1:SUI"' in page.text
    assert '<option value="V2:SUI"' in page.text  # offered in both volets: in both groups
    words = text_of(page.text)
    assert "Un plan d'action actif pour la personne à la date du service (C5)." in words
    assert f'value="{STAFF}"' in page.text  # the staff member: the person signed in
    assert f'value="{today()}"' in page.text  # the service date: today
    htmx = {"HX-Request": "true", "x-csrf-token": csrf_of(page.text)}  # as htmx sends it
    # A group code chosen (the panel was made for another one): the mode becomes "group"…
    live = karine.post(
        f"{NEW}/verification",
        data={**declaration(code="V2:SIC"), "checked_code": "V1:PDI"},
        headers=htmx,
    )
    assert 'id="field-mode" hx-swap-oob="true"' in live.text
    assert 'value="group" checked' in live.text
    assert "Séance d'information collective" in text_of(live.text)
    # …and back to in person once another code is chosen; the same code again changes nothing.
    back = karine.post(
        f"{NEW}/verification",
        data={**declaration(code="V1:PDI", mode="group"), "checked_code": "V2:SIC"},
        headers=htmx,
    )
    assert 'value="in_person" checked' in back.text
    same = karine.post(
        f"{NEW}/verification",
        data={**declaration(code="V1:PDI", mode="remote"), "checked_code": "V1:PDI"},
        headers=htmx,
    )
    assert "hx-swap-oob" not in same.text


def test_the_list_is_filtered_sorted_and_explains_each_flag_in_both_languages(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Moreau")
    person_id = known_person(http, dev_system, family)
    declare_api(http, dev_system, person_id, "SUI", staff_member="zoé")
    declare_api(http, dev_system, person_id, "PDI", staff_member="ali")
    page = karine.get("/interventions", params={"person": family})
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "2 interventions" in words
    assert f"Interventions de : Lucia {family}" in words
    assert "Comment corriger : Créez un plan d'action" in words
    assert_no_id_shown(page.text)
    flagged = karine.get("/interventions", params={"person_id": person_id, "check": "C5"})
    assert "1 intervention" in text_of(flagged.text)
    by_code = text_of(karine.get("/interventions", params={"person_id": person_id, "sort": "code"}).text)
    assert by_code.index("PDI — Premières démarches") < by_code.index("SUI — Suivi")
    by_staff = karine.get("/interventions", params={"person_id": person_id, "sort": "-staff_member"}).text
    assert by_staff.index("<td>zoé</td>") < by_staff.index("<td>ali</td>")
    assert 'aria-sort="descending"' in by_staff
    assert "sort=staff_member" in by_staff  # choosing the title again sorts the other way
    with portal_as(dev_system, STAFF, "en") as english:
        words = text_of(english.get("/interventions", params={"person_id": person_id}).text)
        assert "How to fix it: Create an action plan for the person" in words
        assert "C5 · Error" in words


def test_a_correction_and_a_cancellation_each_need_a_reason_and_show_in_the_history(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    person_id = known_person(http, dev_system, unique("Lindqvist"))
    intervention_id = declare_api(http, dev_system, person_id, "SUI")
    detail = f"/interventions/{intervention_id}"
    correction = form_of(karine, f"{detail}/correction")
    page = karine.get(f"{detail}/correction")
    assert 'value="V1:SUI" selected' in page.text
    no_reason = {
        **correction,
        **declaration(code="V1:PDI"),
        "reason": "",
    }
    refused = karine.post(f"{detail}/correction", data=no_reason)
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text
    corrected = karine.post(f"{detail}/correction", data={**no_reason, "reason": "Mauvais code saisi"})
    assert corrected.status_code == 303, corrected.text
    after = text_of(karine.get(detail).text)
    assert "La correction est enregistrée; les contrôles ont été refaits." in after
    assert "Aucun signalement : rien à corriger." in after  # PDI needs no plan
    cancel_form = form_of(karine, detail)
    cancelled = karine.post(f"{detail}/annulation", data={**cancel_form, "reason": "Saisie en double"})
    assert cancelled.status_code == 303
    final = karine.get(detail)
    words = text_of(final.text)
    assert "L'intervention est annulée." in words
    for said in (
        "Déclaration",
        "Correction",
        "Annulation",
        "Motif : Mauvais code saisi",
        "Motif : Saisie en double",
    ):
        assert said in words, said
    assert "Corriger l'intervention" not in words  # a cancelled intervention changes no more
    assert_no_id_shown(final.text)


def test_a_group_session_declares_one_intervention_per_attendee(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Diaz")
    first = known_person(http, dev_system, family, "Ana")
    second = known_person(http, dev_system, family, "Rosa")
    form = form_of(karine, "/interventions/seance")
    typed = {
        **form,
        "title": "Vivre à Sherbrooke",
        "code": "V2:SIC",
        "service_date": today(),
        "duration_minutes": "90",
        "staff_member": STAFF,
        "notes": "",
        "person_query": family,
        "attendees": [first],
    }
    found = karine.post("/interventions/seance", data={**typed, "action": "search"})
    assert f'name="attendees" type="checkbox" value="{first}" checked' in found.text
    assert f'name="attendees" type="checkbox" value="{second}"' in found.text
    held = karine.post("/interventions/seance", data={**typed, "attendees": [first, second]})
    assert held.status_code == 303, held.text
    assert held.headers["location"].startswith("/interventions?session_id=")
    listed = text_of(karine.get(held.headers["location"]).text)
    assert "La séance de groupe est enregistrée : 2 interventions déclarées." in listed
    assert f"Ana {family}" in listed
    assert f"Rosa {family}" in listed
    assert "2 interventions" in listed
