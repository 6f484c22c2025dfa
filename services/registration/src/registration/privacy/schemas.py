"""What the API answers about an erased person (Loi 25): the erasure record, and nothing else.

The export answers it as its document (200: what is held on the person is that record); every
other read or change of their file answers 410 Gone with it in ``details``. Search never lists
them; the access log keeps who read their file and when, which says nothing about them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gsi_kernel.http.errors import ErrorBody


class ErasureRecord(BaseModel):
    """All that is kept of an erased person: that they were erased, when, by whom and why."""

    person_id: str
    erased: Literal[True] = True
    erased_at: datetime
    erased_by: str = Field(
        description="Auteur : l'administrateur, ou system:retention / Who: the admin, or system:retention",
        examples=["admin@mifi"],
    )
    reason: str = Field(examples=["Demande d'effacement (Loi 25)"])


class PersonExport(BaseModel):
    """Everything held on a person who was not erased (Loi 25, art. 27)."""

    format: Literal["gsi.person-export.v1"]
    exported_at: datetime
    person: dict[str, Any]
    history: list[dict[str, Any]] = Field(description="Chaque événement, déchiffré / Every event, decrypted")
    documents: list[dict[str, Any]]
    access_log: list[dict[str, Any]]


class PersonGoneBody(ErrorBody):
    details: ErasureRecord  # type: ignore[assignment]  # narrower than ErrorBody's dict


GONE: dict[int | str, dict[str, Any]] = {
    410: {
        "model": PersonGoneBody,
        "description": "Personne effacée (Loi 25) : la trace de l'effacement seulement / "
        "Person erased (Loi 25): the erasure record only",
    }
}
