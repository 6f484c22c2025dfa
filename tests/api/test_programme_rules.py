"""Programme rules for administrators: a proposed eligibility rule set (registration) or
intervention catalogue (interventions) previewed without being published — checked exactly as
publishing checks it, and compared with the version in force on its effective date — two
versions compared, and who published each version, when and why. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW, InterventionsService, Registration
from tests.api.test_http_behaviour import assert_error
from tests.api.test_interventions import ORG, declare
from tests.databases import postgres_schema

Headers = dict[str, str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rules_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registration]:
    """Registration alone on a clock the test moves, on each backend."""
    with ExitStack() as stack:
        settings = RegistrationSettings(data_dir=tmp_path)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = RegistrationSettings(data_dir=tmp_path, database_url=url, db_schema=schema)
        container = build(settings, clock=FixedClock(NOW))
        with TestClient(build_app(container)) as client:
            yield Registration(client, FixedClock(NOW), container.kernel)
        container.kernel.db.dispose()


def _in_force(service: Registration | InterventionsService, path: str, admin: Headers) -> dict[str, Any]:
    answer = service.client.get(path, headers=admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _rule_set(service: Registration, admin: Headers, version: str, effective_from: str) -> dict[str, Any]:
    """The shipped rule set as a new version: E4's permanent-resident limit 4 years, not 5, and
    a new status."""
    document = _in_force(service, "/rule-sets/PASI/2020.1", admin)
    document = {**document, "version": version, "effective_from": effective_from}
    document["rules"]["E4"]["max_years"]["permanent_resident"]["years"] = 4
    document["statuses"]["stateless"] = {"fr": "apatride", "en": "stateless person"}
    return document


def test_a_rule_set_preview_shows_its_changes_and_publishes_nothing(rules_service: Registration) -> None:
    admin = rules_service.headers("adele", ["admin"])
    document = _rule_set(rules_service, admin, "2027.1", "2027-04-01")
    preview = rules_service.client.post("/rule-sets/preview", headers=admin, json=document)
    assert preview.status_code == 200, preview.text
    seen = preview.json()
    assert (seen["version"], seen["effective_from"]) == ("2027.1", "2027-04-01")
    assert seen["against"] == {"program": "PASI", "version": "2020.1", "effective_from": "2020-04-01"}
    assert seen["members"] == [
        {"collection": "rules", "key": "E4", "kind": "changed"},
        {"collection": "statuses", "key": "stateless", "kind": "added"},
    ]
    by_path = {c["path"]: c for c in seen["changes"]}
    assert by_path["rules.E4.max_years.permanent_resident.years"] == {
        "path": "rules.E4.max_years.permanent_resident.years",
        "kind": "changed",
        "before": 5,
        "after": 4,
    }
    assert by_path["statuses.stateless.fr"]["kind"] == "added"
    assert len(seen["changes"]) == 3
    assert [v["version"] for v in rules_service.client.get("/rule-sets", headers=admin).json()] == ["2020.1"]


def test_a_rule_set_preview_refuses_what_publishing_refuses(rules_service: Registration) -> None:
    admin = rules_service.headers("adele", ["admin"])
    staff = rules_service.headers("karine", ["org_staff"], "org-a")
    document = _rule_set(rules_service, admin, "2027.1", "2027-04-01")
    assert_error(
        rules_service.client.post("/rule-sets/preview", headers=staff, json=document),
        403,
        "auth.forbidden_role",
    )
    broken = rules_service.client.post("/rule-sets/preview", headers=admin, json={**document, "extra": 1})
    assert_error(broken, 422, "ruleset.invalid")
    retroactive = {**document, "effective_from": "2026-11-20"}
    assert_error(
        rules_service.client.post("/rule-sets/preview", headers=admin, json=retroactive),
        409,
        "rules.retroactive",
    )
    reused = {**document, "version": "2020.1"}
    assert_error(
        rules_service.client.post("/rule-sets/preview", headers=admin, json=reused),
        409,
        "rules.duplicate_version",
    )


def test_rule_set_versions_are_compared_and_say_who_published_them_and_why(
    rules_service: Registration,
) -> None:
    admin = rules_service.headers("adele", ["admin"])
    document = _rule_set(rules_service, admin, "2027.1", "2027-04-01")
    published = rules_service.client.post(
        "/rule-sets", headers=admin, json=document, params={"reason": "Limite ramenée à 4 ans"}
    )
    assert published.status_code == 201, published.text
    versions = rules_service.client.get("/rule-sets", headers=admin).json()
    assert [(v["version"], v["published_by"], v["reason"]) for v in versions] == [
        ("2020.1", None, None),
        ("2027.1", "adele", "Limite ramenée à 4 ans"),
    ]
    compared = rules_service.client.get(
        "/rule-sets/PASI/2027.1/changes", headers=admin, params={"against": "2020.1"}
    ).json()
    assert compared["against"]["version"] == "2020.1"
    assert [m["key"] for m in compared["members"]] == ["E4", "stateless"]
    back = rules_service.client.get(
        "/rule-sets/PASI/2020.1/changes", headers=admin, params={"against": "2027.1"}
    )
    assert [m["kind"] for m in back.json()["members"]] == ["changed", "removed"]
    assert_error(
        rules_service.client.get(
            "/rule-sets/PASI/2031.1/changes", headers=admin, params={"against": "2020.1"}
        ),
        404,
        "rules.unknown_version",
    )
    assert_error(
        rules_service.client.get("/rule-sets/PASI/nope", headers=admin), 404, "rules.unknown_version"
    )
    # The preview of a next version is against the version in force on its date: 2027.1.
    after = {**document, "version": "2028.1", "effective_from": "2028-04-01"}
    assert (
        rules_service.client.post("/rule-sets/preview", headers=admin, json=after).json()["against"][
            "version"
        ]
        == "2027.1"
    )


def _catalogue(
    service: InterventionsService, admin: Headers, version: str, effective_from: str
) -> dict[str, Any]:
    """The catalogue in force as a new version: OBI from 16 years, ACC gone, a new code."""
    document = _in_force(service, "/catalogue", admin)
    codes = dict(document["codes"])
    codes["OBI"] = {**codes["OBI"], "min_age": 16}
    del codes["ACC"]
    codes["MEN"] = {"fr": "Mentorat", "en": "Mentoring", "volets": ["V1"]}
    return {**document, "version": version, "effective_from": effective_from, "codes": codes}


def test_a_catalogue_preview_shows_codes_added_removed_and_changed(
    interventions: InterventionsService,
) -> None:
    admin = interventions.headers("adele", ["admin"])
    document = _catalogue(interventions, admin, "2027.1", "2027-04-01")
    preview = interventions.client.post("/catalogue/preview", headers=admin, json=document)
    assert preview.status_code == 200, preview.text
    seen = preview.json()
    assert seen["against"]["version"] == "2020.1"
    assert {(m["key"], m["kind"]) for m in seen["members"]} == {
        ("OBI", "changed"),
        ("MEN", "added"),
        ("ACC", "removed"),
    }
    assert {"path": "codes.OBI.min_age", "kind": "changed", "before": 18, "after": 16} in seen["changes"]
    assert seen["in_use"] == {"OBI": 0, "ACC": 0}
    assert [v["version"] for v in interventions.client.get("/catalogue/history", headers=admin).json()] == [
        "2020.1"
    ]


def test_a_catalogue_preview_refuses_what_publishing_refuses(interventions: InterventionsService) -> None:
    admin = interventions.headers("adele", ["admin"])
    staff = interventions.headers("karine", ["org_staff"], "org-a")
    document = _catalogue(interventions, admin, "2027.1", "2027-04-01")
    preview = "/catalogue/preview"
    assert_error(interventions.client.post(preview, headers=staff, json=document), 403, "auth.forbidden_role")
    broken = {**document, "codes": {"ACC": {"fr": "x"}}}
    assert_error(interventions.client.post(preview, headers=admin, json=broken), 422, "catalogue.invalid")
    retroactive = {**document, "effective_from": "2026-11-20"}
    assert_error(
        interventions.client.post(preview, headers=admin, json=retroactive), 409, "catalogue.retroactive"
    )


def test_catalogue_versions_are_compared_and_say_who_published_them_and_why(
    interventions: InterventionsService,
) -> None:
    admin = interventions.headers("adele", ["admin"])
    document = _catalogue(interventions, admin, "2027.1", "2027-04-01")
    published = interventions.client.post(
        "/catalogue", headers=admin, json=document, params={"reason": "Mentorat"}
    )
    assert published.status_code == 201, published.text
    history = interventions.client.get("/catalogue/history", headers=admin).json()
    assert [(v["version"], v["published_by"], v["reason"]) for v in history] == [
        ("2020.1", None, None),
        ("2027.1", "adele", "Mentorat"),
    ]
    assert interventions.client.get("/catalogue/versions/2027.1", headers=admin).json()["codes"]["MEN"][
        "en"
    ] == ("Mentoring")
    compared = interventions.client.get(
        "/catalogue/versions/2027.1/changes", headers=admin, params={"against": "2020.1"}
    ).json()
    assert {(m["key"], m["kind"]) for m in compared["members"]} == {
        ("OBI", "changed"),
        ("MEN", "added"),
        ("ACC", "removed"),
    }
    assert_error(
        interventions.client.get("/catalogue/versions/1999.1", headers=admin),
        404,
        "catalogue.unknown_version",
    )


def test_a_reason_too_long_is_refused_before_anything_is_published(rules_service: Registration) -> None:
    admin = rules_service.headers("adele", ["admin"])
    document = _rule_set(rules_service, admin, "2027.1", "2027-04-01")
    long = rules_service.client.post(
        "/rule-sets", headers=admin, json=document, params={"reason": "x" * 1001}
    )
    body = assert_error(long, 422, "invalid_field")
    assert body["details"]["errors"][0]["location"] == ["query", "reason"]
    assert [v["version"] for v in rules_service.client.get("/rule-sets", headers=admin).json()] == ["2020.1"]


def test_a_catalogue_preview_counts_the_interventions_of_the_codes_it_changes_or_removes(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    for day in ("2026-11-18", "2026-11-19"):
        assert declare(interventions, person, code="ACC", service_date=day).status_code == 201
    assert declare(interventions, person, code="ADM", service_date="2026-11-18").status_code == 201
    admin = interventions.headers("adele", ["admin"])
    document = _catalogue(interventions, admin, "2027.1", "2027-04-01")
    seen = interventions.client.post("/catalogue/preview", headers=admin, json=document).json()
    assert seen["in_use"] == {"OBI": 0, "ACC": 2}  # MEN is new; ADM does not change
