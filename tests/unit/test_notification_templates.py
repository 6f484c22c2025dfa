"""E-mail templates: every kind of notice in French and English (subject, text, HTML), the
recipient's language, escaping, French and English dates and numbers, and rendering errors
reported as such."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from notifications.emails import formatting
from notifications.emails.links import notice_link
from notifications.emails.samples import SAMPLES, sample
from notifications.emails.templates import TEMPLATES, Renderer, TemplateError
from notifications.notices.events import NoticeRecorded
from notifications.notices.french import de
from notifications.notices.messages import titles
from notifications.notices.values import Audience, NoticeKind, Recipient

RENDERER = Renderer()
KINDS = list(NoticeKind)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind: NoticeKind, language: str) -> None:
    email = RENDERER.render(kind, language, sample(kind), recipient_name="Sophie Tremblay")
    greeting = "Bonjour Sophie Tremblay," if language == "fr" else "Hello Sophie Tremblay,"
    assert email.subject
    assert "\n" not in email.subject
    assert len(email.subject) < 200
    assert email.text.startswith(greeting)
    assert ("Ce courriel est envoyé automatiquement" in email.text) is (language == "fr")
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in email.html
    assert greeting in email.html
    for rendered in (email.subject, email.text, email.html):
        assert "{{" not in rendered
        assert "{%" not in rendered
        assert "None" not in rendered


def test_every_kind_has_its_sample_and_its_templates() -> None:
    assert set(SAMPLES) == set(NoticeKind)
    names = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.j2")}
    expected = {f"{lang}/{kind}.j2" for kind in NoticeKind for lang in ("fr", "en")}
    assert names == expected | {"_layout.txt.j2", "_layout.html.j2"}


@pytest.mark.parametrize(
    ("kind", "language", "subject", "in_text"),
    [
        (NoticeKind.DEADLINE_REMINDER, "fr", "Rappel : rapport T1 2026-2027 à soumettre d'ici le 30 juillet 2026",
         ["du 1er avril au 30 juin 2026", "dans 7 jours"]),
        (NoticeKind.DEADLINE_REMINDER, "en", "Reminder: Q1 2026-2027 report due by July 30, 2026",
         ["April 1 to June 30, 2026", "in 7 days"]),
        (NoticeKind.REPORT_REJECTED, "fr",
         "Rapport T1 2026-2027 refusé : corrections à soumettre d'ici le 1er septembre 2026",
         ["Motif du refus :\nDes suivis (SUI)", "  - Dossier D-004521, 12 mai 2026, SUI (Suivi) : Suivi (SUI) sans",
          "C5 (plan d'action actif", "erreur bloquante, C5.no_active_plan : 14 interventions",
          "avertissement, C8.outlier_per_staff : 3 interventions", "au plus tard le 1er septembre 2026"]),
        (NoticeKind.REPORT_REJECTED, "en", "Q1 2026-2027 report rejected: corrections to submit by September 1, 2026",
         ["Reason for the rejection:\n", "blocking error, C4.exact_duplicate: 1 intervention",
          "warning, C8.outlier_per_staff: 3 interventions"]),
        (NoticeKind.REPORT_SUBMITTED, "fr", "Rapport T1 2026-2027 soumis par Carrefour d'intégration de l'Estrie",
         ["Interventions : 1\u00a0842", "Avertissements : 12", "au plus tard le 27 août 2026"]),
        (NoticeKind.REPORT_SUBMITTED, "en", "Q1 2026-2027 report submitted by Carrefour d'intégration de l'Estrie",
         ["Interventions: 1,842", "due by August 27, 2026"]),
        (NoticeKind.CHECKPOINT_DUE, "fr", "Suivi de régionalisation à 6 mois à consigner d'ici le 15 août 2026",
         ["Personne : dossier D-004521", "Estrie (05)"]),
        (NoticeKind.IMPORT_FINISHED, "en", "Import finished: interventions-juillet.csv",
         ["Interventions created: 1,250", "Rows rejected: 4", "gives the reason of each rejected row"]),
        (NoticeKind.LOCK_EXCEPTION_GRANTED, "fr", "Exception de verrouillage accordée : trimestre T1 2026-2027",
         ["jusqu'au 15 octobre 2026"]),
    ],
)  # fmt: skip
def test_what_each_email_says(kind: NoticeKind, language: str, subject: str, in_text: list[str]) -> None:
    email = RENDERER.render(kind, language, sample(kind))
    assert email.subject == subject
    for expected in in_text:
        assert expected in email.text


@pytest.mark.parametrize(
    ("changes", "fr", "en"),
    [
        ({"days_left": 1}, "(demain)", "(tomorrow)"),
        ({"days_left": 15}, "(dans 15 jours)", "(in 15 days)"),
    ],
)
def test_reminders_count_the_days_left(changes: dict[str, Any], fr: str, en: str) -> None:
    data = {**sample(NoticeKind.DEADLINE_REMINDER), **changes}
    assert fr in RENDERER.render(NoticeKind.DEADLINE_REMINDER, "fr", data).text
    assert en in RENDERER.render(NoticeKind.DEADLINE_REMINDER, "en", data).text


@pytest.mark.parametrize(
    ("audience", "says"), [("organization", "Soumettez-le"), ("ministry", "L'organisme en a")]
)
def test_a_missed_deadline_speaks_to_its_audience(audience: str, says: str) -> None:
    email = RENDERER.render(
        NoticeKind.DEADLINE_MISSED, "fr", sample(NoticeKind.DEADLINE_MISSED), audience=audience
    )
    assert says in email.text
    assert says in email.html


def test_the_language_is_the_recipients() -> None:
    notice = NoticeRecorded(
        dedupe_key="k", kind=NoticeKind.QUARTER_LOCKED, organization_id="org-a", audience=Audience.ORGANIZATION,
        quarter="2026-2027-Q2", title_fr="T", title_en="T", data={"organization_name": "Org A"},
        recipients=(Recipient(email="a@x.ca", language="fr"), Recipient(email="b@x.ca", name="Bob", language="en")),
    )  # fmt: skip
    fr, en = (RENDERER.render_notice(notice, r) for r in notice.recipients)
    assert fr.subject == "Trimestre T2 2026-2027 verrouillé"
    assert en.subject == "Q2 2026-2027 locked"
    assert "du 1er juillet au 30 septembre 2026" in fr.text
    assert en.text.startswith("Hello Bob,")


def test_values_are_escaped_in_html_and_kept_as_written_in_text() -> None:
    data = {
        **sample(NoticeKind.REPORT_REJECTED),
        "organization_name": "Aide & Accueil <Sherbrooke>",
        "reason": '<script>alert("x")</script> Dates & "doublons"',
        "items": [{"intervention_id": "<b>id</b>", "reason": "a < b", "code": "<i>C</i>"}],
    }
    email = RENDERER.render(NoticeKind.REPORT_REJECTED, "fr", data, recipient_name="<img src=x>")
    assert "<script>" not in email.html
    assert "<img src=x>" not in email.html
    assert "<b>id</b>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Dates &amp; &#34;doublons&#34;" in email.html
    assert "Aide &amp; Accueil &lt;Sherbrooke&gt;" in email.html
    assert "&lt;i&gt;C&lt;/i&gt; : a &lt; b" in email.html
    assert '<script>alert("x")</script> Dates & "doublons"' in email.text  # plain text: as written
    assert email.text.startswith("Bonjour <img src=x>,")


def test_a_long_list_of_interventions_is_cut_with_a_count_of_the_rest() -> None:
    items = [
        {"intervention_id": f"id-{n:03d}", "reason": "Doublon", "person_file_number": n + 1}
        for n in range(60)
    ]
    data = {**sample(NoticeKind.REPORT_REJECTED), "items": items}
    fr = RENDERER.render(NoticeKind.REPORT_REJECTED, "fr", data)
    en = RENDERER.render(NoticeKind.REPORT_REJECTED, "en", data)
    assert "Dossier D-000050 : Doublon" in fr.text
    assert "D-000051" not in fr.text
    assert "Interventions à corriger (60)" in fr.text
    assert "… et 10 autres, indiquées dans le rapport dans GSI." in fr.text
    assert "… and 10 more, shown in the report in GSI." in en.html


@pytest.mark.parametrize(
    ("kind", "language", "data", "mentions"),
    [
        (NoticeKind.DEADLINE_REMINDER, "fr", {"organization_name": "A", "quarter": "2026-2027-Q1"}, "deadline"),
        (NoticeKind.REPORT_REJECTED, "en", {**sample(NoticeKind.REPORT_REJECTED), "resubmission_due": "soon"},
         "soon"),
        (NoticeKind.IMPORT_FINISHED, "fr", {**sample(NoticeKind.IMPORT_FINISHED), "created": "many"}, "many"),
        (NoticeKind.QUARTER_LOCKED, "fr", {"organization_name": "A", "quarter": None}, "None"),
        ("no_such_kind", "fr", {}, "no_such_kind"),
        (NoticeKind.QUARTER_LOCKED, "de", sample(NoticeKind.QUARTER_LOCKED), "de/quarter_locked"),
    ],
)  # fmt: skip
def test_rendering_errors_are_reported_with_what_went_wrong(
    kind: str, language: str, data: dict[str, Any], mentions: str
) -> None:
    with pytest.raises(TemplateError) as failed:
        RENDERER.render(kind, language, data)
    assert failed.value.code == "template.error"
    assert mentions in failed.value.detail


def test_a_broken_template_is_a_template_error(tmp_path: Path) -> None:
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "quarter_locked.j2").write_text("{% block subject %}{{ oops {% endblock %}")
    with pytest.raises(TemplateError) as failed:
        Renderer(tmp_path).render(NoticeKind.QUARTER_LOCKED, "fr", sample(NoticeKind.QUARTER_LOCKED))
    assert "TemplateSyntaxError" in failed.value.detail


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2026-07-01", "fr", "1er juillet 2026"),
        ("2026-07-15", "fr", "15 juillet 2026"),
        ("2026-07-15", "en", "July 15, 2026"),
        (date(2027, 2, 1), "en", "February 1, 2027"),
        ("2026-12-01T03:30:00+00:00", "fr", "30 novembre 2026"),  # still Nov 30 in Montréal
    ],
)
def test_long_dates(value: Any, lang: str, expected: str) -> None:
    assert formatting.long_date(value, lang) == expected


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        (formatting.date_time, (datetime(2026, 7, 15, 19, 5, tzinfo=UTC), "fr"), "15 juillet 2026 à 15 h 05"),
        (formatting.date_time, (datetime(2026, 7, 15, 19, 5, tzinfo=UTC), "en"), "July 15, 2026 at 3:05 PM"),
        (formatting.number, (1234567, "fr"), "1\u00a0234\u00a0567"),
        (formatting.number, (1234567, "en"), "1,234,567"),
        (formatting.plural, (0, "jour", "jours", "fr"), "jour"),
        (formatting.plural, (0, "day", "days", "en"), "days"),
        (formatting.plural, (2, "jour", "jours", "fr"), "jours"),
        (formatting.quarter, ("2026-2027-Q4", "fr"), "T4 2026-2027"),
        (formatting.quarter_period, ("2026-2027-Q4", "fr"), "du 1er janvier au 31 mars 2027"),
        (formatting.quarter_period, ("2026-2027-Q3", "en"), "October 1 to December 31, 2026"),
        (formatting.severity, ("error", "en"), "blocking error"),
        (formatting.region, ("06",), "Montréal (06)"),
        (formatting.region, ("99",), "99"),
    ],
)  # fmt: skip
def test_formats(function: Any, args: tuple[Any, ...], expected: str) -> None:
    assert function(*args) == expected


@pytest.mark.parametrize(("function", "value"), [(formatting.number, "12"), (formatting.long_date, 20260701)])
def test_values_of_the_wrong_type_are_refused(function: Any, value: Any) -> None:
    with pytest.raises(TypeError):
        function(value, "fr")


# ---- names, elision and links (issue 17) ------------------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Accueil Montréal", "d'Accueil Montréal"),
        ("Sherbrooke", "de Sherbrooke"),
        ("Intégration Estrie", "d'Intégration Estrie"),
        ("Hochelaga", "d'Hochelaga"),  # mute h
        ("Hébertville", "d'Hébertville"),
        ("Hull", "de Hull"),  # aspirated h
        ("Le Carrefour d'intégration", "du Carrefour d'intégration"),
        ("Les Services d'accueil", "des Services d'accueil"),
        ("L'Accueil des immigrants", "de l'Accueil des immigrants"),
        ("La Maison internationale", "de La Maison internationale"),
        ("Lecours et associés", "de Lecours et associés"),
        ("  Ouverture   Laval ", "d'Ouverture Laval"),
    ],
)
def test_de_agrees_with_the_name_that_follows(name: str, expected: str) -> None:
    assert de(name) == expected


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_email_shows_an_id_and_each_links_to_its_object(kind: NoticeKind, language: str) -> None:
    data = sample(kind)
    notice = NoticeRecorded(
        dedupe_key="k", kind=kind, organization_id="org-estrie", audience=Audience.ORGANIZATION,
        quarter=data.get("quarter"), title_fr="T", title_en="T", data=data, recipients=(),
    )  # fmt: skip
    email = Renderer(portal_url="https://gsi.example.qc.ca").render_notice(
        notice, Recipient(email=None, language=language)
    )
    path = notice_link(kind, "org-estrie", data.get("quarter"), data)
    assert path
    link = f"https://gsi.example.qc.ca{path}"
    opens = "Ouvrir dans GSI" if language == "fr" else "Open in GSI"
    assert f"{opens}{' :' if language == 'fr' else ':'} {link}" in email.text
    assert f'href="{link}"' in email.html
    content = RENDERER.content(kind, language, data, audience="organization")
    for rendered in (email.subject, email.text, email.html, content):
        # What people read names things; only the address they follow may hold an id.
        assert not UUID.search(rendered.replace(link, "")), rendered


def test_every_french_text_puts_a_name_after_de_as_french_does() -> None:
    data = {"organization_name": "Accueil Montréal"}
    for kind in KINDS:
        values = {**sample(kind), **data}
        email = RENDERER.render(kind, "fr", values, audience="ministry")
        title_fr, _ = titles(kind, values.get("quarter"), values)
        for rendered in (email.subject, email.text, email.html, title_fr):
            assert "de Accueil" not in rendered
            assert "de <strong>Accueil" not in rendered
    reminder = RENDERER.render(
        NoticeKind.CONTROL_REMINDER, "fr", {**sample(NoticeKind.CONTROL_REMINDER), **data}
    )
    assert reminder.subject.startswith("Contrôle à terminer : rapport T1 2026-2027 d'Accueil Montréal,")
    missed = titles(NoticeKind.DEADLINE_MISSED, "2026-2027-Q1", {"organization_name": "Le Carrefour"})[0]
    assert missed == "Rapport T1 2026-2027 du Carrefour : échéance dépassée"


def test_the_inbox_content_is_the_emails_text_without_its_frame() -> None:
    data = sample(NoticeKind.LOCK_EXCEPTION_REFUSED)
    content = RENDERER.content(NoticeKind.LOCK_EXCEPTION_REFUSED, "en", data, audience="organization")
    assert content.startswith("Your lock exception request for Q1 2026-2027")
    assert data["reason"] in content
    assert "Hello" not in content
    assert "GSI —" not in content


def test_a_rejected_intervention_is_named_by_what_is_known_of_it() -> None:
    assert formatting.intervention({"person_file_number": 7, "service_date": "2026-12-06", "code": "ACC",
                                    "code_fr": "Accueil", "code_en": "Reception"}, "fr") == (
        "Dossier D-000007, 6 décembre 2026, ACC (Accueil)"
    )  # fmt: skip
    assert (
        formatting.intervention({"service_date": "2026-12-06", "code": "ACC"}, "en")
        == "December 6, 2026, ACC"
    )
    assert formatting.intervention({"intervention_id": "x", "reason": "r"}, "fr") == "Une intervention"
