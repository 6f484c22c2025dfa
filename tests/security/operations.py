"""Every operation of every service, read from the services' OpenAPI documents, and a request for
each one filled with organization A's objects — so that an operation added tomorrow is in the
security tests at once, or fails them if they do not know how to fill it.

Filling: path parameters by name (:data:`TENANT_PARAMS`: A's objects; :data:`CONSTANTS`: the
rest); required query parameters by name, else from their schema; on reads, optional query
parameters naming A's objects too (filters must not open another tenant's data); bodies from the
schema's first example, else built from the schema, with every field naming an object (person,
intervention, organization…) pointed at A's; files from :data:`FILES`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from gsi_kernel.http.app import PUBLIC_PATHS
from gsi_kernel.http.docs import DOCS_URL, STATIC_URL
from gsi_kernel.http.policy import OPENAPI_KEY, Policy
from tests.in_process import MODULES
from tests.security.world import CSV_HEADER, FISCAL_YEAR, PDF, Q2, REVIEWER_A, TODAY

SERVICES = ("registration", "interventions", "reporting", "notifications")
# Public, and no API: the OpenAPI document and the page (with its files) that shows it.
SKIPPED_PATHS = PUBLIC_PATHS | {"/openapi.json", DOCS_URL, STATIC_URL + "/{name}"}

# Path and body names that name an object of organization A; each takes the world's id of that
# name, but a candidate (of a duplicate pair), which is A's person.
_OBJECTS = (
    "organization_id",
    "person_id",
    "document_id",
    "intervention_id",
    "session_id",
    "plan_id",
    "objective_id",
    "service_id",
    "follow_up_id",
    "exception_id",
    "import_id",
    "agreement_id",
    "notice_id",
)
TENANT_PARAMS: dict[str, str] = {name: name for name in _OBJECTS} | {"candidate_person_id": "person_id"}
BODY_LISTS = {"intervention_ids": "intervention_id", "attendees": "person_id"}
ID_NAMES = tuple(sorted({*TENANT_PARAMS.values(), "duplicate_person_id"}))
CONSTANTS: dict[str, str] = {
    "quarter": Q2,
    "version": "1",
    "fiscal_year": FISCAL_YEAR,
    "purpose": "research",  # the consent the consents example gives, so withdrawing it can succeed
    "reviewer_id": REVIEWER_A,
    "user_id": REVIEWER_A,
}
# Where a path needs another of A's objects than its parameter's name says.
PATH_OVERRIDES: dict[str, dict[str, str]] = {
    "/duplicates/{person_id}/{candidate_person_id}": {"person_id": "duplicate_person_id"},
}
FILES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("POST", "/persons/{person_id}/documents"): ("preuve.pdf", PDF.decode(), "application/pdf"),
    ("POST", "/imports"): (
        "seances.csv",
        CSV_HEADER + "{person_id};PDI;2026-08-12;30;in_person;V1;karine;\n",
        "text/csv",
    ),
}


class Unfillable(Exception):
    """The tests do not know how to fill this operation: teach them (a name, a file, an example)."""


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any] = field(compare=False, repr=False)
    document: dict[str, Any] = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def label(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def policy(self) -> Policy | None:
        declared = self.spec.get(OPENAPI_KEY)
        return Policy.from_openapi(declared) if declared else None

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    def body_schema(self) -> tuple[str, dict[str, Any]] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        for media_type, value in content.items():
            return media_type, resolve(self.document, value.get("schema", {}))
        return None


def operations(documents: Mapping[str, dict[str, Any]]) -> list[Operation]:
    return [
        Operation(service, method.upper(), path, spec, document)
        for service, document in documents.items()
        for path, item in document["paths"].items()
        if path not in SKIPPED_PATHS
        for method, spec in item.items()
    ]


@cache
def collected_documents() -> dict[str, dict[str, Any]]:
    """The four OpenAPI documents, for parametrizing tests at collection (the apps are built in a
    scratch folder, their documents kept, the folder removed)."""
    scratch = Path(tempfile.mkdtemp(prefix="gsi-openapi-"))
    try:
        return {
            name: module.build_app(module.build(settings(data_dir=scratch))).openapi()
            for name, (module, settings) in zip(SERVICES, MODULES, strict=True)
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


@dataclass
class Filled:
    """A request ready to send, and whether its path names one of A's objects."""

    method: str
    url: str
    params: dict[str, str]
    json_body: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, str] | None = None
    in_path: bool = False

    def text(self) -> str:
        files = {k: v[1].decode(errors="replace") for k, v in (self.files or {}).items()}
        return json.dumps([self.url, self.params, self.json_body, self.data, files], default=str)

    def kwargs(self) -> dict[str, Any]:
        found: dict[str, Any] = {"params": self.params}
        if self.json_body is not None:
            found["json"] = self.json_body
        if self.files is not None:
            found["files"] = self.files
        if self.data is not None:
            found["data"] = self.data
        return found


def fill(op: Operation, ids: Mapping[str, str], program: Mapping[str, str]) -> Filled:
    """The request of ``op`` naming A's objects (``ids``: by :data:`TENANT_PARAMS` name)."""
    url, in_path = op.path, False
    overrides = next((v for k, v in PATH_OVERRIDES.items() if op.path.startswith(k)), {})
    for param in op.parameters("path"):
        name = param["name"]
        value, tenant = _path_value(param, overrides, ids, program, op)
        in_path = in_path or tenant
        url = url.replace("{" + name + "}", value)
    filled = Filled(op.method, url, _query(op, ids), in_path=in_path)
    body = op.body_schema()
    if body is not None:
        media_type, schema = body
        if media_type == "application/json":
            filled.json_body = point_at(example_or_built(op, schema, "body"), ids)
        elif media_type == "multipart/form-data":
            filled.files, filled.data = _multipart(op, schema, ids)
        else:
            raise Unfillable(f"{op.label}: request body of type {media_type}")
    return filled


def _path_value(
    param: dict[str, Any],
    overrides: Mapping[str, str],
    ids: Mapping[str, str],
    program: Mapping[str, str],
    op: Operation,
) -> tuple[str, bool]:
    """The value of a path parameter, and whether it names one of A's objects."""
    name = param["name"]
    if name in overrides:
        return ids[overrides[name]], True
    if name in TENANT_PARAMS:
        return ids[TENANT_PARAMS[name]], True
    if name in CONSTANTS:
        return CONSTANTS[name], False
    if name in ids:
        return ids[name], True
    if name in program:
        return program[name], False
    if named_by_schema(op, param):
        return str(example_or_built(op, param["schema"], f"path {name}")), False
    raise Unfillable(
        f"{op.label}: path parameter {name!r}: not in TENANT_PARAMS or CONSTANTS, no enum or example, "
        "no list of them to find one in, no POST to make one"
    )


def named_by_schema(op: Operation, param: dict[str, Any]) -> bool:
    schema = resolve(op.document, param.get("schema", {}))
    return bool(schema.get("enum") or schema.get("examples"))


def _query(op: Operation, ids: Mapping[str, str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for param in op.parameters("query"):
        name = param["name"]
        if op.is_read and name in TENANT_PARAMS:
            params[name] = ids[TENANT_PARAMS[name]]
        elif name in CONSTANTS and param.get("required"):
            params[name] = CONSTANTS[name]
        elif param.get("required"):
            params[name] = str(example_or_built(op, param["schema"], f"query {name}"))
    return params


def _multipart(
    op: Operation, schema: dict[str, Any], ids: Mapping[str, str]
) -> tuple[dict[str, tuple[str, bytes, str]], dict[str, str]]:
    files, data = {}, {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("format") == "binary" or "contentMediaType" in prop:
            if op.key not in FILES:
                raise Unfillable(f"{op.label}: file field {name!r} (add a file to FILES)")
            file_name, content, media_type = FILES[op.key]
            files[name] = (file_name, content.format(**ids).encode(), media_type)
        elif name in schema.get("required", []):
            data[name] = str(example_or_built(op, resolve(op.document, prop), f"form field {name}"))
    return files, data


def example_or_built(op: Operation, schema: dict[str, Any], where: str) -> Any:
    schema = resolve(op.document, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    return build(op, schema, where)


def build(op: Operation, schema: dict[str, Any], where: str) -> Any:
    """A value the schema accepts: required properties only, the first choice of each."""
    schema = resolve(op.document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        choices = [s for s in schema["anyOf"] if resolve(op.document, s).get("type") != "null"]
        return example_or_built(op, choices[0], where)
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example_or_built(op, prop, f"{where}.{name}")
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        item = example_or_built(op, schema.get("items", {}), f"{where}[]")
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        return _string(op, schema, where)
    raise Unfillable(f"{op.label}: {where} has a schema the tests cannot fill: {schema}")


def _string(op: Operation, schema: dict[str, Any], where: str) -> str:
    formats = {"date": TODAY, "date-time": f"{TODAY}T10:00:00-05:00", "email": "securite@example.org"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    if "pattern" in schema:
        raise Unfillable(f"{op.label}: {where} has a pattern and no example ({schema['pattern']})")
    return "Contrôle de sécurité"[: schema.get("maxLength", 100)]


def point_at(body: Any, ids: Mapping[str, str]) -> Any:
    """``body`` with every field that names an object naming A's instead."""
    if isinstance(body, list):
        return [point_at(item, ids) for item in body]
    if not isinstance(body, dict):
        return body
    pointed: dict[str, Any] = {}
    for name, value in body.items():
        if name in TENANT_PARAMS and isinstance(value, str):
            pointed[name] = ids[TENANT_PARAMS[name]]
        elif name in BODY_LISTS and isinstance(value, list):
            pointed[name] = [ids[BODY_LISTS[name]]]
        else:
            pointed[name] = point_at(value, ids)
    return pointed


def missing(filled: Filled, ids: Mapping[str, str]) -> Filled:
    """The same request naming objects that do not exist instead of A's: another tenant's
    object must get exactly the answer a missing one gets."""
    text = filled.text()
    for value in set(ids.values()):
        text = text.replace(value, "org-absent" if value.startswith("org-") else str(uuid.uuid4()))
    url, params, json_body, data, files = json.loads(text)
    replaced = {k: (v[0], files[k].encode(), v[2]) for k, v in (filled.files or {}).items()}
    return Filled(filled.method, url, params, json_body, replaced or None, data, filled.in_path)
