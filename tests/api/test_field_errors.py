"""Issue 17 §1 and §6, as classes: every text field of every route of every service goes through
the one text rule (:mod:`gsi_kernel.text`), every request field has a French and English label,
every pattern a sentence a person understands, and every route that takes a body refuses another
media type with 415 — checked over the routes themselves, so a field or a route added tomorrow
is checked at once. Then, on SQLite and PostgreSQL, what a person sees when a name, notes, a
search or a path carries U+0000 or a lone surrogate, and that the service still works after."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import typing
from collections.abc import Iterator
from contextlib import ExitStack
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from fastapi import FastAPI, UploadFile, params
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, EmailStr, JsonValue
from pydantic.fields import FieldInfo

from gsi_kernel.clock import FixedClock
from gsi_kernel.fields import REGION, Blank, Document, Line, MaybeLine, Region, TextRule
from gsi_kernel.http.field_errors import field_error
from gsi_kernel.http.labels import has_label
from gsi_kernel.http.request_fields import RequestField, body_field, request_fields, type_args
from gsi_kernel.http.uploads import FileNameRule, Upload
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW, InterventionsService, Registration
from tests.api.test_http_behaviour import assert_error
from tests.databases import postgres_schema
from tests.e2e.flow import ORG, Services, token
from tests.security.operations import MODULES, SERVICES

RULES = (TextRule, FileNameRule)
TEXT_LIKE = (str, EmailStr, UploadFile)


def _built_apps() -> dict[str, FastAPI]:
    """The four apps, built in a scratch folder (their routes are what is checked; nothing runs)."""
    scratch = Path(tempfile.mkdtemp(prefix="gsi-fields-"))
    try:
        return {
            name: module.build_app(module.build(settings(data_dir=scratch)))
            for name, (module, settings) in zip(SERVICES, MODULES, strict=True)
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


APPS = _built_apps()


def _fields(app: FastAPI) -> Iterator[tuple[str, RequestField]]:
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None:
            continue
        label = f"{sorted(route.methods or ())} {route.path}"
        for field in request_fields(route):
            yield label, field
        whole = body_field(route)
        if whole is not None:
            yield label, whole


def _bare_text(annotation: Any) -> Iterator[str]:
    """The text-like types of an annotation that no rule covers (a rule covers what it annotates)."""
    if get_origin(annotation) is Annotated:
        inner, *metadata = get_args(annotation)
        if not any(isinstance(m, RULES) for m in metadata):
            yield from _bare_text(inner)
        return
    if annotation in TEXT_LIKE or annotation is Any or annotation is JsonValue:
        yield getattr(annotation, "__name__", repr(annotation))
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
        return  # an enum's values are its own; a model's fields are fields of their own
    if get_origin(annotation) is typing.Literal:
        return
    for arg in type_args(annotation):
        yield from _bare_text(arg)


def uncovered(field: RequestField) -> list[str]:
    if any(isinstance(m, RULES) for m in field.info.metadata):
        return []
    return list(_bare_text(field.info.annotation))


@pytest.mark.parametrize("service", SERVICES)
def test_every_text_field_of_every_route_goes_through_the_text_rule(service: str) -> None:
    bare = [
        f"{route} {'.'.join(field.location)}: {', '.join(found)}"
        for route, field in _fields(APPS[service])
        if (found := uncovered(field))
    ]
    assert not bare, "text fields without the text rule (declare them with gsi_kernel.fields):\n" + "\n".join(
        bare
    )


def test_the_class_check_finds_a_bare_field() -> None:
    def field(annotation: Any) -> RequestField:
        return RequestField(("body", "x"), "x", FieldInfo.from_annotation(annotation))

    assert uncovered(field(str | None)) == ["str"]
    assert uncovered(field(dict[str, list[int]])) == ["str"]
    assert uncovered(field(dict[Line, Any])) == ["Any"]
    assert uncovered(field(list[Line] | None)) == []
    assert uncovered(field(Document | None)) == []
    assert uncovered(field(Upload)) == []
    assert not has_label(field(Line))
    assert _blank_as_absent(FieldInfo.from_annotation(MaybeLine))
    assert not _blank_as_absent(FieldInfo.from_annotation(Line | None))
    assert set(_patterns(FieldInfo.from_annotation(Region | None))) == {REGION.pattern}


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_field_of_every_route_has_a_label(service: str) -> None:
    unnamed = [
        f"{route} {'.'.join(field.location)}"
        for route, field in _fields(APPS[service])
        if not has_label(field)
    ]
    assert not unnamed, "fields with no label (Field(json_schema_extra=label(...))):\n" + "\n".join(unnamed)


def _patterns(node: Any) -> Iterator[str]:
    """The patterns in a field's declaration, at any depth of its type."""
    if isinstance(node, FieldInfo):
        yield from (p for m in node.metadata for p in _patterns(m))
        yield from _patterns(node.annotation)
        return
    pattern = getattr(node, "pattern", None)
    if isinstance(pattern, str):
        yield pattern
    if get_origin(node) is Annotated:
        yield from (p for m in get_args(node)[1:] for p in _patterns(m))
    if not isinstance(node, type):
        yield from (p for arg in type_args(node) for p in _patterns(arg))


@pytest.mark.parametrize("service", SERVICES)
def test_every_pattern_of_every_route_is_said_in_words(service: str) -> None:
    """What a person reads for a value that does not match: never the regex, the format's own
    sentence (the kernel's, by pattern, or the field's ``x-hint``)."""
    app = APPS[service]
    unsaid: list[str] = []
    patterns = 0
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None:
            continue
        for field in request_fields(route):
            for pattern in set(_patterns(field.info)):
                patterns += 1
                error = {
                    "type": "string_pattern_mismatch",
                    "loc": field.location,
                    "ctx": {"pattern": pattern},
                }
                entry = field_error(error, route)
                if entry["code"] == "format.invalid" or pattern in json.dumps(entry):
                    unsaid.append(f"{route.path} {'.'.join(field.location)}: {pattern}")
    assert patterns > 0
    assert not unsaid, "patterns with no sentence (gsi_kernel.fields.FORMATS or x-hint):\n" + "\n".join(
        unsaid
    )


def test_no_parameter_takes_blank_text_as_absent() -> None:
    """FastAPI applies a parameter's length limits after its type's rule: a ``Maybe*`` type would
    hand them ``None``. Parameters use ``X | None`` (blank refused)."""
    found = [
        f"{service} {route} {'.'.join(field.location)}"
        for service, app in APPS.items()
        for route, field in _fields(app)
        if isinstance(field.info, params.Param | params.Body) and _blank_as_absent(field.info)
    ]
    assert not found


def _blank_as_absent(node: Any) -> bool:
    if isinstance(node, TextRule):
        return node.blank is not Blank.REFUSE
    if isinstance(node, FieldInfo):
        return any(_blank_as_absent(m) for m in node.metadata) or _blank_as_absent(node.annotation)
    if get_origin(node) is Annotated:
        return any(_blank_as_absent(m) for m in get_args(node))
    return not isinstance(node, type) and any(_blank_as_absent(a) for a in type_args(node))


def _body_media(route: Any) -> str | None:
    infos = [p.field_info for p in route.dependant.body_params]
    if not infos:
        return None
    return "multipart" if any(isinstance(i, params.File) for i in infos) else "json"


def test_every_route_that_takes_a_body_refuses_another_media_type_with_415(
    embedded_services: Services,
) -> None:
    admin = token(embedded_services.registration, user_id="adele", roles=["admin"])
    checked: dict[str, int] = {"json": 0, "multipart": 0}
    for service in SERVICES:
        client = getattr(embedded_services, service)
        for route in iter_route_contexts(client.app.routes):
            media = _body_media(route) if getattr(route, "dependant", None) is not None else None
            if media is None:
                continue
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in sorted(route.methods or ()):
                wrong: list[dict[str, Any]] = (
                    [{"data": {"a": "b"}}, {"content": b"a=b", "headers": {"Content-Type": "text/plain"}}]
                    if media == "json"
                    else [{"json": {"a": "b"}}]
                )
                for kwargs in wrong:
                    headers = {**admin, **kwargs.pop("headers", {})}
                    response = client.request(method, path, headers=headers, **kwargs)
                    body = assert_error(response, 415, "unsupported_media_type")
                    assert body["details"]["accepted"] == (
                        ["application/json"] if media == "json" else ["multipart/form-data"]
                    )
                checked[media] += 1
    assert checked["json"] > 50
    assert checked["multipart"] == 2  # an import, a person's document


def test_the_415_waits_for_a_token_and_right_json_goes_through(embedded_services: Services) -> None:
    """An anonymous caller gets the route's 401 (it learns nothing of the route); JSON, with a
    charset or as ``+json``, reaches the route."""
    people = embedded_services.registration
    anonymous = people.post("/persons", data={"family_name": "x"})
    assert_error(anonymous, 401, "auth.missing_token")
    staff = token(people, user_id="karine", roles=["org_staff"], organization=ORG)
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = people.post("/persons", content=b"{}", headers={**staff, "Content-Type": content_type})
        assert_error(response, 422, "missing_field")
    no_type = people.post("/persons", content=b"{}", headers=staff)
    assert_error(no_type, 415, "unsupported_media_type")
    public = people.post("/dev/token", data={"user_id": "x"})
    assert_error(public, 415, "unsupported_media_type")


# ---- what a person sees, on SQLite and PostgreSQL ---------------------------------------------

PERSON: dict[str, Any] = {
    "family_name": "Haddad",
    "given_name": "Amina",
    "birth_date": "1984-03-12",
    "sex": "F",
    "country_of_birth": "SY",
    "status": {"status": "permanent_resident", "effective_from": "2025-09-01"},
    "address": {"region": "05"},
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def people(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registration]:
    """The registration service alone, on SQLite and on PostgreSQL."""
    clock = FixedClock(NOW)
    with ExitStack() as stack:
        settings = RegistrationSettings(data_dir=tmp_path)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = RegistrationSettings(data_dir=tmp_path, database_url=url, db_schema=schema)
        container = build(settings, clock=clock)
        with TestClient(build_app(container)) as client:
            yield Registration(client, clock, container.kernel)
        container.kernel.db.dispose()


def raw_json(client: Any, url: str, body: Any, headers: dict[str, str]) -> Any:
    """``body`` sent as ASCII JSON: a lone surrogate travels as the escape ``\\ud800``."""
    content = json.dumps(body, ensure_ascii=True).encode()
    return client.post(url, content=content, headers={**headers, "Content-Type": "application/json"})


def the_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The one field error of a refusal, checked for the shape every field error has."""
    body = assert_error(response, status, code)
    [entry] = body["details"]["errors"]
    assert set(entry) <= {"location", "code", "label", "message", "type", "params"}
    assert entry["message"]["fr"].startswith(entry["label"]["fr"] + " : ")
    assert entry["message"]["en"].startswith(entry["label"]["en"] + ": ")
    assert body["message"]["fr"] == f"Un champ à corriger : {entry['label']['fr']}."
    assert body["message"]["en"] == f"One field to correct: {entry['label']['en']}."
    return dict(entry)


def test_nul_and_a_lone_surrogate_in_a_name_are_refused_then_registering_works(people: Registration) -> None:
    staff = people.headers("karine", ["org_staff"], ORG)
    nul = people.client.post("/persons", headers=staff, json={**PERSON, "family_name": "Ha\x00ddad"})
    entry = the_error(nul, 422, "invalid_field")
    assert (entry["location"], entry["code"], entry["params"]) == (
        ["body", "family_name"],
        "text.control_character",
        {"character": "U+0000", "position": 3},
    )
    assert entry["message"] == {
        "fr": "Nom de famille : caractère de contrôle ou invisible interdit (U+0000, caractère n° 3).",
        "en": "Family name: forbidden control or invisible character (U+0000, character 3).",
    }
    surrogate = raw_json(people.client, "/persons", {**PERSON, "given_name": "Ami\ud800na"}, staff)
    entry = the_error(surrogate, 422, "invalid_field")
    assert (entry["location"], entry["code"]) == (["body", "given_name"], "text.unpaired_surrogate")
    blank = people.client.post("/persons", headers=staff, json={**PERSON, "given_name": " \u00a0 "})
    assert the_error(blank, 422, "invalid_field")["code"] == "text.blank"

    registered = people.client.post(
        "/persons",
        headers=staff,
        json={**PERSON, "family_name": "  Ha\u0301ddad   El  Khoury ", "given_name": "Amina"},
    )
    assert registered.status_code == 201, registered.text
    read = people.client.get(f"/persons/{registered.json()['person_id']}", headers=staff).json()
    assert read["family_name"] == "H\u00e1ddad El Khoury"  # NFC, trimmed, one space


def test_nul_in_a_search_or_a_path_is_refused_before_the_database(people: Registration) -> None:
    staff = people.headers("karine", ["org_staff"], ORG)
    search = the_error(people.client.get("/persons?name=%00", headers=staff), 422, "invalid_field")
    assert (search["location"], search["code"], search["label"]) == (
        ["query", "name"],
        "text.control_character",
        {"fr": "Nom", "en": "Name"},
    )
    path = the_error(people.client.get("/persons/ab%00cd", headers=staff), 422, "invalid_field")
    assert (path["location"], path["code"], path["label"]["fr"]) == (
        ["path", "person_id"],
        "text.control_character",
        "Personne",
    )
    for raw in ("%FF%FE", "%ED%A0%80", "%C0%80"):  # not UTF-8; an encoded surrogate; an overlong NUL
        encoded = the_error(people.client.get(f"/persons?name={raw}", headers=staff), 422, "invalid_field")
        assert (encoded["location"], encoded["code"]) == (["query", "name"], "text.invalid_encoding")
    tab = the_error(people.client.get("/persons?region=0%095", headers=staff), 422, "invalid_field")
    assert (tab["location"], tab["code"]) == (["query", "region"], "text.control_character")

    registered = people.client.post("/persons", headers=staff, json=PERSON)
    assert registered.status_code == 201, registered.text
    found = people.client.get("/persons", params={"name": "hadd"}, headers=staff)
    assert found.status_code == 200, found.text
    assert [p["person_id"] for p in found.json()["items"]] == [registered.json()["person_id"]]


def test_nul_in_notes_is_refused_and_line_breaks_are_kept_where_notes_take_them(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    headers = interventions.headers("karine", ["org_staff"], ORG)
    body = {"person_id": person, **DECLARATION}
    nul = interventions.client.post("/interventions", headers=headers, json={**body, "notes": "Suivi\x00"})
    entry = the_error(nul, 422, "invalid_field")
    assert (entry["location"], entry["code"], entry["label"]) == (
        ["body", "notes"],
        "text.control_character",
        {"fr": "Notes", "en": "Notes"},
    )
    one_line = interventions.client.post(
        "/interventions", headers=headers, json={**body, "staff_member": "kar\nine"}
    )
    assert the_error(one_line, 422, "invalid_field")["location"] == ["body", "staff_member"]
    surrogate = raw_json(interventions.client, "/interventions", {**body, "notes": "\udfff"}, headers)
    assert the_error(surrogate, 422, "invalid_field")["code"] == "text.unpaired_surrogate"
    path = interventions.client.get("/interventions/%00", headers=headers)
    assert the_error(path, 422, "invalid_field")["location"] == ["path", "intervention_id"]

    declared = interventions.client.post(
        "/interventions", headers=headers, json={**body, "notes": "  Logement\r\n\tBail signé  "}
    )
    assert declared.status_code == 201, declared.text
    read = interventions.client.get(f"/interventions/{declared.json()['intervention_id']}", headers=headers)
    assert read.json()["notes"] == "Logement\n\tBail signé"
    blank = interventions.client.post("/interventions", headers=headers, json={**body, "notes": "   "})
    assert blank.status_code == 201, blank.text  # an empty optional box: no notes
    read = interventions.client.get(f"/interventions/{blank.json()['intervention_id']}", headers=headers)
    assert read.json()["notes"] is None


DECLARATION: dict[str, Any] = {
    "code": "ACC",
    "service_date": "2026-11-18",
    "duration_minutes": 45,
    "mode": "in_person",
    "volet": "V1",
    "staff_member": "karine",
}
