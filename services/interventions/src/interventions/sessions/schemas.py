"""Request and response bodies of the group-sessions API: a session is declared with the details
of a declaration (``DetailsBody``) plus its attendees."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, MaybeLine, label
from interventions.declarations.schemas import EXAMPLE, DetailsBody


class SessionBody(DetailsBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE,
                    "code": "SIC",
                    "mode": "group",
                    "volet": "V2",
                    "title": "Séance d'information — vivre à Sherbrooke",
                    "attendees": [
                        "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                        "5d1e9a7c-2b8f-4c3d-8e6f-1a2b3c4d5e6f",
                    ],
                }
            ]
        },
    )

    title: MaybeLine = Field(default=None, max_length=200)
    attendees: list[Line] = Field(
        min_length=1,
        max_length=500,
        description="Personnes présentes / Attendees",
        json_schema_extra=label("Personnes présentes", "Attendees"),
    )


class SessionHeld(BaseModel):
    session_id: str
    interventions: dict[str, str]  # person id -> intervention id
