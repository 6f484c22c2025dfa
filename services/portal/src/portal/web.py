"""Rendering pages: one Jinja2 environment per language (each with its compiled catalogue and
its date and number formats), and what every page's layout needs (the person, the language,
the CSRF token, the unread count)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from portal.auth import current_user
from portal.i18n import LANGUAGES, Formats, Language, language_of, translations
from portal.security import CSRF_FIELD, CSRF_HEADER, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE = "gsi_lang"
LANGUAGE_KEY = "language"


def request_language(request: Request) -> Language:
    """The session's choice, else the cookie's (remembered across sign-ins), else French."""
    chosen = request.session.get(LANGUAGE_KEY) if "session" in request.scope else None
    return language_of(chosen or request.cookies.get(LANGUAGE_COOKIE))


class Pages:
    def __init__(self, *, development_sign_in: bool) -> None:
        self._environments = {language: _environment(language) for language in LANGUAGES}
        self._development_sign_in = development_sign_in

    def environment(self, language: Language) -> Environment:
        return self._environments[language]

    def render(
        self, request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
    ) -> HTMLResponse:
        language = request_language(request)
        session = request.session if "session" in request.scope else {}
        layout = {
            "request": request,
            "language": language,
            "other_language": "en" if language == "fr" else "fr",
            "user": current_user(session),
            "csrf_field": CSRF_FIELD,
            "csrf_header": CSRF_HEADER,
            "csrf_token": csrf_token(session) if "session" in request.scope else "",
            "unread": None,
            "development_sign_in": self._development_sign_in,
        }
        html = self._environments[language].get_template(template).render({**layout, **(context or {})})
        return HTMLResponse(html, status_code=status)


def _environment(language: Language) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(language)
    environment.filters["date"] = formats.date
    environment.filters["datetime"] = formats.datetime
    environment.filters["number"] = formats.number
    return environment
