"""HTTP resource: group sessions (one intervention per attendee)."""

from __future__ import annotations

from fastapi import status

from gsi_kernel.http.context import context_for
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.deps import SessionsDep
from interventions.sessions.schemas import SessionBody, SessionHeld

router = authenticated_router(prefix="/group-sessions", tags=["group sessions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SessionHeld)
async def hold_session(body: SessionBody, principal: OrgUser, sessions: SessionsDep) -> SessionHeld:
    """Déclarer une séance de groupe et sa liste de présence / Declare a group session and its attendance."""
    session_id, attendance = await run_short(
        lambda: sessions.hold(
            body.attendees,
            body.to_details(),
            title=body.title,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return SessionHeld(session_id=session_id, interventions=attendance)
