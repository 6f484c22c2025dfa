"""Registration's search narrowed to given persons (``GET /persons?person_id=…&person_id=…``): how
a page of another service's list (interventions, plans) gets its persons' names in one call."""

from __future__ import annotations

from tests.api.conftest import Registration
from tests.api.test_registration import AMINA, MONTREAL, SHERBROOKE, register


def test_a_list_call_answers_the_named_persons_only_and_only_those_the_reader_may_see(
    registration: Registration,
) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    amina = register(registration, staff)
    linh = register(registration, staff, family_name="Nguyen", given_name="Linh", uci=None)
    register(registration, staff, family_name="Nadeau", given_name="Élodie", uci=None)
    elsewhere = register(registration, registration.headers("marc", ["org_staff"], MONTREAL), uci=None)

    ids = [
        amina["person_id"],
        linh["person_id"],
        elsewhere["person_id"],
        "3f0e4b9e-0000-4000-8000-000000000000",
    ]
    answer = registration.client.get("/persons", headers=staff, params={"person_id": ids})
    assert answer.status_code == 200, answer.text
    found = {p["person_id"]: p for p in answer.json()["items"]}
    # Another organization's person and an unknown id are simply not there.
    assert set(found) == {amina["person_id"], linh["person_id"]}
    assert found[linh["person_id"]]["given_name"] == "Linh"
    assert found[amina["person_id"]]["family_name"] == AMINA["family_name"]
    assert found[amina["person_id"]]["file_reference"].startswith("D-")
    # With a name too: both filters apply.
    narrowed = registration.client.get("/persons", headers=staff, params={"person_id": ids, "name": "ngu"})
    assert [p["given_name"] for p in narrowed.json()["items"]] == ["Linh"]
    too_many = registration.client.get("/persons", headers=staff, params={"person_id": ids * 51})
    assert too_many.status_code == 422
    assert too_many.json()["details"]["errors"][0]["location"] == ["query", "person_id"]
