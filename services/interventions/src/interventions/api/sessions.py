"""HTTP resource: group sessions (one intervention per attendee)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, status

from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.context import context_for
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, authenticated_router
from interventions.api.schemas import SessionBody, SessionHeld
from interventions.app.sessions import GroupSessions

router = authenticated_router(prefix="/group-sessions", tags=["group sessions"])

SessionsDep = Annotated[GroupSessions, Depends(from_app_state("sessions", GroupSessions))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SessionHeld)
def hold_session(body: SessionBody, principal: OrgUser, sessions: SessionsDep) -> SessionHeld:
    """Déclarer une séance de groupe et sa liste de présence / Declare a group session and its attendance."""
    session_id, attendance = sessions.hold(
        body.attendees,
        body.to_details(),
        title=body.title,
        organization_id=own_organization(principal),
        context=context_for(principal),
    )
    return SessionHeld(session_id=session_id, interventions=attendance)
