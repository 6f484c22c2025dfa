"""The action plans and regionalization follow-ups pages in-process against the real services: a
plan opened (refused first without a need), objectives, a planned service and a follow-up added,
then closed, with its history; the list by person; a follow-up whose checkpoint is due comes
first, and its outcome is recorded (refused first when "moved" names no region)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import STAFF, assert_no_id_shown, form_of, known_person, today, unique
from tests.portal.persons_support import text_of

pytestmark = pytest.mark.portal


def test_a_plan_is_opened_completed_section_by_section_then_closed(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Petrov")
    person_id = known_person(http, dev_system, family)
    new = f"/plans/nouveau?person_id={person_id}"
    form = form_of(karine, new)
    typed = {
        **form,
        "person_id": person_id,
        "opened_on": today(),
        "objectives": "Trouver un logement",
        "retour": "",
    }
    refused = karine.post("/plans/nouveau", data=typed)
    assert refused.status_code == 422
    assert 'href="#needs"' in refused.text
    assert 'id="needs-error"' in refused.text
    opened = karine.post("/plans/nouveau", data={**typed, "needs": ["housing", "employment"]})
    assert opened.status_code == 303, opened.text
    plan = opened.headers["location"]
    page = karine.get(plan)
    words = text_of(page.text)
    assert "Le plan d'action est ouvert." in words
    assert f"Lucia {family}" in words
    assert "Logement, Emploi" in words
    assert "Trouver un logement" in words

    for section, fields in (
        ("objectifs", {"text": "Inscrire les enfants à la garderie"}),
        ("services", {"code": "PDI", "planned_on": today(), "note": "Carte RAMQ"}),
        ("suivis", {"held_on": today(), "note": "Appel de suivi", "staff_member": STAFF}),
    ):
        added = karine.post(f"{plan}/{section}", data={**form_of(karine, plan), **fields})
        assert added.status_code == 303, (section, added.text)
    empty = karine.post(f"{plan}/objectifs", data={**form_of(karine, plan), "text": ""})
    assert empty.status_code == 422
    assert 'id="text-error"' in empty.text
    closed = karine.post(
        f"{plan}/fermeture",
        data={
            **form_of(karine, plan),
            "closed_on": today(),
            "outcome": "completed",
            "reason": "Objectifs atteints",
        },
    )
    assert closed.status_code == 303
    final = karine.get(plan)
    words = text_of(final.text)
    for said in (
        "Le plan d'action est fermé.",
        "Inscrire les enfants à la garderie",
        "PDI — Premières démarches d'installation",
        "Carte RAMQ",
        "Appel de suivi",
        "Plan fermé",
        "Motif : Objectifs atteints",
    ):
        assert said in words, said
    assert "Ajouter l'objectif" not in words  # a closed plan changes no more
    assert_no_id_shown(final.text)
    listed = text_of(karine.get("/plans", params={"person": family}).text)
    assert "1 plan d'action" in listed
    assert "Fermé" in listed


def test_a_due_checkpoint_comes_first_and_its_outcome_is_recorded(
    karine: TestClient, http: httpx.Client, dev_system: ServiceProcesses
) -> None:
    family = unique("Gagnon")
    person_id = known_person(http, dev_system, family)
    settled = (date.fromisoformat(today()) - timedelta(days=100)).isoformat()
    form = form_of(karine, "/suivis-regionalisation/nouveau")
    opened = karine.post(
        "/suivis-regionalisation/nouveau",
        data={
            **form,
            "person_id": person_id,
            "destination_region": "05",
            "opened_on": settled,
            "person_query": "",
        },
    )
    assert opened.status_code == 303, opened.text
    follow_up = opened.headers["location"]
    listing = karine.get("/suivis-regionalisation")
    words = text_of(listing.text)
    due = words.index("Jalons à venir")
    every = words.index("Tous les suivis")
    assert due < words.index(f"Lucia {family}") < every  # in the checkpoints due, before the rest
    assert "En retard" in words
    assert f'href="{follow_up}#form-checkpoint"' in listing.text
    assert_no_id_shown(listing.text)

    moved = {**form_of(karine, follow_up), "months": "3", "outcome": "moved", "recorded_on": today()}
    refused = karine.post(f"{follow_up}/jalons", data={**moved, "new_region": "", "note": ""})
    assert refused.status_code == 422
    assert "Erreur :" in refused.text
    recorded = karine.post(
        f"{follow_up}/jalons", data={**moved, "new_region": "03", "note": "Emploi à Québec"}
    )
    assert recorded.status_code == 303, recorded.text
    words = text_of(karine.get(follow_up).text)
    assert "Le résultat du jalon est enregistré." in words
    assert "Capitale-Nationale (03)" in words
    assert "Emploi à Québec" in words
