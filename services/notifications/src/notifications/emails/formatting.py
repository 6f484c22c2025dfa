"""How the e-mails write dates, numbers, quarters, codes and interventions, in French and in
English.

French as the Office québécois de la langue française writes it: « 1er juillet 2026 »,
« 15 h 30 », a space between thousands; English: "July 1, 2026", "3:30 PM", "1,234". An
intervention is named by its person's file number, its date and its code with its label —
never by its id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from gsi_contracts.registration import file_reference
from gsi_kernel.clock import MONTREAL
from gsi_kernel.fiscal import FiscalQuarter
from notifications.notices.messages import quarter_label

MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

SEVERITIES = {
    "error": {"fr": "erreur bloquante", "en": "blocking error"},
    "warning": {"fr": "avertissement", "en": "warning"},
}

CHECKS = {
    "C1": {
        "fr": "admissibilité de la personne et code permis par la convention",
        "en": "person eligible, code allowed by the agreement",
    },
    "C2": {
        "fr": "date dans le trimestre, ni future ni antérieure à l'inscription",
        "en": "date inside the quarter, not in the future nor before the registration",
    },
    "C3": {"fr": "champs obligatoires remplis", "en": "required fields complete"},
    "C4": {"fr": "doublons", "en": "duplicates"},
    "C5": {
        "fr": "plan d'action actif pour les suivis, régionalisations et référencements",
        "en": "active action plan for follow-ups, regionalization and referrals",
    },
    "C6": {
        "fr": "contraintes d'âge, d'unicité et de statut du catalogue",
        "en": "the catalogue's age, once-only and status constraints",
    },
    "C7": {"fr": "modification dans un trimestre verrouillé", "en": "change in a locked quarter"},
    "C8": {"fr": "volumes inhabituels", "en": "outlier volumes"},
}

# Québec's administrative regions: proper names, the same in both languages.
REGIONS = {
    "01": "Bas-Saint-Laurent", "02": "Saguenay–Lac-Saint-Jean", "03": "Capitale-Nationale",
    "04": "Mauricie", "05": "Estrie", "06": "Montréal", "07": "Outaouais",
    "08": "Abitibi-Témiscamingue", "09": "Côte-Nord", "10": "Nord-du-Québec",
    "11": "Gaspésie–Îles-de-la-Madeleine", "12": "Chaudière-Appalaches", "13": "Laval",
    "14": "Lanaudière", "15": "Laurentides", "16": "Montérégie", "17": "Centre-du-Québec",
}  # fmt: skip


def as_date(value: Any) -> date:
    """A date from a date, a datetime (its day in Montréal) or an ISO string of either."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return _montreal(value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")


def long_date(value: Any, lang: str) -> str:
    day = as_date(value)
    month = MONTHS[lang][day.month - 1]
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def date_time(value: Any, lang: str) -> str:
    """A date and the time of day in Montréal."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(instant, datetime):
        raise TypeError(f"not a date and time: {value!r}")
    local = _montreal(instant)
    if lang == "fr":
        return f"{long_date(local.date(), lang)} à {local.hour} h {local.minute:02d}"
    hour = local.hour % 12 or 12
    return f"{long_date(local.date(), lang)} at {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def number(value: Any, lang: str) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"not a whole number: {value!r}")
    grouped = f"{value:,}"
    return grouped.replace(",", "\u00a0") if lang == "fr" else grouped


def plural(count: Any, one: str, other: str, lang: str) -> str:
    """French counts 0 and 1 as singular, English only 1."""
    if not isinstance(count, int):
        raise TypeError(f"not a count: {count!r}")
    singular = abs(count) <= 1 if lang == "fr" else abs(count) == 1
    return one if singular else other


def quarter(value: Any, lang: str) -> str:
    """``2026-2027-Q1`` → « T1 2026-2027 » / "Q1 2026-2027"."""
    return quarter_label(str(value), lang)


def quarter_period(value: Any, lang: str) -> str:
    """The quarter's days: « du 1er avril au 30 juin 2026 » / "April 1 to June 30, 2026"."""
    parsed = FiscalQuarter.parse(str(value))
    first, last = parsed.first_day, parsed.last_day
    if lang == "fr":
        start = long_date(first, lang)
        start = start if first.year != last.year else start.rsplit(" ", 1)[0]
        return f"du {start} au {long_date(last, lang)}"
    start = long_date(first, lang)
    start = start if first.year != last.year else start.rsplit(",", 1)[0]
    return f"{start} to {long_date(last, lang)}"


def severity(value: Any, lang: str) -> str:
    return SEVERITIES.get(str(value), {}).get(lang, str(value))


def check_title(value: Any, lang: str) -> str:
    return CHECKS.get(str(value), {}).get(lang, "")


def intervention(value: Any, lang: str) -> str:
    """A rejected intervention as people know it: « Dossier D-000123, 6 décembre 2026, PDI
    (Premières démarches d'installation) » / "File D-000123, December 6, 2026, PDI (First
    settlement steps)" — what of it is known (rejections published before carry nothing of it)."""
    if not isinstance(value, dict):
        raise TypeError(f"not an intervention: {value!r}")
    parts = []
    if value.get("person_file_number"):
        parts.append(f"{'Dossier' if lang == 'fr' else 'File'} {file_reference(value['person_file_number'])}")
    if value.get("service_date"):
        parts.append(long_date(value["service_date"], lang))
    if value.get("code"):
        label = value.get(f"code_{lang}")
        parts.append(f"{value['code']} ({label})" if label else str(value["code"]))
    return ", ".join(parts) or ("Une intervention" if lang == "fr" else "An intervention")


def region(value: Any) -> str:
    code = str(value)
    name = REGIONS.get(code)
    return f"{name} ({code})" if name else code


def _montreal(instant: datetime) -> datetime:
    return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(MONTREAL)
