"""The interactive documentation, ``/docs``: Swagger UI served by the service itself.

FastAPI's own ``/docs`` and ``/redoc`` load their scripts from a CDN: blank on a network without
one (the ministry's) and refused by a strict CSP. Here every file the page needs answers under
``/docs/static/``, and the page runs no inline script, so that its CSP can be
``script-src 'self'`` (:mod:`.headers`). ReDoc is not offered: Swagger UI shows the same
document.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package on PyPI, pinned in
``shared/pyproject.toml`` (byte for byte ``swagger-ui-dist`` of the same version on npm).
``static/swagger-ui.sha256`` holds the checksum of every third-party file served, licences
included (the package's Apache-2.0 ``LICENSE``; swagger-ui's ``NOTICE`` and its bundle's
third-party licences, kept here from npm's ``swagger-ui-dist``): a test checks that what is
served is what was reviewed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.metadata import distribution
from importlib.resources import files
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from gsi_kernel.errors import NotFound
from gsi_kernel.fields import Line

DOCS_URL = "/docs"
STATIC_URL = "/docs/static"
SWAGGER_UI_DISTRIBUTION = "swagger-ui-bundle-v2"
OWN_STATIC = Path(__file__).parent / "static"
MANIFEST = OWN_STATIC / "swagger-ui.sha256"
_JS = "text/javascript; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
# The files do not change while a version is installed; a day in the browser's cache spares
# 1.7 MB per visit, and the ETag lets it ask again cheaply afterwards.
_CACHE = "public, max-age=86400"


@dataclass(frozen=True)
class Asset:
    media_type: str
    read: Literal["package", "licence", "own"]  # the package, its dist-info, or static/ here
    source: str


ASSETS: dict[str, Asset] = {
    "swagger-ui-bundle.js": Asset(_JS, "package", "swagger-ui-bundle.js"),
    "swagger-ui.css": Asset("text/css; charset=utf-8", "package", "swagger-ui.css"),
    "favicon-32x32.png": Asset("image/png", "package", "favicon-32x32.png"),
    "LICENSE": Asset(_TEXT, "licence", "licenses/LICENSE"),
    "NOTICE": Asset(_TEXT, "own", "swagger-ui.NOTICE"),
    # The name the bundle's first line points to, next to it.
    "swagger-ui-bundle.js.LICENSE.txt": Asset(_TEXT, "own", "swagger-ui-bundle.js.LICENSE.txt"),
    "swagger-init.js": Asset(_JS, "own", "swagger-init.js"),  # ours: in no manifest
}


@cache
def asset_bytes(name: str) -> bytes:
    """The bytes ``/docs/static/<name>`` answers (read once per process)."""
    asset = ASSETS[name]
    if asset.read == "package":
        # The package's files sit in a folder named after Swagger UI's version (its own).
        version = distribution(SWAGGER_UI_DISTRIBUTION).version
        return (files("swagger_ui_bundle") / f"vendor/swagger-ui-{version}" / asset.source).read_bytes()
    if asset.read == "licence":
        text = distribution(SWAGGER_UI_DISTRIBUTION).read_text(asset.source)
        if text is None:
            raise FileNotFoundError(f"{SWAGGER_UI_DISTRIBUTION}: no {asset.source}")
        return text.encode()
    return (OWN_STATIC / asset.source).read_bytes()


@cache
def _etag(name: str) -> str:
    return '"' + hashlib.sha256(asset_bytes(name)).hexdigest()[:32] + '"'


def pinned_checksums() -> dict[str, str]:
    """The manifest: SHA-256 by served name (``sha256sum``'s format)."""
    lines = MANIFEST.read_text().splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


def install_docs(app: FastAPI) -> None:
    """``GET /docs`` and its files; call with ``docs_url=None, redoc_url=None`` given to FastAPI."""
    app.include_router(_docs_router(app.title, app.openapi_url or "/openapi.json"))


def _docs_router(title: str, openapi_url: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_URL)
    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(_page(title, openapi_url, request.scope.get("root_path", "")))

    @router.get(STATIC_URL + "/{name}")
    async def static(name: Line, request: Request) -> Response:
        if name not in ASSETS:
            raise NotFound(
                "not_found",
                "Ce fichier de la documentation n'existe pas.",
                "This documentation file does not exist.",
                details={"name": name},
            )
        content = asset_bytes(name)
        etag = _etag(name)
        headers = {"Cache-Control": _CACHE, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=ASSETS[name].media_type, headers=headers)

    return router


def _page(title: str, openapi_url: str, root: str) -> str:
    static_url = escape(root + STATIC_URL)
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{escape(title)} — Swagger UI</title>
<link rel="icon" type="image/png" href="{static_url}/favicon-32x32.png">
<link rel="stylesheet" href="{static_url}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(root + openapi_url)}"></div>
<script src="{static_url}/swagger-ui-bundle.js"></script>
<script src="{static_url}/swagger-init.js"></script>
</body>
</html>
"""
