"""What the persons pages share: a form as a template shows it (its pick-lists filled in), the
region autofill from the postal code, the one-time messages shown after a redirect, today in
Montréal, and which ids may name a person."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import Request

from gsi_kernel.clock import Clock, montreal_date
from portal.auth import User
from portal.forms import FormSpec, FormView, Values
from portal.i18n import Language
from portal.routes.persons_choices import gettext_for, options, regions
from portal.routes.persons_forms import FORMS, valid_postal_code

_FLASH = "persons_flash"
# Registration's ids are UUIDs: anything else names no person (404 without asking).
_PERSON_ID = re.compile(r"^[0-9A-Fa-f-]{8,36}$")


def form_view(spec: FormSpec, values: Values, language: Language, today: date, **rest: Any) -> FormView:
    lists = {f.choices: options(f.choices, language) for f in spec.fields if f.choices}
    return FormView(spec, values, options=lists, today=today, live=spec.key in FORMS, **rest)


def blank_values(spec: FormSpec, **given: Any) -> Values:
    values: Values = {f.name: [] if f.many else "" for f in spec.fields if f.kind != "file"}
    if spec.get("region"):
        values["region_auto"] = ""
    return {**values, **given}


def autofill_region(values: Values, language: Language) -> str | None:
    """Fill the region from the postal code's first three characters, unless the person chose
    another one; the note that says what was done (None: nothing to say)."""
    postal_code = str(values.get("postal_code") or "")
    if not valid_postal_code(postal_code):
        return None
    _ = gettext_for(language)
    table = regions()
    fsa, candidates = table.of_postal_code(postal_code)
    chosen, auto = values.get("region") or "", values.get("region_auto") or ""
    untouched = not chosen or chosen == auto
    if len(candidates) == 1:
        if untouched:
            values["region"] = values["region_auto"] = candidates[0]
            return _("Filled in from the postal code (%(fsa)s). Change it if the person lives elsewhere.") % {
                "fsa": fsa
            }
        return None
    if untouched:
        values["region"] = values["region_auto"] = ""
    if candidates:
        names = ", ".join(table.label(code) for code in candidates)
        return _("Postal codes starting with %(fsa)s are in several regions (%(regions)s): choose one.") % {
            "fsa": fsa,
            "regions": names,
        }
    return _("No Québec region is known for postal codes starting with %(fsa)s: choose the region.") % {
        "fsa": fsa
    }


def today_in_montreal(request: Request) -> date:
    clock: Clock = request.app.state.clock
    return montreal_date(clock.now())


def looks_like_person_id(person_id: str) -> bool:
    return bool(_PERSON_ID.match(person_id))


def read_purpose(user: User) -> str:
    """Why a file is read (registration logs it): serving the person, for an organization."""
    if "admin" in user.roles:
        return "administration"
    if "ministry_reviewer" in user.roles and not user.works_for_an_organization:
        return "ministry_control"
    return "service_delivery"


def flash(request: Request, kind: str, **data: Any) -> None:
    """A message for the next page (after a redirect), shown once."""
    request.session[_FLASH] = {"kind": kind, **data}


def take_flash(request: Request) -> dict[str, Any] | None:
    found = request.session.pop(_FLASH, None)
    return found if isinstance(found, dict) else None


def new_submission_token() -> str:
    return secrets.token_urlsafe(16)


class Submissions:
    """Registration forms already sent, by their one-time token: a second click on "Register"
    (or the form sent again from the browser's history) opens the file the first one made,
    instead of making a second. The first may still be on its way: the second waits for it.
    Kept in this process, as the sessions are (ADR 20)."""

    def __init__(self, keep: int = 10_000) -> None:
        self._seen: OrderedDict[str, asyncio.Future[str | None]] = OrderedDict()
        self._keep = keep

    async def previous(self, key: str) -> str | None:
        """The person the form made, if it was sent before (no wait when it was not)."""
        found = self._seen.get(key)
        return await asyncio.shield(found) if found is not None else None

    @asynccontextmanager
    async def claim(self, key: str) -> AsyncIterator[list[str]]:
        """While the block runs, a second sending waits; append the person id made to the list."""
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._seen[key] = future
        while len(self._seen) > self._keep:
            self._seen.popitem(last=False)
        made: list[str] = []
        try:
            yield made
        finally:
            future.set_result(made[0] if made else None)
            if not made:  # refused: sending it again is a new try
                self._seen.pop(key, None)


SUBMISSIONS = Submissions()
