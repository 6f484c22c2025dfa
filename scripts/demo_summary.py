"""What the demo seed prints once done: what was seeded and which token does what, in French
then in English (from the reports as the services answer them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scripts.demo_plan import ORGANIZATIONS, QUEBEC, REVIEWER, SESSIONS, Person

if TYPE_CHECKING:
    from scripts.demo import Demo

STATES_FR = {"draft": "brouillon", "submitted": "soumis", "under_control": "en contrôle",
             "rejected": "refusé", "accepted": "accepté", "locked": "verrouillé"}  # fmt: skip


STATE_KEYS = {org.removeprefix("org-") for org in ORGANIZATIONS}


def summary(demo: Demo, people: list[Person], reports: dict[str, dict[str, Any]], seconds: float) -> str:
    """What was seeded and which token does what, in French then in English."""
    n = {
        "q": demo.quarter,
        "year": demo.year,
        "last_day": demo.quarter.last_day.isoformat(),
        "current": demo.current,
        "draft": reports["current"]["state"],
        "opens": reports["current"]["submission_opens_on"],
        "s": f"{seconds:.0f}",
        "persons": len(people) + 1,
        "acts": sum(len(p.acts) for p in people),
        "plans": sum(p.plan for p in people),
        "sessions": len(SESSIONS),
        "errors": reports[QUEBEC]["errors"],
        "warnings": reports[QUEBEC]["warnings"],
        **{org.removeprefix("org-"): reports[org]["state"] for org in ORGANIZATIONS},
    }
    fr = {
        **n,
        **{k: STATES_FR.get(str(v), v) for k, v in n.items() if k in {*STATE_KEYS, "draft"}},
    }
    dup = demo.duplicate_flagged
    return "\n".join(["", *_french(fr, dup), "", *_english(n, dup), ""])


def _french(n: dict[str, Any], duplicate: bool) -> list[str]:
    return [
        f"Données de démonstration ({n['s']} s) — exercice {n['year']}, trimestre {n['q']} :",
        "  4 organismes (Montréal 06, Sherbrooke 05, Québec 03, Gatineau 07) avec contacts, convention",
        "  et cibles,",
        f"  tous assignés à {REVIEWER} ; {n['persons']} personnes, {n['acts']} interventions,",
        f"  {n['plans']} plans d'action, {n['sessions']} séances de groupe"
        + (" ; un doublon probable (Omar Diallo) attend admin@mifi." if duplicate else "."),
        f"  Rapports {n['q']} (trimestre terminé le {n['last_day']}) :",
        f"    Québec      {n['quebec']} : {n['errors']} erreurs (C1, C4, C5) et "
        f"{n['warnings']} avertissement (C8),",
        "                dans la file de nadia@mifi (GET /reports/queue)",
        f"    Montréal    {n['montreal']} : 2 suivis sans plan (C5) ; isabelle@org-montreal répond, resoumet",
        f"    Sherbrooke  {n['sherbrooke']}, accepté sans erreur : karine@org-sherbrooke y reçoit 423 ;",
        "                sa demande d'exception au verrouillage attend nadia@mifi",
        f"    Gatineau    {n['gatineau']} sans erreur, à verrouiller par nadia@mifi",
        f"  Rapports {n['current']} (trimestre en cours) : {n['draft']} ;"
        f" la soumission ouvre le {n['opens']}.",
        "  Jetons : karine@org-sherbrooke et marc@org-montreal inscrivent et déclarent ; sophie@,",
        "  isabelle@, julie@ et chantal@ (gestion) vérifient et soumettent ; nadia@mifi contrôle ;",
        "  admin@mifi administre.",
    ]


def _english(n: dict[str, Any], duplicate: bool) -> list[str]:
    return [
        f"Demo data ({n['s']} s) — fiscal year {n['year']}, quarter {n['q']}:",
        "  4 organizations (Montréal 06, Sherbrooke 05, Québec 03, Gatineau 07) with contacts, agreement",
        "  and targets,",
        f"  all assigned to {REVIEWER}; {n['persons']} persons, {n['acts']} interventions,",
        f"  {n['plans']} action plans, {n['sessions']} group sessions"
        + ("; a probable duplicate (Omar Diallo) awaits admin@mifi." if duplicate else "."),
        f"  Reports {n['q']} (the quarter ended on {n['last_day']}):",
        f"    Québec      {n['quebec']}: {n['errors']} errors (C1, C4, C5), {n['warnings']} warning (C8),",
        "                in nadia@mifi's queue (GET /reports/queue)",
        f"    Montréal    {n['montreal']}: 2 follow-ups without a plan (C5); "
        "isabelle@org-montreal answers, resubmits",
        f"    Sherbrooke  {n['sherbrooke']}, accepted with no error: karine@org-sherbrooke gets 423 in it;",
        "                her lock-exception request awaits nadia@mifi",
        f"    Gatineau    {n['gatineau']} with no error, for nadia@mifi to lock",
        f"  Reports {n['current']} (the current quarter): {n['draft']}; submission opens on {n['opens']}.",
        "  Tokens: karine@org-sherbrooke and marc@org-montreal register and declare; sophie@,",
        "  isabelle@, julie@ and chantal@ (managers) verify and submit; nadia@mifi controls;",
        "  admin@mifi administers.",
    ]
