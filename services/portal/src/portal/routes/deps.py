"""What the composition root put in ``app.state``, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portal.auth import SignedIn, signed_in
from portal.backend import Backends
from portal.settings import PortalSettings
from portal.web import Pages


async def _settings(request: Request) -> PortalSettings:
    settings = request.app.state.settings
    assert isinstance(settings, PortalSettings)
    return settings


async def _backends(request: Request) -> Backends:
    backends = request.app.state.backends
    assert isinstance(backends, Backends)
    return backends


async def _pages(request: Request) -> Pages:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages


SettingsDep = Annotated[PortalSettings, Depends(_settings)]
BackendsDep = Annotated[Backends, Depends(_backends)]
PagesDep = Annotated[Pages, Depends(_pages)]
SignedInDep = Annotated[SignedIn, Depends(signed_in)]
