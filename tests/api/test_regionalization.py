"""The regionalization follow-ups API: the checkpoint calendar, recording outcomes, completion,
the checkpoints falling due, organization scoping, what is published, and the rebuild."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from gsi_kernel.store.tables import outbox
from interventions.regionalization.projection import regionalization_checkpoints, regionalization_follow_ups
from tests.api.conftest import InterventionsService
from tests.api.test_http_behaviour import assert_error

ORG_A, ORG_B = "org-a", "org-b"
Headers = dict[str, str]
URL = "/regionalization-follow-ups"


@pytest.fixture
def staff(interventions: InterventionsService) -> Headers:
    return interventions.headers("karine", ["org_staff"], ORG_A)


@pytest.fixture
def person(interventions: InterventionsService) -> str:
    return interventions.register_person(ORG_A)


def open_follow_up(
    svc: InterventionsService,
    headers: Headers,
    person_id: str,
    opened_on: str = "2025-11-30",
    region: str = "05",
) -> str:
    body = {"person_id": person_id, "destination_region": region, "opened_on": opened_on}
    response = svc.client.post(URL, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["follow_up_id"])


def record(svc: InterventionsService, headers: Headers, follow_up_id: str, **body: Any) -> Any:
    return svc.client.post(f"{URL}/{follow_up_id}/checkpoints", headers=headers, json=body)


def get(svc: InterventionsService, headers: Headers, follow_up_id: str) -> dict[str, Any]:
    response = svc.client.get(f"{URL}/{follow_up_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def due(svc: InterventionsService, headers: Headers, before: str) -> list[tuple[str, int, str]]:
    response = svc.client.get(f"{URL}/due", headers=headers, params={"before": before})
    assert response.status_code == 200, response.text
    return [(c["follow_up_id"], c["months"], c["due_on"]) for c in response.json()["items"]]


def test_checkpoints_fall_due_at_3_6_and_12_months_clamped_to_the_month_end(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person, opened_on="2025-11-30")
    follow_up = get(interventions, staff, follow_up_id)
    assert (follow_up["status"], follow_up["destination_region"], follow_up["opened_by"]) == (
        "open",
        "05",
        "karine",
    )
    assert [(c["months"], c["due_on"], c["outcome"]) for c in follow_up["checkpoints"]] == [
        (3, "2026-02-28", None),
        (6, "2026-05-30", None),
        (12, "2026-11-30", None),
    ]


def test_recording_every_checkpoint_completes_the_follow_up(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person)
    manager = interventions.headers("sophie", ["org_manager"], ORG_A)
    assert (
        record(
            interventions, staff, follow_up_id, months=3, outcome="stayed", recorded_on="2026-03-02"
        ).status_code
        == 204
    )
    moved = {
        "months": 6,
        "outcome": "moved",
        "recorded_on": "2026-06-01",
        "new_region": "03",
        "note": "Emploi",
    }
    assert record(interventions, manager, follow_up_id, **moved).status_code == 204
    # Contact may happen before the due date (2026-11-30), never after today.
    assert (
        record(
            interventions, staff, follow_up_id, months=12, outcome="stayed", recorded_on="2026-11-20"
        ).status_code
        == 204
    )
    follow_up = get(interventions, staff, follow_up_id)
    assert (follow_up["status"], follow_up["current_region"]) == ("complete", "03")
    assert [(c["outcome"], c["new_region"], c["recorded_by"]) for c in follow_up["checkpoints"]] == [
        ("stayed", None, "karine"),
        ("moved", "03", "sophie"),
        ("stayed", None, "karine"),
    ]
    listed = interventions.client.get(
        URL, headers=staff, params={"status": "complete", "person_id": person}
    ).json()
    assert [f["follow_up_id"] for f in listed["items"]] == [follow_up_id]
    assert interventions.client.get(URL, headers=staff, params={"status": "open"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("before", "body", "status", "code"),
    [
        (
            [3],
            {"months": 3, "outcome": "stayed", "recorded_on": "2026-03-03"},
            409,
            "regionalization.checkpoint_recorded",
        ),
        (
            [],
            {"months": 6, "outcome": "stayed", "recorded_on": "2026-06-01"},
            409,
            "regionalization.earlier_checkpoint_pending",
        ),
        (
            [],
            {"months": 9, "outcome": "stayed", "recorded_on": "2026-06-01"},
            422,
            "regionalization.unknown_checkpoint",
        ),
        (
            [],
            {"months": 3, "outcome": "stayed", "recorded_on": "2026-11-21"},
            422,
            "regionalization.date_in_future",
        ),
        (
            [],
            {"months": 3, "outcome": "moved", "recorded_on": "2026-03-01"},
            422,
            "regionalization.new_region_required",
        ),
        (
            [],
            {"months": 3, "outcome": "moved", "recorded_on": "2026-03-01", "new_region": "18"},
            422,
            "regionalization.unknown_region",
        ),
        ([], {"months": 3, "outcome": "left", "recorded_on": "2026-03-01"}, 422, "invalid_field"),
        ([], {"months": 3, "outcome": "stayed"}, 422, "missing_field"),
    ],
)
def test_bad_checkpoints_are_refused_with_a_code_and_write_nothing(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    before: list[int],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person)
    for months in before:
        record(interventions, staff, follow_up_id, months=months, outcome="stayed", recorded_on="2026-03-02")
    assert_error(record(interventions, staff, follow_up_id, **body), status, code)
    recorded = [c["months"] for c in get(interventions, staff, follow_up_id)["checkpoints"] if c["outcome"]]
    assert recorded == before


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"destination_region": "18"}, "regionalization.unknown_region"),
        ({"destination_region": "5"}, "invalid_field"),
        ({"opened_on": "2026-11-21"}, "regionalization.date_in_future"),
        ({"checkpoints": [3]}, "unknown_field"),
    ],
)
def test_bad_openings_are_refused_with_a_code(
    interventions: InterventionsService, staff: Headers, person: str, changes: dict[str, Any], code: str
) -> None:
    body = {"person_id": person, "destination_region": "05", "opened_on": "2026-01-31", **changes}
    assert_error(interventions.client.post(URL, headers=staff, json=body), 422, code)
    assert interventions.client.get(URL, headers=staff).json()["total"] == 0


def test_a_person_of_another_organization_is_refused_exactly_like_an_unknown_one(
    interventions: InterventionsService, staff: Headers
) -> None:
    elsewhere = interventions.register_person(ORG_B)
    bodies = [
        assert_error(
            interventions.client.post(
                URL,
                headers=staff,
                json={"person_id": p, "destination_region": "05", "opened_on": "2026-01-31"},
            ),
            422,
            "regionalization.unknown_person",
        )
        for p in (elsewhere, "00000000-0000-0000-0000-000000000000")
    ]
    assert bodies[0] == bodies[1]


def test_checkpoints_due_before_a_date_are_the_organizations_own_still_without_outcome(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    first = open_follow_up(interventions, staff, person, opened_on="2025-11-30")
    open_follow_up(interventions, staff, interventions.register_person(ORG_A), opened_on="2026-10-01")
    other_staff = interventions.headers("marc", ["org_staff"], ORG_B)
    theirs = open_follow_up(
        interventions, other_staff, interventions.register_person(ORG_B), opened_on="2025-12-01"
    )
    assert due(interventions, staff, "2026-06-01") == [(first, 3, "2026-02-28"), (first, 6, "2026-05-30")]
    assert due(interventions, staff, "2026-05-30") == [(first, 3, "2026-02-28")]  # strictly before
    record(interventions, staff, first, months=3, outcome="unknown", recorded_on="2026-03-10")
    assert due(interventions, staff, "2026-06-01") == [(first, 6, "2026-05-30")]
    assert due(interventions, other_staff, "2026-06-01") == [(theirs, 3, "2026-03-01")]
    admin = interventions.headers("admin", ["admin"])
    assert len(due(interventions, admin, "2026-06-01")) == 2
    assert_error(interventions.client.get(f"{URL}/due", headers=staff), 422, "missing_field")


def test_the_due_query_is_a_range_scan_of_the_partial_index(interventions: InterventionsService) -> None:
    query = (
        "SELECT * FROM regionalization_checkpoints "
        "WHERE organization_id IN ('org-a') AND outcome IS NULL AND due_on < '2026-06-01' ORDER BY due_on"
    )
    with interventions.kernel.db.transaction() as connection:
        if connection.dialect.name == "postgresql":
            # An empty table is read whole whatever its indexes: ask whether the index serves.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {query}")).all()
            # Without statistics PostgreSQL may take either partial index of pending checkpoints.
            assert "Index Scan using ix_regionalization_checkpoints_" in str(plan[0][0]), plan
            assert "_pending" in str(plan[0][0]), plan
            return
        plan = connection.execute(text(f"EXPLAIN QUERY PLAN {query}")).all()
    assert any("ix_regionalization_checkpoints_org_pending" in str(row[-1]) for row in plan), plan


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("post", "/checkpoints", {"months": 3, "outcome": "stayed", "recorded_on": "2026-03-02"}),
    ],
)
def test_another_organization_can_neither_read_nor_record(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person)
    other = interventions.headers("marc", ["org_staff"], ORG_B)
    response = interventions.client.request(method, f"{URL}/{follow_up_id}{path}", headers=other, json=body)
    assert_error(response, 404, "regionalization.not_found")
    assert interventions.client.get(URL, headers=other).json()["total"] == 0
    assert due(interventions, other, "2027-01-01") == []
    assert all(c["outcome"] is None for c in get(interventions, staff, follow_up_id)["checkpoints"])


def test_assigned_reviewers_read_unassigned_ones_do_not_and_reviewers_do_not_write(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person)
    assigned = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG_A])
    unassigned = interventions.headers("paul", ["ministry_reviewer"], assigned_organizations=[ORG_B])
    assert get(interventions, assigned, follow_up_id)["follow_up_id"] == follow_up_id
    assert len(due(interventions, assigned, "2027-01-01")) == 3
    assert_error(
        interventions.client.get(f"{URL}/{follow_up_id}", headers=unassigned),
        404,
        "regionalization.not_found",
    )
    assert due(interventions, unassigned, "2027-01-01") == []
    response = record(
        interventions, assigned, follow_up_id, months=3, outcome="stayed", recorded_on="2026-03-02"
    )
    assert_error(response, 403, "auth.forbidden_role")


def test_opening_and_each_checkpoint_are_published_through_the_outbox(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    follow_up_id = open_follow_up(interventions, staff, person)
    record(interventions, staff, follow_up_id, months=3, outcome="stayed", recorded_on="2026-03-02")
    with interventions.kernel.db.transaction() as connection:
        rows = connection.execute(select(outbox.c.topic, outbox.c.value).order_by(outbox.c.id)).all()
    published = [json.loads(r.value) for r in rows if r.topic == "gsi.interventions"]
    ours = [(p["type"], p["data"]) for p in published if p["subject"] == f"regionalization-{follow_up_id}"]
    who = {"follow_up_id": follow_up_id, "person_id": person, "organization_id": ORG_A}
    assert ours == [
        (
            "interventions.RegionalizationFollowUpOpened",
            {
                **who,
                "destination_region": "05",
                "opened_on": "2025-11-30",
                "checkpoints": [
                    {"months": 3, "due_on": "2026-02-28"},
                    {"months": 6, "due_on": "2026-05-30"},
                    {"months": 12, "due_on": "2026-11-30"},
                ],
            },
        ),
        (
            "interventions.RegionalizationCheckpointRecorded",
            {**who, "months": 3, "outcome": "stayed", "recorded_on": "2026-03-02"},
        ),
    ]


def test_a_rebuild_of_the_read_model_gives_the_same_rows(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    first = open_follow_up(interventions, staff, person)
    for months, outcome, extra in (
        (3, "stayed", {}),
        (6, "moved", {"new_region": "16"}),
        (12, "unknown", {}),
    ):
        response = record(
            interventions, staff, first, months=months, outcome=outcome, recorded_on="2026-11-20", **extra
        )
        assert response.status_code == 204, response.text
    second = open_follow_up(
        interventions, staff, interventions.register_person(ORG_A), opened_on="2026-08-31"
    )
    record(interventions, staff, second, months=3, outcome="stayed", recorded_on="2026-11-20", note="Appel")

    def snapshot() -> list[list[dict[str, Any]]]:
        with interventions.kernel.db.transaction() as connection:
            return [
                [
                    dict(r._mapping)
                    for r in connection.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in (regionalization_follow_ups, regionalization_checkpoints)
            ]

    before = snapshot()
    assert [len(rows) for rows in before] == [2, 6]
    interventions.kernel.projections.rebuild("interventions.regionalization")
    assert snapshot() == before
