"""The form posting every page shares (portal.routes.posting), without the services: a refusal of
the form's own put back on the page drawn again, any other raised; the body without its empty
values; a form with a one-time token sent twice makes one thing; a message for the next page."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar, cast

import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from portal.auth import SignedIn, User
from portal.backend import BackendRefused, Backends
from portal.forms import Field, FormSpec, Group
from portal.routes.persons_common import take_flash
from portal.routes.posting import LOCKED_TOO, Post, present, redraw, refused_on, send, send_once
from tests.portal.support import run_async

SPEC = FormSpec("thing", (Group(None, (Field("name", "Name"), Field("when", "Date", "date"))),))
T = TypeVar("T")
WHO = SignedIn(User("karine@org-sherbrooke", "Karine", ("org_staff",), "org-sherbrooke"), "token")


class FakeBackends:
    """Answers each POST with the next of ``answers`` (an exception is raised)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, Any]] = []

    async def post(self, service: str, path: str, *, token: str | None, json: Any = None) -> Any:
        self.sent.append((service, path, json))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _request() -> Request:
    return Request({"type": "http", "session": {}, "headers": [], "query_string": b"", "cookie": ""})


def _refused(status: int) -> BackendRefused:
    body = {
        "code": "validation",
        "message": {"fr": "Refusé", "en": "Refused"},
        "details": {"errors": [{"location": ["body", "when"], "message": {"fr": "Date invalide"}}]},
    }
    return BackendRefused("interventions", status, body)


async def _page(*, errors: dict[str, str], elsewhere: list[str], status: int) -> Response:
    return HTMLResponse(f"{sorted(errors.items())} {elsewhere}", status_code=status)


def _post(body: Any = None, statuses: tuple[int, ...] = (400, 409, 422)) -> Post:
    request = _request()
    return Post("/things", body or {}, refused_on(SPEC, request), redraw(_page, status=422), statuses)


def test_a_refusal_of_the_form_is_put_beside_its_field_on_the_page_drawn_again() -> None:
    backends = FakeBackends(_refused(422))
    page = run_async(send(cast(Backends, backends), WHO, _post({"when": "demain"})))
    assert isinstance(page, Response)
    assert page.status_code == 422
    assert bytes(page.body).decode() == "[('when', 'Date invalide')] []"
    assert backends.sent == [("interventions", "/things", {"when": "demain"})]


def test_any_other_refusal_goes_to_the_error_pages() -> None:
    with pytest.raises(BackendRefused):
        run_async(send(cast(Backends, FakeBackends(_refused(403))), WHO, _post()))
    with pytest.raises(BackendRefused):  # a locked quarter is the form's only where said so
        run_async(send(cast(Backends, FakeBackends(_refused(423))), WHO, _post()))
    page = run_async(send(cast(Backends, FakeBackends(_refused(423))), WHO, _post(statuses=LOCKED_TOO)))
    assert isinstance(page, Response)
    assert page.status_code == 422


def test_the_body_leaves_out_what_was_left_empty() -> None:
    assert present({"name": "Léa", "when": None, "needs": []}) == {"name": "Léa", "needs": []}


def test_a_form_sent_twice_makes_one_thing_and_says_so_once() -> None:
    token = ("thing", uuid.uuid4().hex)
    backends = FakeBackends({"thing_id": "t-1", "flags": [1, 2]})

    def once(request: Request) -> Response:
        return run_async(
            send_once(
                request,
                cast(Backends, backends),
                WHO,
                _post({"name": "Léa"}),
                token=token,
                made="thing_id",
                target=lambda made: f"/things/{made}",
                notice=lambda answer: ("thing_made", {"flags": len(answer["flags"])}),
            )
        )

    first, second = _request(), _request()
    assert once(first).headers["location"] == "/things/t-1"
    assert take_flash(first) == {"kind": "thing_made", "flags": 2}
    again = once(second)
    assert (again.status_code, again.headers["location"]) == (303, "/things/t-1")
    assert len(backends.sent) == 1
    assert take_flash(second) is None
