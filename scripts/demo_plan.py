"""What the demo seed creates, decided before any request (no I/O): the organizations and their
users, about 220 persons across statuses, each one's interventions and action plan, the group
sessions and a few deliberate non-conformities. :mod:`scripts.demo` sends it over HTTP.

Every intervention is dated the day the persons are registered (a service cannot predate the
registration): a day of the last quarter that has ended, whose reports the seed then takes
through the workflow (:func:`plan` is given that day).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

PR, GAR, PP, ASYLUM = (
    "permanent_resident",
    "government_assisted_refugee",
    "protected_person",
    "asylum_claimant",
)
PSR, WORKER, STUDENT = "privately_sponsored_refugee", "temporary_worker", "international_student"


@dataclass(frozen=True)
class Org:
    name: str
    region: str
    municipality: str
    persons: int
    volets: tuple[str, ...]
    statuses: dict[str, int]  # status -> weight
    staff: tuple[str, ...]  # staff members who declare: C8 warns past 40 interventions a day each
    contacts: tuple[tuple[str, str, str, str], ...]  # name, e-mail, role, notice language
    funding_dollars: int
    progress: float  # the share of the quarter's targets the seeded activity reaches


MONTREAL, SHERBROOKE, QUEBEC, GATINEAU = "org-montreal", "org-sherbrooke", "org-quebec", "org-gatineau"
ORGANIZATIONS: dict[str, Org] = {
    "org-montreal": Org(
        "Accueil Montréal", "06", "Montréal", 80, ("V1", "V2", "V4"),
        {PR: 4, PP: 2, ASYLUM: 3, WORKER: 1, STUDENT: 1, "citizen": 1, PSR: 1},
        ("marc", "isabelle", "hugo", "amelie", "samir", "lea", "thomas"),
        (("Isabelle Roy", "direction@accueil-montreal.example", "direction", "fr"),
         ("David Cohen", "david.cohen@accueil-montreal.example", "coordination", "en")),
        1_250_000, 0.74,
    ),
    "org-sherbrooke": Org(
        "Intégration Estrie", "05", "Sherbrooke", 65, ("V1", "V2", "V3"),
        {GAR: 4, PR: 3, PP: 1, PSR: 1, WORKER: 1, STUDENT: 1},
        ("karine", "sophie", "louis", "nathalie", "kevin", "emilie"),
        (("Sophie Tremblay", "sophie@integration-estrie.example", "coordination", "fr"),
         ("Marie Gagnon", "direction@integration-estrie.example", "direction", "fr")),
        850_000, 0.82,
    ),
    "org-quebec": Org(
        "Carrefour Québec", "03", "Québec", 55, ("V1", "V2", "V3"),
        {PR: 4, GAR: 1, PP: 1, WORKER: 2, STUDENT: 2, ASYLUM: 1, "citizen": 1},
        ("julie", "olivier", "chloe", "martin", "ines"),
        (("Julie Bouchard", "julie@carrefour-quebec.example", "coordination", "fr"),),
        620_000, 0.91,
    ),
    "org-gatineau": Org(
        "Intégration Outaouais", "07", "Gatineau", 25, ("V1", "V2", "V3"),
        {PR: 3, PP: 1, GAR: 1, WORKER: 1, STUDENT: 1},
        ("chantal", "mathieu", "yasmine"),
        (("Chantal Lefebvre", "direction@integration-outaouais.example", "direction", "fr"),),
        410_000, 0.88,
    ),
}  # fmt: skip
REVIEWER, ADMIN = "nadia@mifi", "admin@mifi"
USERS: list[dict[str, Any]] = [
    {"user_id": "karine@org-sherbrooke", "roles": ["org_staff"], "organization": "org-sherbrooke"},
    {"user_id": "sophie@org-sherbrooke", "roles": ["org_manager"], "organization": "org-sherbrooke"},
    {"user_id": "marc@org-montreal", "roles": ["org_staff"], "organization": "org-montreal"},
    {"user_id": "isabelle@org-montreal", "roles": ["org_manager"], "organization": "org-montreal"},
    {"user_id": "julie@org-quebec", "roles": ["org_manager"], "organization": "org-quebec"},
    {"user_id": "chantal@org-gatineau", "roles": ["org_manager"], "organization": "org-gatineau"},
    {"user_id": REVIEWER, "roles": ["ministry_reviewer"], "assigned_organizations": sorted(ORGANIZATIONS)},
    {"user_id": ADMIN, "roles": ["admin"]},
]


def manager_of(org: str) -> str:
    return str(
        next(u["user_id"] for u in USERS if u.get("organization") == org and "org_manager" in u["roles"])
    )


def clerk_of(org: str) -> str:
    """Who enters the organization's data: its staff user, else its manager."""
    return str(next(u["user_id"] for u in USERS if u.get("organization") == org))


FAMILY = ["Nguyen", "Traoré", "Martínez", "Okafor", "Kowalski", "Rahimi", "Silva", "Chen", "Mendoza"]
FAMILY += ["Benali", "Hakimi", "Tshibangu", "Petrenko", "Joseph", "Ramírez", "Ahmadi"]
GIVEN = {
    "F": ["Mariam", "Linh", "Ngozi", "Anna", "Fatou", "Wei", "Sofia", "Leila", "Olena", "Rose"],
    "M": ["Carlos", "Reza", "Yusuf", "Ali", "Jean", "Dmytro", "Minh", "Kofi", "Pablo", "Samuel"],
}
COUNTRIES = ["SY", "VN", "ML", "CO", "NG", "UA", "AF", "SN", "BR", "CN", "HT", "CD", "MA", "CM"]
NEEDS = ["housing", "health_card", "sin", "daycare", "french_courses", "employment", "community"]
JOURNEY_NEEDS = ["housing", "health_card", "sin", "french_courses"]
# The journeys' people: Amina and her adult son arrived last week in Sherbrooke (government-
# assisted refugees); Omar, registered in Montréal, is registered again in Sherbrooke (DUPLICATE).
Known = tuple[str, str, str, str, str, tuple[tuple[str, str], ...]]  # … status, (code, volet)s
FAMILY_CODES = (("ACC", "V1"), ("RPC", "V3"), ("EVB", "V1"), ("SUI", "V1"))
KNOWN: dict[str, list[Known]] = {
    "org-sherbrooke": [
        ("Haddad", "Amina", "1984-03-12", "F", GAR, FAMILY_CODES),
        ("Haddad", "Yusuf", "2004-09-30", "M", GAR, FAMILY_CODES),
    ],
    "org-montreal": [("Diallo", "Omar", "1979-06-02", "M", PR, (("ACC", "V1"), ("PDI", "V2")))],
}
DUPLICATE: tuple[str, Known] = ("org-sherbrooke", ("Diallo", "Omar", "1979-06-02", "M", PR, ()))
# Deliberate non-conformities: organization, status of the person, code, volet, expected check.
FLAWS = [
    ("org-quebec", ASYLUM, "ACC", "V1", "C1"),  # asylum claimants are served in V4 only
    ("org-quebec", PR, "PDI", "V2", "C4"),  # the same service entered twice
    ("org-quebec", PR, "SUI", "V1", "C5"),  # a follow-up without an action plan
    ("org-quebec", PR, "PDI", "V2", "C8"),  # a day-long service: a warning (over 480 minutes)
    ("org-montreal", PR, "SUI", "V1", "C5"),
    ("org-montreal", PP, "SUI", "V1", "C5"),
]
SESSIONS = {
    "org-sherbrooke": ("SIC", "Séance d'information — vivre à Sherbrooke", 14),
    "org-montreal": ("PPA", "Atelier de pleine participation — le bénévolat", 12),
}


@dataclass
class Act:
    code: str
    volet: str
    check: str | None = None  # the non-conformity it is meant to show
    staff: str = ""
    session: bool = False  # declared through the organization's group session
    intervention_id: str = ""  # once declared


@dataclass
class Person:
    org: str
    body: dict[str, Any]  # what POST /persons receives
    acts: list[Act] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # of the action plan opened before the services
    person_id: str = ""  # once registered

    @property
    def plan(self) -> bool:
        return bool(self.needs)


def plan(today: date, rng: random.Random | None = None) -> list[Person]:
    """Every person and every intervention the seed creates."""
    rng = rng or random.Random(2026)  # noqa: S311 - demo data, not security
    people: list[Person] = []
    for org_id, org in ORGANIZATIONS.items():
        known = KNOWN.get(org_id, [])
        people += [known_person(org_id, k, today - timedelta(days=7)) for k in known]
        people += [_random_person(org_id, org, rng, today, i) for i in range(org.persons - len(known))]
    for org_id, status, code, volet, check in FLAWS:
        _add_flaw(people, org_id, status, code, volet, check)
    for org_id, (code, _, size) in SESSIONS.items():
        attendees = [p for p in people if p.org == org_id and p.acts and p.acts[0].volet != "V4"]
        for person in attendees[2 : 2 + size]:
            person.acts.append(Act(code, "V2", session=True))
    _assign_staff(people)
    return people


def known_person(org_id: str, known: Known, admitted: date) -> Person:
    family, given, born, sex, status, codes = known
    body = _body(ORGANIZATIONS[org_id], family, given, born, sex, {"status": status}, admitted)
    acts = [Act(code, volet) for code, volet in codes]
    needs = JOURNEY_NEEDS if any(a.code == "EVB" for a in acts) else []
    return Person(org_id, body, acts, needs)


def _random_person(org_id: str, org: Org, rng: random.Random, today: date, i: int) -> Person:
    sex = rng.choice("FM")
    status = rng.choices(list(org.statuses), weights=list(org.statuses.values()))[0]
    born = (today - timedelta(days=rng.randint(19 * 365, 62 * 365))).isoformat()
    given = GIVEN[sex][(i + rng.randint(0, 9)) % 10]
    value: dict[str, Any] = {"status": status}
    if status in {WORKER, STUDENT}:
        value["expires_on"] = (today + timedelta(days=rng.randint(120, 720))).isoformat()
    if status == "citizen":  # served for 90 days after naturalization (E7)
        value["effective_from"] = (today - timedelta(days=rng.randint(5, 60))).isoformat()
    admitted = today - timedelta(days=rng.randint(20, 900))
    person = Person(org_id, _body(org, rng.choice(FAMILY), given, born, sex, value, admitted))
    person.body["french_level"] = rng.choice(["none", "beginner", "intermediate", "advanced"])
    if rng.random() < 0.1:
        return person  # registered, not served yet
    if status == ASYLUM:
        person.acts = [Act("ADM", "V4"), Act("DAS", "V4")] if "V4" in org.volets else []
        return person
    person.acts.append(Act("ACC", "V1" if rng.random() < 0.7 else "V2"))
    if status == GAR and "V3" in org.volets:
        person.acts.append(Act("RPC", "V3"))
    if rng.random() < 0.3:  # the needs assessment opens an action plan; follow-ups need one (C5)
        person.needs = rng.sample(NEEDS, rng.randint(1, 3))
        person.acts += [Act("EVB", "V1"), Act("SUI", "V1")]
    if rng.random() < 0.4:
        person.acts.append(Act("PDI", "V2"))
    return person


def _body(
    org: Org, family: str, given: str, born: str, sex: str, status: dict[str, Any], admitted: date
) -> dict[str, Any]:
    since = admitted.isoformat()
    return {
        "family_name": family,
        "given_name": given,
        "birth_date": born,
        "sex": sex,
        "country_of_birth": COUNTRIES[len(family + given) % len(COUNTRIES)],
        "languages": ["fr"] if len(given) % 3 == 0 else ["en"],
        "status": {"effective_from": since, "admission_date": since, **status},
        "address": {"region": org.region, "municipality": org.municipality},
        "consents": ["service_delivery", "ministry_reporting"],
    }


def _add_flaw(people: list[Person], org_id: str, status: str, code: str, volet: str, check: str) -> None:
    def fits(p: Person) -> bool:
        if p.org != org_id or p.body["status"]["status"] != status or any(a.check for a in p.acts):
            return False
        twin = any(a.code == code for a in p.acts)
        return twin if check == "C4" else not (twin or p.plan)

    next(p for p in people if fits(p)).acts.append(Act(code, volet, check))


def _assign_staff(people: list[Person]) -> None:
    """Spread each organization's interventions over its staff; the first one leads the group
    session. C8 warns past 40 interventions a staff member a day: the plan stays under."""
    count: Counter[str] = Counter()
    for person in people:
        staff = ORGANIZATIONS[person.org].staff
        for act in person.acts:
            name = staff[0] if act.session else staff[count[person.org] % len(staff)]
            count[person.org] += not act.session
            act.staff = f"{name}@{person.org}"
    busiest = Counter(a.staff for p in people for a in p.acts).most_common(1)
    if busiest and busiest[0][1] > 40:
        raise ValueError(f"demo plan: {busiest[0]} interventions in a day would warn (C8)")


def targets(year: str, org: Org, people: list[Person], periods: tuple[str, ...]) -> list[dict[str, Any]]:
    """Quarterly targets the seeded quarter reaches at ``org.progress``; the year's are four times.
    Only of ``periods`` (those the agreement covers)."""
    codes = Counter(a.code for p in people for a in p.acts)

    def scaled(n: int, factor: int) -> int:
        return max(1, round(n / org.progress)) * factor

    return [
        {
            "fiscal_year": year,
            "period": period,
            "unique_persons": scaled(sum(1 for p in people if p.acts), factor),
            "action_plans": scaled(sum(p.plan for p in people), factor),
            "interventions": {code: scaled(n, factor) for code, n in sorted(codes.items())},
        }
        for period, factor in (("year", 4), ("Q1", 1), ("Q2", 1), ("Q3", 1), ("Q4", 1))
        if period in periods
    ]
