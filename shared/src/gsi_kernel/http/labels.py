"""What a request field is called in French and English, for the messages that name it: the
field's own label (``Field(json_schema_extra=label(...))``, :func:`gsi_kernel.fields.label`),
else the common name below, shared by every service. A test checks that every field of every
route has one."""

from __future__ import annotations

from typing import Any

from gsi_kernel.http.request_fields import RequestField

COMMON: dict[str, tuple[str, str]] = {
    # who and what
    "person_id": ("Personne", "Person"),
    "organization_id": ("Organisme", "Organization"),
    "organization": ("Organisme", "Organization"),
    "assigned_organizations": ("Organismes assignés", "Assigned organizations"),
    "user_id": ("Utilisateur", "User"),
    "roles": ("Rôles", "Roles"),
    "reviewer_id": ("Conseillère ou conseiller", "Reviewer"),
    "staff_member": ("Intervenant·e", "Staff member"),
    "actor": ("Auteur", "Actor"),
    "name": ("Nom", "Name"),
    "email": ("Courriel", "E-mail"),
    "phone": ("Téléphone", "Phone"),
    "language": ("Langue", "Language"),
    # identifiers of objects
    "intervention_id": ("Intervention", "Intervention"),
    "intervention_ids": ("Interventions", "Interventions"),
    "import_id": ("Importation", "Import"),
    "session_id": ("Séance de groupe", "Group session"),
    "plan_id": ("Plan d'action", "Action plan"),
    "objective_id": ("Objectif", "Objective"),
    "service_id": ("Service prévu", "Planned service"),
    "follow_up_id": ("Suivi", "Follow-up"),
    "exception_id": ("Exception au verrouillage", "Lock exception"),
    "incident_id": ("Incident", "Incident"),
    "document_id": ("Pièce justificative", "Document"),
    "delivery_id": ("Envoi", "Delivery"),
    "notice_id": ("Avis", "Notice"),
    "parked_id": ("Événement mis de côté", "Parked event"),
    "projection": ("Vue", "Projection"),
    "stream_id": ("Flux", "Stream"),
    "object_id": ("Objet", "Object"),
    "event_type": ("Type d'événement", "Event type"),
    "version": ("Version", "Version"),
    # the program's vocabulary
    "region": ("Région", "Region"),
    "quarter": ("Trimestre", "Quarter"),
    "fiscal_year": ("Exercice financier", "Fiscal year"),
    "program": ("Programme", "Program"),
    "code": ("Code d'intervention", "Intervention code"),
    "volet": ("Volet", "Volet"),
    "volets": ("Volets", "Volets"),
    "check": ("Contrôle", "Check"),
    "severity": ("Gravité", "Severity"),
    "status": ("Statut", "Status"),
    "state": ("État", "State"),
    "purpose": ("Finalité", "Purpose"),
    "kind": ("Type", "Kind"),
    "mode": ("Mode", "Mode"),
    # words
    "reason": ("Motif", "Reason"),
    "note": ("Note", "Note"),
    "notes": ("Notes", "Notes"),
    "text": ("Texte", "Text"),
    "title": ("Titre", "Title"),
    "description": ("Description", "Description"),
    "details": ("Détails", "Details"),
    "data": ("Données", "Data"),
    "document": ("Document", "Document"),
    "items": ("Éléments", "Items"),
    "answers": ("Réponses", "Answers"),
    "answer": ("Réponse", "Answer"),
    "file": ("Fichier", "File"),
    "format": ("Format", "Format"),
    # dates and pages
    "date": ("Date", "Date"),
    "on": ("Date", "Date"),
    "since": ("Depuis", "Since"),
    "before": ("Avant le", "Before"),
    "from": ("Depuis", "From"),
    "to": ("Jusqu'à", "To"),
    "date_from": ("Depuis le", "From"),
    "date_to": ("Jusqu'au", "To"),
    "sort": ("Tri", "Sort order"),
    "offset": ("Décalage", "Offset"),
    "limit": ("Taille de la page", "Page size"),
    "ttl_minutes": ("Durée de validité (minutes)", "Lifetime (minutes)"),
}
BODY = ("Corps de la requête", "Request body")
PATH = ("Chemin de la requête", "Request path")


def label_of(field: RequestField | None, location: tuple[str, ...]) -> tuple[str, str]:
    """The field's own label, else the common one for its name, else its name as sent."""
    if field is not None:
        own = _own(field.info.json_schema_extra)
        if own is not None:
            return own
    names = [part for part in location[1:] if part and not part.startswith("[")]
    name = field.name if field is not None else (names[-1] if names else "")
    if name in COMMON:
        return COMMON[name]
    if not name:
        return BODY if location[:1] == ("body",) else PATH
    return f"« {name} »", f"'{name}'"


def has_label(field: RequestField) -> bool:
    return _own(field.info.json_schema_extra) is not None or field.name in COMMON


def _own(extra: Any) -> tuple[str, str] | None:
    found = extra.get("x-label") if isinstance(extra, dict) else None
    return (str(found["fr"]), str(found["en"])) if isinstance(found, dict) else None
