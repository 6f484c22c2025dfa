"""What the portal's list pages read: interventions sorted, each with its flags; past imports,
newest first; a page of an import's errors as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import InterventionsService
from tests.api.test_imports import file_with_four_bad_rows, finished, upload

ORG, OTHER = "org-sherbrooke", "org-montreal"


def staff(service: InterventionsService, org: str = ORG) -> dict[str, str]:
    return service.headers("sophie", ["org_manager"], org)


def declare(service: InterventionsService, person: str, code: str, day: str, staff_member: str) -> None:
    body = {
        "person_id": person,
        "code": code,
        "service_date": day,
        "duration_minutes": 30,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": staff_member,
    }
    answer = service.client.post("/interventions", json=body, headers=staff(service))
    assert answer.status_code == 201, answer.text


def listed(service: InterventionsService, query: str) -> list[dict[str, Any]]:
    answer = service.client.get(f"/interventions?{query}", headers=staff(service))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_list_is_sorted_as_asked_and_carries_each_interventions_flags(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    declare(interventions, person, "PDI", "2026-11-02", "zoé")
    declare(interventions, person, "SUI", "2026-11-18", "ali")
    declare(interventions, person, "ACC", "2026-10-05", "marc")

    assert [i["code"] for i in listed(interventions, "")] == ["SUI", "PDI", "ACC"]  # newest first
    assert [i["code"] for i in listed(interventions, "sort=service_date")] == ["ACC", "PDI", "SUI"]
    assert [i["code"] for i in listed(interventions, "sort=code")] == ["ACC", "PDI", "SUI"]
    assert [i["staff_member"] for i in listed(interventions, "sort=-staff_member")] == ["zoé", "marc", "ali"]
    # Ties keep the newest service date first.
    assert [i["code"] for i in listed(interventions, "sort=errors")] == ["PDI", "ACC", "SUI"]
    page = listed(interventions, "sort=code&offset=1&limit=1")
    assert [i["code"] for i in page] == ["PDI"]

    flags = {i["code"]: i["flags"] for i in listed(interventions, "")}
    assert flags["PDI"] == flags["ACC"] == []
    (c5,) = flags["SUI"]
    assert c5["code"] == "C5.no_active_plan"
    assert c5["fix"]["fr"].startswith("Créez un plan d'action")
    wrong = interventions.client.get("/interventions?sort=person_id", headers=staff(interventions))
    assert wrong.status_code == 422
    assert wrong.json()["details"]["errors"][0]["location"] == ["query", "sort"]


def test_past_imports_are_listed_newest_first_and_their_errors_read_a_page_at_a_time(
    interventions: InterventionsService,
) -> None:
    content, _ = file_with_four_bad_rows(interventions)
    first = upload(interventions, content, "dry_run").json()["import_id"]
    finished(interventions, first)
    interventions.clock.advance(timedelta(minutes=5))
    second = upload(interventions, content, "valid_rows_only").json()["import_id"]
    finished(interventions, second)

    imports = interventions.client.get("/imports", headers=staff(interventions)).json()
    assert imports["total"] == 2
    assert [i["import_id"] for i in imports["items"]] == [second, first]
    assert [i["mode"] for i in imports["items"]] == ["valid_rows_only", "dry_run"]
    assert (
        interventions.client.get("/imports?status=failed", headers=staff(interventions)).json()["total"] == 0
    )
    assert interventions.client.get("/imports", headers=staff(interventions, OTHER)).json()["total"] == 0

    page = interventions.client.get(
        f"/imports/{first}/errors?format=json&offset=1&limit=2", headers=staff(interventions)
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["total"], body["offset"], body["limit"]) == (4, 1, 2)
    assert [e["row"] for e in body["items"]] == [5, 6]
    assert {"row", "column", "code", "fr", "en", "value"} == set(body["items"][0])
    assert body["items"][0]["code"] == "catalogue.unknown_code"
    assert body["items"][0]["en"]
    hidden = interventions.client.get(
        f"/imports/{first}/errors?format=json", headers=staff(interventions, OTHER)
    )
    assert hidden.status_code == 404


def test_a_quarters_summary_counts_its_active_interventions_and_those_flagged_in_one_call(
    interventions: InterventionsService,
) -> None:
    """What the portal's home card shows: the same figures as the list's totals filtered by
    severity, for the reader's own organization only, cancelled interventions left out."""
    person = interventions.register_person(ORG)
    declare(interventions, person, "PDI", "2026-11-02", "zoé")
    declare(interventions, person, "SUI", "2026-11-18", "ali")  # C5: no active action plan
    declare(interventions, person, "ACC", "2026-10-05", "marc")
    declare(interventions, person, "ACC", "2026-07-05", "marc")  # another quarter
    other = interventions.register_person(OTHER)
    interventions.client.post(
        "/interventions",
        json={"person_id": other, "code": "SUI", "service_date": "2026-11-03", "duration_minutes": 30,
              "mode": "in_person", "volet": "V1", "staff_member": "léa"},
        headers=staff(interventions, OTHER),
    )  # fmt: skip
    (pdi,) = [i for i in listed(interventions, "quarter=2026-2027-Q3") if i["code"] == "PDI"]
    cancelled = interventions.client.post(
        f"/interventions/{pdi['intervention_id']}/cancellation",
        json={"reason": "Déclarée deux fois"},
        headers=staff(interventions),
    )
    assert cancelled.status_code == 204, cancelled.text

    answer = interventions.client.get(
        "/interventions/summary?quarter=2026-2027-Q3", headers=staff(interventions)
    )
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["quarter"] == "2026-2027-Q3"
    assert summary["active"] == 2  # SUI and ACC: the PDI was cancelled, the July ACC is in Q2
    for severity in ("error", "warning"):
        totals = interventions.client.get(
            f"/interventions?quarter=2026-2027-Q3&status=active&severity={severity}&limit=1",
            headers=staff(interventions),
        ).json()["total"]
        assert summary[f"with_{severity}s"] == totals
    assert summary["with_errors"] + summary["with_warnings"] >= 1  # the SUI's C5
    assert interventions.client.get("/interventions/summary", headers=staff(interventions)).status_code == 422
