"""HTTP resource: preview of an e-mail template with sample or given data (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Document, Line, MaybeName, label
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from notifications.deps import RendererDep
from notifications.emails.samples import preview
from notifications.notices.values import Audience, Language

router = authenticated_router(prefix="/templates", tags=["modèles de courriels / e-mail templates"])

Kind = Annotated[
    Line, Path(max_length=60, description="Type d'avis / Notice kind", examples=["report_rejected"])
]


class PreviewBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"language": "fr"},
                {
                    "language": "en",
                    "recipient_name": "Sophie Tremblay",
                    "data": {
                        "organization_name": "Carrefour d'intégration de l'Estrie",
                        "quarter": "2026-2027-Q1",
                        "deadline": "2026-07-30",
                        "days_left": 7,
                    },
                },
            ]
        },
    )

    language: Language = "fr"
    data: Document | None = Field(
        default=None,
        description="Données de l'avis ; à défaut, l'exemple du type / The notice's data; by default, "
        "the kind's sample",
    )
    recipient_name: MaybeName = Field(
        default=None, max_length=200, json_schema_extra=label("Nom du destinataire", "Recipient's name")
    )
    audience: Audience = Field(
        default=Audience.ORGANIZATION, json_schema_extra=label("Destinataires", "Audience")
    )


class PreviewView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "deadline_reminder",
                    "language": "fr",
                    "subject": "Rappel : rapport T1 2026-2027 à soumettre d'ici le 30 juillet 2026",
                    "text": "Bonjour,\n\nLe rapport trimestriel de …",
                    "html": '<!DOCTYPE html>\n<html lang="fr">…',
                }
            ]
        }
    )

    kind: str
    language: str
    subject: str
    text: str
    html: str


@router.post("/{kind}/preview", response_model=PreviewView)
async def preview_template(
    kind: Kind, body: PreviewBody, _principal: Admin, renderer: RendererDep
) -> PreviewView:
    """Aperçu du courriel d'un type d'avis : objet, texte et HTML / Preview of a notice kind's
    e-mail: subject, plain text and HTML."""
    rendered = await run_short(
        lambda: preview(
            renderer,
            kind,
            body.language,
            body.data,
            recipient_name=body.recipient_name,
            audience=body.audience,
        )
    )
    return PreviewView(
        kind=kind, language=body.language, subject=rendered.subject, text=rendered.text, html=rendered.html
    )
