"""HTTP resource: changes to a person's file — status, address, consents, documents, and
eligibility on a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import File, Form, Query, Response, status

from gsi_kernel.fields import InterventionCode, Line, VoletCode
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from gsi_kernel.http.uploads import Upload
from registration.deps import ChangesDep
from registration.person_changes.app import MAX_DOCUMENT_BYTES, Address, Document, new_document_id
from registration.person_changes.schemas import (
    ChangeAddressRequest,
    ChangeStatusRequest,
    ConsentRequest,
    DocumentCreated,
    EligibilityCheckRequest,
    WithdrawConsentRequest,
)
from registration.persons.events import StatusPeriod
from registration.persons.queries import AccessPurpose, default_purpose
from registration.persons.schemas import EvaluationOut
from registration.persons.values import ConsentPurpose, DocumentKind
from registration.privacy.schemas import GONE

# An erased person's file answers 410 with the erasure record, to every read and change.
router = authenticated_router(prefix="/persons/{person_id}", tags=["personnes / persons"], responses=GONE)


@router.post("/status", status_code=status.HTTP_204_NO_CONTENT)
async def change_status(
    person_id: Line, body: ChangeStatusRequest, principal: OrgUser, changes: ChangesDep
) -> None:
    """Nouveau statut à partir d'une date (historique conservé) / New status from a date (history kept)."""
    period = StatusPeriod(**body.model_dump(exclude={"reason"}))
    await run_short(
        lambda: changes.change_status(person_id, period, body.reason, principal, context_for(principal))
    )


@router.post("/address", status_code=status.HTTP_204_NO_CONTENT)
async def change_address(
    person_id: Line, body: ChangeAddressRequest, principal: OrgUser, changes: ChangesDep
) -> None:
    """Changement d'adresse / Address change."""
    address = Address(body.region, body.street, body.municipality, body.postal_code)
    await run_short(
        lambda: changes.change_address(
            person_id, address, body.effective_from, body.reason, principal, context_for(principal)
        )
    )


@router.get("/eligibility", response_model=list[EvaluationOut])
async def check_eligibility(
    person_id: Line,
    principal: Reader,
    changes: ChangesDep,
    on: Annotated[
        date | None,
        Query(description="Date d'évaluation (défaut : aujourd'hui) / Evaluation date (default: today)"),
    ] = None,
    volet: VoletCode | None = None,
    code: Annotated[InterventionCode | None, Query(description="Code d'intervention (ex. OBI)")] = None,
) -> list[EvaluationOut]:
    """Admissibilité à une date (aujourd'hui à Montréal par défaut), avec les motifs de chaque
    règle échouée, sans rien enregistrer ; un code hors du catalogue en vigueur ce jour-là est
    refusé (422) / Eligibility on a date (today in Montréal by default), with each failed rule's
    reasons, recording nothing; a code outside the catalogue in force that day is refused (422)."""
    evaluations = await run_short(lambda: changes.evaluate(person_id, on, principal, volet, code))
    return [EvaluationOut.model_validate(e.to_dict()) for e in evaluations]


@router.post("/eligibility-checks", status_code=status.HTTP_201_CREATED, response_model=list[EvaluationOut])
async def record_eligibility_check(
    person_id: Line, body: EligibilityCheckRequest, principal: OrgUser, changes: ChangesDep
) -> list[EvaluationOut]:
    """Évaluer l'admissibilité à une date et l'enregistrer au dossier (événement
    ``EligibilityEvaluated``) / Evaluate eligibility on a date and record it on the file (an
    ``EligibilityEvaluated`` event)."""
    evaluations = await run_short(
        lambda: changes.record_evaluation(
            person_id, body.on, principal, context_for(principal), body.volet, body.code
        )
    )
    return [EvaluationOut.model_validate(e.to_dict()) for e in evaluations]


@router.post("/consents", status_code=status.HTTP_204_NO_CONTENT)
async def give_consent(
    person_id: Line, body: ConsentRequest, principal: OrgUser, changes: ChangesDep
) -> None:
    """Consentement pour une finalité / Consent for a purpose."""
    await run_short(lambda: changes.give_consent(person_id, body.purpose, principal, context_for(principal)))


@router.post("/consents/{purpose}/withdraw", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_consent(
    person_id: Line,
    purpose: ConsentPurpose,
    body: WithdrawConsentRequest,
    principal: OrgUser,
    changes: ChangesDep,
) -> None:
    """Retrait du consentement / Consent withdrawal."""
    await run_short(
        lambda: changes.withdraw_consent(person_id, purpose, body.reason, principal, context_for(principal))
    )


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=DocumentCreated)
async def attach_document(
    person_id: Line,
    principal: OrgUser,
    changes: ChangesDep,
    file: Annotated[Upload, File(description="PDF, PNG ou JPEG, 10 Mo au plus / at most 10 MB")],
    kind: Annotated[DocumentKind, Form()] = DocumentKind.STATUS_DOCUMENT,
) -> DocumentCreated:
    """Joindre une pièce justificative (chiffrée au repos) / Attach a proof document (encrypted at rest)."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)  # one byte more tells "too large"
    document = Document(new_document_id(), file.content_type or "", content, file.filename or "")
    context = context_for(principal)
    await in_thread(lambda: changes.attach_document(person_id, kind, document, principal, context))
    return DocumentCreated(document_id=document.document_id)


@router.get("/documents/{document_id}", response_class=Response)
async def read_document(
    person_id: Line,
    document_id: Line,
    principal: Reader,
    changes: ChangesDep,
    purpose: AccessPurpose | None = None,
) -> Response:
    """Télécharger une pièce (journalisé) / Download a document (logged)."""
    media_type, content = await in_thread(
        lambda: changes.read_document(
            person_id, document_id, principal, purpose or default_purpose(principal)
        )
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{document_id}"'},
    )
