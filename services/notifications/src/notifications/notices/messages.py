"""The short title of each kind of notice, in French and English: the inbox line. The e-mail
subjects and bodies — and the inbox's content — are templates (``notifications/templates``).
A name after « de » agrees with it (:func:`notifications.notices.french.de`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gsi_kernel.fiscal import FiscalQuarter
from notifications.notices.french import de
from notifications.notices.values import NoticeKind

_TITLES: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.DEADLINE_REMINDER: (
        "Rapport {quarter} : échéance dans {days_left} jour(s)",
        "Report {quarter}: due in {days_left} day(s)",
    ),
    NoticeKind.DEADLINE_MISSED: (
        "Rapport {quarter} {de_organization} : échéance dépassée",
        "Report {quarter} of {organization_name}: deadline missed",
    ),
    NoticeKind.DEADLINE_ESCALATION: (
        "Rapport {quarter} {de_organization} : toujours non soumis ({days_late} jours de retard)",
        "Report {quarter} of {organization_name}: still not submitted ({days_late} days late)",
    ),
    NoticeKind.CONTROL_REMINDER: (
        "Contrôle du rapport {quarter} {de_organization} à terminer",
        "Control of the {quarter} report of {organization_name} to complete",
    ),
    NoticeKind.RESUBMISSION_REMINDER: (
        "Rapport {quarter} refusé : resoumission dans {days_left} jour(s)",
        "Rejected report {quarter}: resubmission due in {days_left} day(s)",
    ),
    NoticeKind.CHECKPOINT_DUE: (
        "Suivi de régionalisation : jalon de {months} mois à documenter",
        "Regionalization follow-up: {months}-month checkpoint to record",
    ),
    NoticeKind.REPORT_SUBMITTED: (
        "Rapport {quarter} soumis par {organization_name}",
        "Report {quarter} submitted by {organization_name}",
    ),
    NoticeKind.REPORT_ACCEPTED: ("Rapport {quarter} accepté", "Report {quarter} accepted"),
    NoticeKind.REPORT_REJECTED: (
        "Rapport {quarter} refusé : corrections demandées",
        "Report {quarter} rejected: corrections requested",
    ),
    NoticeKind.QUARTER_LOCKED: ("Trimestre {quarter} verrouillé", "Quarter {quarter} locked"),
    NoticeKind.QUARTER_UNLOCKED: ("Trimestre {quarter} déverrouillé", "Quarter {quarter} unlocked"),
    NoticeKind.LOCK_EXCEPTION_GRANTED: (
        "Exception au verrouillage accordée ({quarter})",
        "Lock exception granted ({quarter})",
    ),
    NoticeKind.LOCK_EXCEPTION_REFUSED: (
        "Exception au verrouillage refusée ({quarter})",
        "Lock exception refused ({quarter})",
    ),
    NoticeKind.IMPORT_FINISHED: (
        "Importation terminée : {file_name}",
        "Import finished: {file_name}",
    ),
}


def quarter_label(value: str, language: str) -> str:
    """``2026-2027-Q1`` → « T1 2026-2027 » / "Q1 2026-2027"."""
    parsed = FiscalQuarter.parse(value)
    years = f"{parsed.start_year}-{parsed.start_year + 1}"
    return f"T{parsed.number} {years}" if language == "fr" else f"Q{parsed.number} {years}"


def titles(kind: NoticeKind, quarter: str | None, data: Mapping[str, Any]) -> tuple[str, str]:
    """(French, English) title of a notice of ``kind`` with its template data."""
    french, english = _TITLES[kind]
    name = str(data.get("organization_name", ""))
    fr = {**data, "quarter": quarter_label(quarter, "fr") if quarter else "", "de_organization": de(name)}
    en = {**data, "quarter": quarter_label(quarter, "en") if quarter else ""}
    return french.format_map(fr), english.format_map(en)
