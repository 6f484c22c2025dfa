"""Sample data of each kind of notice, as the notices carry it: for template previews, and for
the tests that render every kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gsi_kernel.errors import InvalidInput, NotFound
from notifications.emails.templates import RenderedEmail, Renderer, TemplateError
from notifications.notices.values import Audience, Language, NoticeKind

ORGANIZATION = {"organization_name": "Carrefour d'intégration de l'Estrie", "quarter": "2026-2027-Q1"}

SAMPLES: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.DEADLINE_REMINDER: {"deadline": "2026-07-30", "days_left": 7},
    NoticeKind.DEADLINE_MISSED: {"deadline": "2026-07-30"},
    NoticeKind.DEADLINE_ESCALATION: {"deadline": "2026-07-30", "days_late": 7},
    NoticeKind.CONTROL_REMINDER: {
        "submitted_on": "2026-07-28",
        "control_due": "2026-08-27",
        "submission_version": 1,
    },
    NoticeKind.RESUBMISSION_REMINDER: {
        "resubmission_due": "2026-09-01",
        "rejection_number": 1,
        "days_left": 3,
    },
    NoticeKind.CHECKPOINT_DUE: {
        "follow_up_id": "5d0c2a9e-8f4b-4c61-9a7e-3b2f1d6c8e40",
        "person_ref": "2f6c9a1e-4b7d-4e2a-9c3f-8d1e5a7b6c90",  # the person's id: never shown
        "person_file_number": 4521,
        "months": 6,
        "due_on": "2026-08-15",
        "destination_region": "05",
    },
    NoticeKind.REPORT_SUBMITTED: {
        "submission_version": 1,
        "interventions_count": 1842,
        "persons_count": 415,
        "errors": 0,
        "warnings": 12,
        "late": False,
        "control_due": "2026-08-27",
    },
    NoticeKind.REPORT_ACCEPTED: {"submission_version": 2, "override_reason": None},
    NoticeKind.REPORT_REJECTED: {
        "submission_version": 1,
        "rejection_number": 1,
        "reason": "Des suivis (SUI) sont déclarés sans plan d'action actif et un doublon reste à corriger.",
        "items": [
            {
                "intervention_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                "reason": "Suivi (SUI) sans plan d'action actif à la date du service",
                "person_file_number": 4521,
                "service_date": "2026-05-12",
                "code": "SUI",
                "code_fr": "Suivi",
                "code_en": "Follow-up",
            },
            {
                "intervention_id": "9c1e5d7a-2b4f-4e8a-b6c3-1d9f0a7e5b22",
                "reason": "Doublon exact de l'intervention du 12 mai",
                "person_file_number": 4498,
                "service_date": "2026-05-12",
                "code": "ACC",
                "code_fr": "Accueil",
                "code_en": "Reception",
            },
        ],
        "failed_checks": [
            {"check": "C5", "severity": "error", "code": "C5.no_active_plan", "count": 14},
            {"check": "C4", "severity": "error", "code": "C4.exact_duplicate", "count": 1},
            {"check": "C8", "severity": "warning", "code": "C8.outlier_per_staff", "count": 3},
        ],
        "resubmission_due": "2026-09-01",
    },
    NoticeKind.QUARTER_LOCKED: {},
    NoticeKind.QUARTER_UNLOCKED: {
        "reason": "Correction des statuts d'immigration confirmés par IRCC après l'acceptation du rapport",
    },
    NoticeKind.LOCK_EXCEPTION_GRANTED: {
        "exception_id": "e3a1b2c4-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "valid_until": "2026-10-15",
    },
    NoticeKind.LOCK_EXCEPTION_REFUSED: {
        "exception_id": "e3a1b2c4-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "reason": "Les corrections demandées ne touchent pas une intervention du trimestre verrouillé.",
    },
    NoticeKind.IMPORT_FINISHED: {
        "import_id": "a7d4c2e1-6b5f-4a3e-9d8c-7b6a5f4e3d2c",
        "file_name": "interventions-juillet.csv",
        "created": 1250,
        "unchanged": 30,
        "rejected": 4,
        "quarter": None,
    },
}


KINDS = frozenset(k.value for k in NoticeKind)


def sample(kind: NoticeKind) -> dict[str, Any]:
    """The sample data of ``kind``: what a notice of that kind carries, with made-up values."""
    return {**ORGANIZATION, **SAMPLES[kind]}


def preview(
    renderer: Renderer,
    kind: str,
    language: Language,
    data: Mapping[str, Any] | None = None,
    *,
    recipient_name: str | None = None,
    audience: Audience = Audience.ORGANIZATION,
) -> RenderedEmail:
    """The e-mail of a ``kind`` of notice with ``data`` (default: the kind's sample)."""
    if kind not in KINDS or not renderer.knows(kind):
        raise NotFound(
            "template.unknown_kind",
            f"Aucun modèle de courriel pour le type d'avis « {kind} ».",
            f"No e-mail template for the notice kind '{kind}'.",
            details={"kinds": [str(k) for k in NoticeKind]},
        )
    values = sample(NoticeKind(kind)) if data is None else data
    try:
        return renderer.render(kind, language, values, recipient_name=recipient_name, audience=audience)
    except TemplateError as exc:
        raise InvalidInput(
            "template.invalid_data",
            "Les données ne conviennent pas au modèle de courriel : une valeur manque ou n'a pas le "
            "bon type.",
            "The data does not fit the e-mail template: a value is missing or has the wrong type.",
            details={"error": exc.detail},
        ) from exc
