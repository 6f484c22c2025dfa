"""HTTP resource: check a declaration before saving it (nothing is recorded)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.declarations.schemas import DeclareBody, FlagView
from interventions.deps import ChecksDep

router = authenticated_router(prefix="/interventions", tags=["interventions"])


class DeclarationCheck(BaseModel):
    """``flagged``: the declaration would be recorded with ``flags``; ``clean``: without any."""

    outcome: Literal["flagged", "clean"]
    flags: list[FlagView]
    errors: int
    warnings: int


@router.post("/checks", response_model=DeclarationCheck)
async def check_declaration(body: DeclareBody, principal: OrgUser, checks: ChecksDep) -> DeclarationCheck:
    """Vérifier une déclaration sans l'enregistrer : les signalements qu'elle recevrait, avec
    comment les corriger, ou le refus même de la déclaration (même statut, même code) / Check a
    declaration without recording it: the flags it would get, with how to fix them, or the
    declaration's very refusal (same status, same code)."""
    organization = own_organization(principal)
    details = body.to_details()
    found = await run_short(lambda: checks.flags(body.person_id, details, organization_id=organization))
    flags = [FlagView(**f.model_dump()) for f in found]
    return DeclarationCheck(
        outcome="flagged" if flags else "clean",
        flags=flags,
        errors=sum(f.severity == "error" for f in flags),
        warnings=sum(f.severity == "warning" for f in flags),
    )
