"""The e-mail of a notice: subject, plain text and HTML, in the recipient's language.

Templates are Jinja2 files under ``notifications/templates``: one per kind and language
(``fr/report_rejected.j2``) with three blocks — ``subject``, ``text``, ``html`` — placed in the
shared layouts (``_layout.txt.j2``, ``_layout.html.j2``). Each file is compiled twice: without
escaping for the subject and the text, with HTML escaping for the HTML. Data missing from a
notice is an error (StrictUndefined), never an empty place in a ministry's e-mail.

Every e-mail ends with the link to what it is about in the portal (``link``: the portal's
address, ``GSI_NOTIFICATIONS_PORTAL_URL``, and the notice's path). The inbox shows a notice's
``text`` block as its content, in both languages (:meth:`Renderer.content`).

A template that fails — missing data, a value of the wrong type, a syntax error — raises
:class:`TemplateError`, which the delivery worker records as the dead letter of that e-mail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context, Undefined
from markupsafe import Markup, escape

from gsi_contracts.links import absolute
from gsi_contracts.registration import file_reference
from notifications.deliveries.domain import TEMPLATE_ERROR
from notifications.emails import formatting
from notifications.emails.links import notice_link
from notifications.notices.events import NoticeRecorded
from notifications.notices.french import de, split_de
from notifications.notices.values import Recipient

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("fr", "en")


class TemplateError(Exception):
    """A notice's e-mail could not be rendered (``detail`` says where and why)."""

    code = TEMPLATE_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, directory: Path = TEMPLATES, *, portal_url: str = "") -> None:
        self._directory = directory
        self._portal_url = portal_url
        self._text = _environment(directory, autoescape=False)
        self._html = _environment(directory, autoescape=True)

    def knows(self, kind: str) -> bool:
        """Whether ``kind`` has a template in every language."""
        return all((self._directory / language / f"{kind}.j2").is_file() for language in LANGUAGES)

    def render_notice(self, notice: NoticeRecorded, recipient: Recipient) -> RenderedEmail:
        """The e-mail of ``notice`` for ``recipient``, in the recipient's language."""
        path = notice_link(notice.kind, notice.organization_id, notice.quarter, notice.data)
        return self.render(
            notice.kind,
            recipient.language,
            {"quarter": notice.quarter, **notice.data},
            recipient_name=recipient.name,
            audience=notice.audience,
            link=absolute(self._portal_url, path) if path else None,
        )

    def content(self, kind: str, language: str, data: Mapping[str, Any], *, audience: str) -> str:
        """What the notice says, as the inbox shows it: the e-mail's text without its frame."""
        values = {**data, "lang": language, "kind": kind, "audience": str(audience), "recipient_name": None}
        try:
            return _block(self._text.get_template(f"{language}/{kind}.j2"), "text", values).strip()
        except Exception as exc:  # the notice's data or template is at fault, never the caller
            raise TemplateError(f"{language}/{kind}: {type(exc).__name__}: {exc}") from exc

    def render(
        self,
        kind: str,
        language: str,
        data: Mapping[str, Any],
        *,
        recipient_name: str | None = None,
        audience: str = "organization",
        link: str | None = None,
    ) -> RenderedEmail:
        values = {
            **data,
            "lang": language,
            "kind": kind,
            "audience": str(audience),
            "recipient_name": recipient_name,
            "link": link,
        }
        try:
            return self._render(f"{language}/{kind}.j2", values)
        except Exception as exc:  # the notice's data or template is at fault, never the caller
            raise TemplateError(f"{language}/{kind}: {type(exc).__name__}: {exc}") from exc

    def _render(self, name: str, values: dict[str, Any]) -> RenderedEmail:
        text_template = self._text.get_template(name)
        subject = " ".join(_block(text_template, "subject", values).split())  # one line, always
        text_body = _block(text_template, "text", values).strip()
        # Markup: the block's own output, every value in it already escaped by the environment.
        html_body = Markup(_block(self._html.get_template(name), "html", values).strip())  # noqa: S704
        framed = {**values, "subject": subject}
        return RenderedEmail(
            subject=subject,
            text=self._text.get_template("_layout.txt.j2").render({**framed, "body": text_body}).strip()
            + "\n",
            html=self._html.get_template("_layout.html.j2").render({**framed, "body": html_body}),
        )


def _block(template: Template, name: str, values: dict[str, Any]) -> str:
    if name not in template.blocks:
        raise LookupError(f"the template has no block {name!r}")
    return "".join(template.blocks[name](template.new_context(values)))


def _environment(directory: Path, *, autoescape: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=autoescape,  # noqa: S701 — off only for the subject and the plain text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters.update(
        {
            "date": _localised(formatting.long_date),
            "datetime": _localised(formatting.date_time),
            "number": _localised(formatting.number),
            "quarter": _localised(formatting.quarter),
            "quarter_period": _localised(formatting.quarter_period),
            "severity": _localised(formatting.severity),
            "check_title": _localised(formatting.check_title),
            "plural": _localised_plural,
            "intervention": _localised(formatting.intervention),
            "region": lambda value: formatting.region(_defined(value)),
            "file_reference": lambda value: file_reference(int(_defined(value))),
            "de": lambda value: de(str(_defined(value))),
            "de_strong": _de_strong,
        }
    )
    return environment


def _de_strong(value: Any) -> Markup:
    """« de » and the name, the name in bold: « d'<strong>Accueil Montréal</strong> »."""
    particle, name = split_de(str(_defined(value)))
    return Markup(f"{escape(particle)}<strong>{escape(name)}</strong>")  # noqa: S704 — both escaped


def _localised(format_: Callable[[Any, str], str]) -> Callable[[Context, Any], str]:
    """A filter formatting in the template's language (the ``lang`` value)."""

    @pass_context
    def apply(context: Context, value: Any) -> str:
        return format_(_defined(value), context["lang"])

    return apply


@pass_context
def _localised_plural(context: Context, count: Any, one: str, other: str) -> str:
    return formatting.plural(_defined(count), one, other, context["lang"])


def _defined(value: Any) -> Any:
    """The value — or the error naming the missing one, which a filter would otherwise hide."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value
