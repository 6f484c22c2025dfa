"""A form posted to a service, as every page does it: the body sent (empty values left out), a
refusal of the form's own (400, 409, 422…) put back beside its fields on the page drawn again
(422), anything else raised to the error pages; once accepted, a message for the next page and
a redirect (303). A form with a one-time token (``submission``) sent twice opens what the first
made instead of making a second (:data:`SUBMISSIONS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.forms import FormSpec
from portal.routes.interventions_forms import errors_of
from portal.routes.persons_common import SUBMISSIONS, flash
from portal.web import request_language

FORM_ERRORS = (400, 409, 422)
LOCKED_TOO = (*FORM_ERRORS, 423)  # an intervention of a locked quarter: said on the form too
# The field errors and those of no field, from a refusal's body.
Refusal = Callable[[Mapping[str, Any]], tuple[dict[str, str], list[str]]]
# The page drawn again with those errors.
Again = Callable[[dict[str, str], list[str]], Awaitable[Response]]


def present(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without its empty (None) values: the service applies its defaults."""
    return {k: v for k, v in body.items() if v is not None}


def refused_on(spec: FormSpec, request: Request) -> Refusal:
    """Interventions' refusal of ``spec``, in the page's language."""
    language = request_language(request)
    return lambda body: errors_of(spec, body, language)


def redraw(page: Callable[..., Awaitable[Response]], *args: Any, **kwargs: Any) -> Again:
    """The form's page drawn again (``page(*args, **kwargs)``) with the refusal beside its fields."""

    async def again(errors: dict[str, str], elsewhere: list[str]) -> Response:
        return await page(*args, errors=errors, elsewhere=elsewhere, **kwargs)

    return again


@dataclass(frozen=True)
class Post:
    """Where a form goes and what becomes of a refusal."""

    path: str
    body: Any
    refusal: Refusal
    again: Again
    statuses: tuple[int, ...] = FORM_ERRORS
    service: str = "interventions"


async def send(backends: Backends, who: SignedIn, post: Post) -> Any:
    """The service's answer, or the page drawn again when it refused the form (a Response)."""
    try:
        return await backends.post(post.service, post.path, token=who.token, json=post.body)
    except BackendRefused as refused:
        if refused.status not in post.statuses:
            raise
        return await post.again(*post.refusal(refused.body))


async def send_then_redirect(
    request: Request, backends: Backends, who: SignedIn, post: Post, *, notice: str, target: str
) -> Response:
    answer = await send(backends, who, post)
    if isinstance(answer, Response):
        return answer
    flash(request, notice)
    return RedirectResponse(target, status_code=303)


async def send_once(
    request: Request,
    backends: Backends,
    who: SignedIn,
    post: Post,
    *,
    token: tuple[str, str],
    made: str,
    target: Callable[[str], str],
    notice: Callable[[Any], tuple[str, dict[str, Any]]],
) -> Response:
    """Send a form that makes something (its id is ``answer[made]``) once per one-time token:
    ``token`` is the form's kind and its token; ``target`` the page of what was made;
    ``notice`` the message (its kind and data) for that page."""
    kind, submission = token
    key = f"{kind}:{who.user.user_id}:{submission}"
    if submission and (previous := await SUBMISSIONS.previous(key)):
        return RedirectResponse(target(previous), status_code=303)
    async with SUBMISSIONS.claim(key) as made_by_this:
        answer = await send(backends, who, post)
        if isinstance(answer, Response):
            return answer
        made_by_this.append(str(answer[made]))
    what, data = notice(answer)
    flash(request, what, **data)
    return RedirectResponse(target(str(answer[made])), status_code=303)
