"""``gsi-portal serve`` (or ``python -m portal serve``): the portal over uvicorn;
``gsi-portal catalogs``: extract the messages and update the translation catalogues."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI

from portal.bootstrap import build_app
from portal.i18n import update_catalogs
from portal.settings import PortalSettings


def app_factory() -> FastAPI:
    """For ``uvicorn --factory portal.main:app_factory``."""
    return build_app(PortalSettings())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gsi-portal", description=__doc__)
    parser.add_argument("command", choices=["serve", "catalogs"])
    args = parser.parse_args(argv)
    if args.command == "catalogs":
        update_catalogs()
        return
    settings = PortalSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    main()
