"""How to fix each conformity finding, in French and English: what a staff member does so that
the intervention is no longer flagged (or, for a warning, what to make sure of).

The finding's own text (``gsi_conformity.messages``) says what is wrong, with its figures; this
says what to do about it. Keyed by the finding's code (``C5.no_active_plan``); the eligibility
failures (``C1.E1``…``C1.E8``) by their rule. A code without its own remedy (a catalogue or a
rule set published later may bring new ones) gets the check's general advice, then a generic one.
"""

from __future__ import annotations

Remedy = tuple[str, str]  # (fr, en)

REMEDIES: dict[str, Remedy] = {
    "C1.unknown_person": (
        "Inscrivez d'abord la personne, puis déclarez l'intervention.",
        "Register the person first, then declare the intervention.",
    ),
    "C1.no_rule_set": (
        "Vérifiez la date du service ; si elle est juste, signalez-le au ministère.",
        "Check the service date; if it is right, tell the ministry.",
    ),
    "C1.code_not_in_volet": (
        "Choisissez l'un des volets permis pour ce code, ou un autre code.",
        "Choose one of the volets allowed for this code, or another code.",
    ),
    "C1.volet_not_in_agreement": (
        "Choisissez un volet de la convention de votre organisme.",
        "Choose a volet of your organization's agreement.",
    ),
    "C1.E1": (
        "Si la personne habite au Québec, inscrivez son adresse dans son dossier.",
        "If the person lives in Québec, enter their address in their file.",
    ),
    "C1.E2": (
        "Vérifiez le statut d'immigration inscrit au dossier de la personne et corrigez-le s'il a changé.",
        "Check the immigration status in the person's file and correct it if it has changed.",
    ),
    "C1.E3": (
        "Choisissez un volet offert au statut de la personne, ou corrigez son statut dans son dossier.",
        "Choose a volet open to the person's status, or correct their status in their file.",
    ),
    "C1.E4": (
        "Vérifiez la date d'admission inscrite au dossier ; après ce délai, ce volet ne peut plus "
        "être offert à la personne.",
        "Check the admission date in the file; after this period, the volet can no longer be "
        "offered to the person.",
    ),
    "C1.E5": (
        "Vérifiez la date de naissance de la personne, ou choisissez un service offert à son âge.",
        "Check the person's birth date, or choose a service open to their age.",
    ),
    "C1.E6": (
        "Inscrivez le statut actuel de la personne (son nouveau document) dans son dossier.",
        "Enter the person's current status (their new document) in their file.",
    ),
    "C1.E7": (
        "Vérifiez la date de citoyenneté inscrite au dossier ; après la période de transition, "
        "ce service ne peut plus être déclaré.",
        "Check the citizenship date in the file; after the transition window, this service can "
        "no longer be declared.",
    ),
    "C1.E8": (
        "Le dossier est peut-être un doublon : un administrateur doit le vérifier (fusionner ou écarter).",
        "The file may be a duplicate: an administrator must review it (merge or dismiss).",
    ),
    "C2.outside_quarter": (
        "Corrigez la date du service : elle doit tomber dans le trimestre déclaré.",
        "Correct the service date: it must fall in the quarter being reported.",
    ),
    "C2.future": (
        "Entrez la date à laquelle le service a eu lieu (aujourd'hui ou avant).",
        "Enter the date the service took place (today or earlier).",
    ),
    "C2.before_registration": (
        "Corrigez la date du service : elle ne peut précéder l'inscription de la personne.",
        "Correct the service date: it cannot be before the person's registration.",
    ),
    "C3.no_catalogue": (
        "Vérifiez la date du service : aucun catalogue n'était en vigueur ce jour-là.",
        "Check the service date: no catalogue was in force that day.",
    ),
    "C3.unknown_code": (
        "Choisissez un code du catalogue en vigueur à la date du service.",
        "Choose a code of the catalogue in force on the service date.",
    ),
    "C3.duration_minutes": (
        "Entrez la durée du service, en minutes.",
        "Enter the service's duration, in minutes.",
    ),
    "C3.staff_member": (
        "Indiquez l'intervenant·e qui a offert le service.",
        "Enter the staff member who gave the service.",
    ),
    "C3.target_organization": (
        "Indiquez l'organisme vers lequel la personne est référée.",
        "Enter the organization the person is referred to.",
    ),
    "C3.referral_reason": (
        "Indiquez le motif de la référence.",
        "Enter the reason for the referral.",
    ),
    "C3.mode": (
        "Choisissez le mode que ce code exige ; une activité de groupe se déclare comme séance de "
        "groupe, avec sa liste de présence.",
        "Choose the mode this code requires; a group activity is declared as a group session, "
        "with its attendance list.",
    ),
    "C4.duplicate": (
        "Ne déclarez pas deux fois le même service : annulez le doublon, ou corrigez le code ou la "
        "date s'il s'agit d'un autre service.",
        "Do not declare the same service twice: cancel the duplicate, or correct the code or the "
        "date if it is another service.",
    ),
    "C4.same_day_elsewhere": (
        "Avertissement : assurez-vous auprès de la personne que ce service n'a pas déjà été rendu "
        "ailleurs ce jour-là.",
        "Warning: make sure with the person that this service was not already given elsewhere that day.",
    ),
    "C5.no_active_plan": (
        "Créez un plan d'action pour la personne, ouvert au plus tard à la date du service, ou "
        "choisissez un code qui n'en exige pas.",
        "Create an action plan for the person, opened on or before the service date, or choose "
        "a code that does not need one.",
    ),
    "C6.min_age": (
        "Vérifiez la date de naissance de la personne, ou choisissez un service offert à son âge.",
        "Check the person's birth date, or choose a service open to their age.",
    ),
    "C6.once_per_person": (
        "Ce service ne se donne qu'une fois par personne : choisissez un autre code (un suivi, par exemple).",
        "This service is given once per person only: choose another code (a follow-up, for example).",
    ),
    "C6.once_per_year": (
        "Ce service se donne au plus une fois en 365 jours : vérifiez la date, ou choisissez un autre code.",
        "This service is given at most once in 365 days: check the date, or choose another code.",
    ),
    "C6.status_not_allowed": (
        "Vérifiez le statut inscrit au dossier de la personne, ou choisissez un code offert à son statut.",
        "Check the status in the person's file, or choose a code open to their status.",
    ),
    "C6.region_excluded": (
        "Vérifiez l'adresse de la personne dans son dossier, ou choisissez un code offert dans sa région.",
        "Check the person's address in their file, or choose a code offered in their region.",
    ),
    "C7.locked_quarter": (
        "Le trimestre est verrouillé : demandez une exception au verrouillage avant de le modifier.",
        "The quarter is locked: request a lock exception before changing it.",
    ),
    "C8.person_day_volume": (
        "Avertissement : vérifiez que chaque intervention de la journée a bien eu lieu (pas de doublon).",
        "Warning: check that each of the day's interventions did take place (no duplicate).",
    ),
    "C8.staff_day_volume": (
        "Avertissement : vérifiez le nom de l'intervenant·e et ses interventions de la journée.",
        "Warning: check the staff member's name and their interventions of the day.",
    ),
    "C8.long_duration": (
        "Avertissement : vérifiez la durée ; elle s'exprime en minutes, pas en heures.",
        "Warning: check the duration; it is in minutes, not hours.",
    ),
}

# A check's general advice, for a code of it without its own remedy.
BY_CHECK: dict[str, Remedy] = {
    "C1": (
        "Vérifiez l'admissibilité de la personne dans son dossier, le volet et le code.",
        "Check the person's eligibility in their file, the volet and the code.",
    ),
    "C2": ("Vérifiez la date du service.", "Check the service date."),
    "C3": ("Vérifiez le code et les champs qu'il exige.", "Check the code and the fields it requires."),
    "C4": ("Vérifiez qu'il ne s'agit pas d'un doublon.", "Check that it is not a duplicate."),
    "C5": (
        "Créez un plan d'action pour la personne, ou choisissez un autre code.",
        "Create an action plan for the person, or choose another code.",
    ),
    "C6": (
        "Vérifiez les conditions du code dans le catalogue, ou choisissez un autre code.",
        "Check the code's conditions in the catalogue, or choose another code.",
    ),
    "C7": (
        "Demandez une exception au verrouillage du trimestre.",
        "Request a lock exception for the quarter.",
    ),
    "C8": (
        "Avertissement : vérifiez les volumes et la durée.",
        "Warning: check the volumes and the duration.",
    ),
}
GENERIC: Remedy = (
    "Corrigez l'intervention d'après le message, ou annulez-la si elle n'a pas eu lieu.",
    "Correct the intervention as the message says, or cancel it if it did not take place.",
)


def remedy(code: str) -> Remedy:
    """How to fix the finding ``code``: its own remedy, else its check's, else a generic one."""
    return REMEDIES.get(code) or BY_CHECK.get(code[:2]) or GENERIC
