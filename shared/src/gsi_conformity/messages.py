"""Every finding code with its severity and its French and English text.

Templates use ``{placeholder}`` fields filled from the finding's details (lists are joined,
None shows as "—") plus per-language values: ``label`` (the code's label in the catalogue),
``status`` and ``allowed`` (status labels of the eligibility rule set), ``source`` (C6: the
earlier intervention, or "another organization" — whose ids are never shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gsi_conformity.model import Finding, Severity

E: Severity = "error"
W: Severity = "warning"

# code → (severity, fr, en). C1.E1…C1.E8 are not here: they carry the eligibility engine's text.
TEMPLATES: dict[str, tuple[Severity, str, str]] = {
    "C1.unknown_person": (
        E,
        "Personne inconnue : {person_id} n'est pas inscrite",
        "Unknown person: {person_id} is not registered",
    ),
    "C1.no_rule_set": (
        E,
        "Aucune règle d'admissibilité du programme {program} en vigueur le {service_date}",
        "No {program} eligibility rules in force on {service_date}",
    ),
    "C1.code_not_in_volet": (
        E,
        "{label} ({code}) n'est pas offert dans le volet {volet} (volets permis : {volets})",
        "{label} ({code}) is not offered in volet {volet} (allowed volets: {volets})",
    ),
    "C1.volet_not_in_agreement": (
        E,
        "Le volet {volet} ne fait pas partie de la convention de l'organisme "
        "(volets de la convention : {volets})",
        "Volet {volet} is not part of the organization's agreement (agreement volets: {volets})",
    ),
    "C2.outside_quarter": (
        E,
        "Date de service {service_date} hors du trimestre {quarter} (du {first_day} au {last_day})",
        "Service date {service_date} is outside quarter {quarter} ({first_day} to {last_day})",
    ),
    "C2.future": (
        E,
        "Date de service {service_date} dans le futur (aujourd'hui : {today})",
        "Service date {service_date} is in the future (today: {today})",
    ),
    "C2.before_registration": (
        E,
        "Date de service {service_date} antérieure à l'inscription de la personne le {registered_on}",
        "Service date {service_date} is before the person's registration on {registered_on}",
    ),
    "C3.no_catalogue": (
        E,
        "Aucun catalogue d'interventions du programme {program} en vigueur le {service_date}",
        "No {program} intervention catalogue in force on {service_date}",
    ),
    "C3.unknown_code": (
        E,
        "Code d'intervention inconnu : {code} (catalogue {program} {version})",
        "Unknown intervention code: {code} ({program} catalogue {version})",
    ),
    "C3.duration_minutes": (
        E,
        "{label} ({code}) : durée manquante ou nulle, une durée en minutes supérieure à 0 est requise",
        "{label} ({code}): missing or zero duration, a duration in minutes greater than 0 is required",
    ),
    "C3.staff_member": (
        E,
        "{label} ({code}) : intervenant·e manquant·e",
        "{label} ({code}): missing staff member",
    ),
    "C3.target_organization": (
        E,
        "{label} ({code}) sans organisme de destination",
        "{label} ({code}) without a target organization",
    ),
    "C3.referral_reason": (
        E,
        "{label} ({code}) sans motif de référencement",
        "{label} ({code}) without a referral reason",
    ),
    "C3.mode": (
        E,
        "{label} ({code}) : mode « {mode} » invalide, attendu : {expected}",
        "{label} ({code}): invalid mode “{mode}”, expected: {expected}",
    ),
    "C4.duplicate": (
        E,
        "Doublon exact de l'intervention {duplicate_of} : même personne, même code ({code}), "
        "même date ({service_date}) et même organisme",
        "Exact duplicate of intervention {duplicate_of}: same person, code ({code}), "
        "date ({service_date}) and organization",
    ),
    "C4.same_day_elsewhere": (
        W,
        "{label} ({code}) aussi déclaré pour cette personne le {service_date} par un autre organisme",
        "{label} ({code}) also declared for this person on {service_date} by another organization",
    ),
    "C5.no_active_plan": (
        E,
        "{label} ({code}) sans plan d'action actif le {service_date}",
        "{label} ({code}) without an active action plan on {service_date}",
    ),
    "C6.min_age": (
        E,
        "{label} ({code}) est réservé aux personnes de {min_age} ans ou plus : {age} ans le {service_date}",
        "{label} ({code}) is for persons aged {min_age} or over: aged {age} on {service_date}",
    ),
    "C6.once_per_person": (
        E,
        "{label} ({code}) ne peut être offert qu'une fois par personne : déjà offert le {first_day} "
        "({source})",
        "{label} ({code}) can be given only once per person: already given on {first_day} ({source})",
    ),
    "C6.once_per_year": (
        E,
        "{label} ({code}) au plus une fois par période de 365 jours : déjà offert le {previous_day}, "
        "{days} jours avant ({source})",
        "{label} ({code}) at most once in any 365 days: already given on {previous_day}, "
        "{days} days earlier ({source})",
    ),
    "C6.status_not_allowed": (
        E,
        "{label} ({code}) est réservé aux statuts suivants : {allowed} (statut le {service_date} : {status})",
        "{label} ({code}) is reserved for: {allowed} (status on {service_date}: {status})",
    ),
    "C6.region_excluded": (
        E,
        "{label} ({code}) n'est pas offert aux personnes établies dans la région {region} "
        "(régions exclues : {regions})",
        "{label} ({code}) is not offered to persons settled in region {region} (excluded regions: {regions})",
    ),
    "C7.locked_quarter": (
        W,
        "Le trimestre {quarter} est verrouillé pour cet organisme : une demande de correction est nécessaire",
        "Quarter {quarter} is locked for this organization: a correction request is needed",
    ),
    "C8.person_day_volume": (
        W,
        "{count} interventions pour cette personne le {service_date} dans l'organisme (seuil : {limit})",
        "{count} interventions for this person on {service_date} at the organization (threshold: {limit})",
    ),
    "C8.staff_day_volume": (
        W,
        "{count} interventions de l'intervenant·e {staff_member} le {service_date} (seuil : {limit})",
        "{count} interventions by staff member {staff_member} on {service_date} (threshold: {limit})",
    ),
    "C8.long_duration": (
        W,
        "Durée inhabituelle : {duration_minutes} minutes (seuil : {limit})",
        "Unusual duration: {duration_minutes} minutes (threshold: {limit})",
    ),
}

NO_VALUES: Mapping[str, Any] = {}


def finding(
    intervention_id: str,
    code: str,
    details: dict[str, Any],
    fr: Mapping[str, Any] = NO_VALUES,
    en: Mapping[str, Any] = NO_VALUES,
) -> Finding:
    """The finding ``code`` for an intervention; ``fr`` / ``en`` add per-language values."""
    severity, fr_template, en_template = TEMPLATES[code]
    return Finding(
        intervention_id,
        code[:2],
        severity,
        code,
        _fill(fr_template, details, fr),
        _fill(en_template, details, en),
        details,
    )


def _fill(template: str, details: Mapping[str, Any], language: Mapping[str, Any]) -> str:
    values = {key: _text(value) for key, value in details.items()}
    values.update((key, _text(value)) for key, value in language.items())
    return template.format_map(values)


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(str(v) for v in value)
    return str(value)
