"""Importing interventions from a file (``/imports``): the template to download (CSV or Excel),
the upload with its mode explained (check only, all or nothing, valid rows only), past imports;
one import's progress while it runs (a ``<progress>`` bar htmx refreshes every second, and a
plain "refresh" link without JavaScript), then its outcome: the counts, the rows in error (the
first hundred on screen) and the error file to download.

Files go to interventions as they came (it reads CSV and XLSX and decides); one larger than
interventions takes is refused here without sending it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.forms import file_part, upload_problem
from portal.i18n import N_
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import looks_like_person_id, take_flash
from portal.routes.persons_register import require_organization
from portal.web import Pages, request_language

router = APIRouter()
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # interventions' default limit (GSI_INTERVENTIONS_IMPORT_MAX_BYTES)
ERRORS_SHOWN = 100
RUNNING = ("validating", "writing")
MODES = {
    "dry_run": (
        N_("Check only (dry run)"),
        N_("Every row is checked and nothing is saved: you see the errors to fix. Start here."),
    ),
    "all_or_nothing": (
        N_("All or nothing"),
        N_("The rows are saved only if every row is valid; a single error and nothing is saved."),
    ),
    "valid_rows_only": (
        N_("Valid rows only"),
        N_("The valid rows are saved; the others are in the error file, to fix and import again."),
    ),
}
FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}$")


def _form(mode: str = "dry_run", errors: dict[str, str] | None = None) -> dict[str, Any]:
    errors = errors or {}
    return {"mode": mode, "errors": errors, "summary": [(name, text) for name, text in errors.items()]}


async def _index(
    request: Request, who: SignedIn, backends: Backends, pages: Pages, form: dict[str, Any], page: int = 1
) -> Response:
    listing = await backends.get("interventions", "/imports", token=who.token, **rows_of(page))
    context = {
        "form": form,
        "modes": MODES,
        "formats": FORMATS,
        "imports": listing["items"],
        "pager": Pager(page, listing["total"], {}, "/imports"),
        "may_import": who.user.works_for_an_organization,
        "max_megabytes": MAX_IMPORT_BYTES // (1024 * 1024),
        "notice": take_flash(request),
    }
    return pages.render(request, "imports/index.html", context, status=422 if form["errors"] else 200)


@router.get("/imports")
async def imports_page(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep, page: str = "1"
) -> Response:
    return await _index(request, who, backends, pages, _form(), page_number(page))


@router.post("/imports")
async def start_import(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    language = request_language(request)
    _ = gettext_for(language)
    form = await request.form()
    mode, upload = str(form.get("mode") or ""), form.get("file")
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = _("Choose what the import does")
    too_large = _("The file is larger than %(size)d MB: split it in several files") % {
        "size": MAX_IMPORT_BYTES // (1024 * 1024)
    }
    if problem := upload_problem(upload, MAX_IMPORT_BYTES, _("Choose the file to import"), too_large):
        errors["file"] = problem
    if errors or not isinstance(upload, UploadFile):
        return await _index(
            request, who, backends, pages, _form(mode if mode in MODES else "dry_run", errors)
        )
    sent = await file_part(upload, MAX_IMPORT_BYTES, "import")
    try:
        answer = await backends.request(
            "POST", "interventions", "/imports", token=who.token, files=sent, data={"mode": mode}
        )
    except BackendRefused as refused:
        if refused.status in (403, 404):
            raise
        details = refused.body.get("details") or {}
        entries = details.get("errors") if isinstance(details, dict) else None
        texts = [_message(e.get("message"), language) for e in entries or [] if isinstance(e, dict)]
        message = "; ".join(texts) or refused.message(language)
        return await _index(request, who, backends, pages, _form(mode, {"file": message}))
    return RedirectResponse(f"/imports/{answer['import_id']}", status_code=303)


@router.get("/imports/modele")
async def template(who: SignedInDep, backends: BackendsDep, format: str = "xlsx") -> Response:
    """The template to fill in, as interventions makes it."""
    if format not in FORMATS:
        raise HTTPException(404)
    return await _download(backends, who, "/imports/template", {"format": format})


def _message(message: Any, language: str) -> str:
    return (
        str(message.get(language) or message.get("fr")) if isinstance(message, dict) else str(message or "")
    )


def _shown_value(value: str | None) -> str:
    """A cell's value as typed, unless it is an id (never shown)."""
    return "" if value is None or _UUID.match(value.strip()) else value


async def _job(backends: Backends, who: SignedIn, import_id: str) -> dict[str, Any]:
    if not looks_like_person_id(import_id):
        raise HTTPException(404)
    job: dict[str, Any] = await backends.get("interventions", f"/imports/{import_id}", token=who.token)
    return job


@router.get("/imports/{import_id}")
async def import_page(
    import_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    job = await _job(backends, who, import_id)
    errors: dict[str, Any] = {"items": [], "total": 0}
    if job["status"] == "done":
        errors = await backends.get(
            "interventions",
            f"/imports/{import_id}/errors",
            token=who.token,
            format="json",
            limit=ERRORS_SHOWN,
        )
    for row in errors["items"]:
        row["shown_value"] = _shown_value(row.get("value"))
    context = {"job": job, "errors": errors, "modes": MODES, "formats": FORMATS, "running": RUNNING}
    return pages.render(request, "imports/job.html", context)


@router.get("/imports/{import_id}/avancement")
async def progress(
    import_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """htmx, every second while the import runs: the progress bar again; once it has finished,
    the whole page again (its outcome)."""
    job = await _job(backends, who, import_id)
    if job["status"] not in RUNNING:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return pages.render(request, "imports/progress.html", {"job": job})


@router.get("/imports/{import_id}/erreurs")
async def error_file(
    import_id: str, who: SignedInDep, backends: BackendsDep, format: str = "csv"
) -> Response:
    """The error file (row, column, code, message in French and English), as interventions makes it."""
    if format not in FORMATS or not looks_like_person_id(import_id):
        raise HTTPException(404)
    return await _download(backends, who, f"/imports/{import_id}/errors", {"format": format})


async def _download(backends: Backends, who: SignedIn, path: str, params: dict[str, str]) -> Response:
    answer = await backends.open_stream("interventions", path, token=who.token, params=params)
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return StreamingResponse(
        answer.aiter_bytes(),
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers=headers,
        background=BackgroundTask(answer.aclose),
    )
