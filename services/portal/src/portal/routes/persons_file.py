"""A person's file (``/personnes/{id}``): identity and file number, current status, eligibility
per volet today and on a chosen date, action plans, regionalization checkpoints, every
intervention on one timeline, consents and proof documents (downloaded through the portal with
the user's token). Registration's calls and interventions' go out together; another
organization's person is registration's 404, so the portal's "page not found"."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from datetime import date
from typing import Any

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from portal.backend import BackendRefused, Backends
from portal.i18n import LOCALES, Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import (
    CONSENTS,
    DOCUMENT_KINDS,
    FRENCH_LEVELS,
    SEXES,
    STATUSES,
    VOLETS,
    gettext_for,
    regions,
)
from portal.routes.persons_common import looks_like_person_id, read_purpose, take_flash, today_in_montreal
from portal.routes.persons_timeline import OUTCOMES, code_name, day_of, timeline
from portal.web import request_language

router = APIRouter()
_LISTED = 200  # interventions on the timeline (registration's and interventions' page size)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


async def _named(calls: dict[str, Awaitable[Any]]) -> dict[str, Any]:
    answers = await asyncio.gather(*calls.values())
    return dict(zip(calls, answers, strict=True))


async def _eligibility_on(
    backends: Backends, token: str, person_id: str, day: date, language: Language
) -> tuple[list[Any] | None, str | None]:
    """Eligibility on a chosen day, or why registration would not say (before the birth)."""
    try:
        found = await backends.get(
            "registration", f"/persons/{person_id}/eligibility", token=token, on=day.isoformat()
        )
    except BackendRefused as refused:
        if refused.status not in (400, 422):
            raise
        return None, refused.message(language)
    return list(found), None


def _chosen_day(on: str) -> tuple[date | None, bool]:
    """The date asked for, and whether what was typed was not a date."""
    if not on:
        return None, False
    try:
        return date.fromisoformat(on.strip()), False
    except ValueError:
        return None, True


@router.get("/personnes/{person_id}")
async def person_file(
    person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep, on: str = ""
) -> Response:
    if not looks_like_person_id(person_id):
        raise HTTPException(404)
    language, today, token = request_language(request), today_in_montreal(request), who.token
    news = take_flash(request)
    just_registered = (
        news if news and news.get("kind") == "registered" and news.get("person_id") == person_id else None
    )
    day, not_a_date = _chosen_day(on[:20])
    calls: dict[str, Awaitable[Any]] = {
        "person": backends.get(
            "registration", f"/persons/{person_id}", token=token, purpose=read_purpose(who.user)
        ),
        "interventions": backends.get(
            "interventions", "/interventions", token=token, person_id=person_id, limit=_LISTED
        ),
        "plans": backends.get("interventions", "/action-plans", token=token, person_id=person_id, limit=50),
        "follow_ups": backends.get(
            "interventions", "/regionalization-follow-ups", token=token, person_id=person_id, limit=50
        ),
        "catalogue": backends.get("interventions", "/catalogue", token=token),
    }
    if just_registered is None:  # just registered: the evaluation came with the answer
        calls["today"] = backends.get("registration", f"/persons/{person_id}/eligibility", token=token)
    if day is not None and day != today:
        calls["on"] = _eligibility_on(backends, token, person_id, day, language)
    found = await _named(calls)
    details = await _named(
        {
            **{
                f"plan-{p['plan_id']}": backends.get(
                    "interventions", f"/action-plans/{p['plan_id']}", token=token
                )
                for p in found["plans"]["items"]
            },
            **{
                f"follow-{f['follow_up_id']}": backends.get(
                    "interventions", f"/regionalization-follow-ups/{f['follow_up_id']}", token=token
                )
                for f in found["follow_ups"]["items"]
            },
        }
    )
    plans = [v for k, v in details.items() if k.startswith("plan-")]
    follow_ups = [v for k, v in details.items() if k.startswith("follow-")]
    person, codes = found["person"], found["catalogue"].get("codes", {})
    today_eligibility = just_registered["eligibility"] if just_registered else found["today"]
    on_eligibility, on_error = found.get("on", (None, None))
    if not_a_date:
        _ = gettext_for(language)
        on_error = _("Enter a real date, for example 2026-03-12")
    if day == today:
        on_eligibility = None
    context = {
        "person": person,
        "news": news,
        "today": today,
        "eligibility_today": today_eligibility,
        "on": on[:20] if not_a_date else (day.isoformat() if day else ""),
        "on_day": day,
        "on_eligibility": on_eligibility,
        "on_error": on_error,
        "plans": sorted(plans, key=lambda p: p["opened_on"], reverse=True),
        "follow_ups": follow_ups,
        "journey": timeline(
            person, found["interventions"]["items"], plans, follow_ups, codes, language, today
        ),
        "codes": codes,
        "code_name": lambda code: code_name(codes, code, language),
        "names": _names(language),
        "country": Locale.parse(LOCALES[language]).territories.get(
            person.get("country_of_birth"), person.get("country_of_birth")
        ),
        "registered_on": day_of(person.get("registered_at")),
        "may_change": who.user.works_for_an_organization,
        "active_consents": {c["purpose"] for c in person.get("consents", []) if not c.get("withdrawn_at")},
    }
    return pages.render(request, "persons/file.html", context)


def _names(language: Language) -> dict[str, Any]:
    """What each code is called, in the person's language (pick-lists and regions)."""
    _ = gettext_for(language)
    lists = {
        "statuses": STATUSES,
        "sexes": SEXES,
        "french_levels": FRENCH_LEVELS,
        "consents": CONSENTS,
        "documents": DOCUMENT_KINDS,
        "volets": VOLETS,
        "outcomes": OUTCOMES,
    }
    named: dict[str, Any] = {
        key: {code: _(text) for code, text in labels.items()} for key, labels in lists.items()
    }
    named["regions"] = regions()
    return named


@router.get("/personnes/{person_id}/documents/{document_id}")
async def download_document(
    person_id: str, document_id: str, who: SignedInDep, backends: BackendsDep, nom: str = "document"
) -> Response:
    """The document, streamed from registration with the user's token (each read is logged
    there); saved under the name the file page gave the link (its kind and date), never its id."""
    if not (looks_like_person_id(person_id) and looks_like_person_id(document_id)):
        raise HTTPException(404)
    path = f"/persons/{person_id}/documents/{document_id}"
    answer = await backends.open_stream(
        "registration", path, token=who.token, params={"purpose": read_purpose(who.user)}
    )
    media_type = answer.headers.get("content-type", "application/octet-stream").split(";")[0]
    name = f"{_SAFE_NAME.sub('', nom)[:80] or 'document'}.{_EXTENSIONS.get(media_type, 'bin')}"
    return StreamingResponse(
        answer.aiter_bytes(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
        background=BackgroundTask(answer.aclose),
    )
