"""The interventions service's pure rules: the intervention aggregate (fold, declare, correct,
cancel, and its hard errors: unknown person, dates, locked quarters), lock exceptions,
group-session attendance, and the id an imported row's natural key names — each refusal with its
error code."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from gsi_eligibility import PersonFacts
from gsi_kernel.errors import Conflict, GsiError, InvalidInput, Locked, NotFound
from gsi_kernel.events import DomainEvent
from interventions.declarations import domain as iv
from interventions.declarations.domain import Checked, Details, Facts, Flag, Mode, QuarterLocks, Volet
from interventions.imports import domain as imports
from interventions.lock_exceptions import domain as lock_exception
from interventions.sessions import domain as session

TODAY = date(2026, 11, 20)
ORG, OTHER_ORG = "org-a", "org-b"


def refusal(decide: Callable[[], object]) -> GsiError:
    with pytest.raises(GsiError) as caught:
        decide()
    return caught.value


# ---- intervention -----------------------------------------------------------------------------

DETAILS = Details(
    code="PDI",
    service_date=date(2026, 11, 2),
    duration_minutes=60,
    mode=Mode.IN_PERSON,
    volet=Volet.V1,
    staff_member="karine",
)
FLAG = Flag(check="C3", severity="warning", code="conformity.c3", fr="Durée longue", en="Long duration")
CHECKED = Checked(flags=(), catalogue_version="cat-2026-1", rule_set_version="rules-7")
FLAGGED = Checked(flags=(FLAG,), catalogue_version="cat-2026-2", rule_set_version=None)
REGISTERED_ON = date(2026, 10, 1)
UNLOCKED = QuarterLocks()  # no quarter locked for the organization
OPEN = Facts(TODAY, REGISTERED_ON, UNLOCKED)


def declared(session_id: str | None = None) -> list[DomainEvent]:
    command = iv.DeclareIntervention("i1", ORG, "person-1", DETAILS, CHECKED, OPEN, session_id=session_id)
    return iv.declare([], command)


def corrected(history: list[DomainEvent], **changes: object) -> list[DomainEvent]:
    command = iv.CorrectIntervention(DETAILS.model_copy(update=changes), "Erreur de saisie", FLAGGED, OPEN)
    return [*history, *iv.correct(history, command)]


def cancel_command(locks: QuarterLocks = UNLOCKED) -> iv.CancelIntervention:
    return iv.CancelIntervention("Doublon", TODAY, locks)


def cancelled(history: list[DomainEvent]) -> list[DomainEvent]:
    return [*history, *iv.cancel(history, cancel_command())]


@pytest.mark.parametrize(
    ("history", "details", "cancelled_", "version"),
    [
        (declared, DETAILS, False, 1),
        (
            lambda: corrected(declared(), duration_minutes=90),
            DETAILS.model_copy(update={"duration_minutes": 90}),
            False,
            2,
        ),
        (lambda: cancelled(declared()), DETAILS, True, 2),
        (
            lambda: cancelled(corrected(declared(), staff_member="luc")),
            DETAILS.model_copy(update={"staff_member": "luc"}),
            True,
            3,
        ),
    ],
    ids=["declared", "corrected", "cancelled", "corrected-then-cancelled"],
)
def test_the_fold_is_the_latest_version(
    history: Callable[[], list[DomainEvent]], details: Details, cancelled_: bool, version: int
) -> None:
    state = iv.fold(history())
    assert state is not None
    assert (state.intervention_id, state.organization_id, state.person_id) == ("i1", ORG, "person-1")
    assert (state.details, state.cancelled, state.version) == (details, cancelled_, version)


def test_the_fold_of_no_history_is_nothing() -> None:
    assert iv.fold([]) is None


def test_declaring_records_the_details_the_checks_and_their_versions() -> None:
    command = iv.DeclareIntervention(
        "i1", ORG, "person-1", DETAILS, FLAGGED, OPEN, session_id="s1", import_id="imp-1"
    )
    [event] = iv.declare([], command)
    assert isinstance(event, iv.InterventionDeclared)
    assert (event.intervention_id, event.organization_id, event.person_id) == ("i1", ORG, "person-1")
    assert (event.details, event.session_id, event.import_id) == (DETAILS, "s1", "imp-1")
    assert (event.flags, event.catalogue_version, event.rule_set_version) == ((FLAG,), "cat-2026-2", None)


def test_declaring_an_existing_intervention_is_refused() -> None:
    command = iv.DeclareIntervention("i1", ORG, "person-1", DETAILS, CHECKED, OPEN)
    error = refusal(lambda: iv.declare(declared(), command))
    assert type(error) is Conflict
    assert error.code == "intervention.already_declared"


@pytest.mark.parametrize(
    ("session_id", "changes"),
    [
        (None, {"code": "SUI"}),  # outside a session the code may be corrected
        (None, {"service_date": date(2026, 11, 3), "notes": "Appel"}),
        ("s1", {"duration_minutes": 120}),  # a session's attendee: anything but the code
        ("s1", {"code": "PDI", "staff_member": "luc"}),  # the same code, sent again
    ],
)
def test_a_correction_records_the_new_details_the_reason_and_the_new_checks(
    session_id: str | None, changes: dict[str, object]
) -> None:
    history = declared(session_id)
    new_details = DETAILS.model_copy(update=changes)
    [event] = iv.correct(history, iv.CorrectIntervention(new_details, "Erreur de saisie", FLAGGED, OPEN))
    assert isinstance(event, iv.InterventionCorrected)
    assert (event.intervention_id, event.organization_id, event.person_id) == ("i1", ORG, "person-1")
    assert (event.details, event.reason) == (new_details, "Erreur de saisie")
    assert (event.flags, event.catalogue_version, event.rule_set_version) == ((FLAG,), "cat-2026-2", None)


@pytest.mark.parametrize(
    ("history", "details", "kind", "code"),
    [
        (list, DETAILS.model_copy(update={"duration_minutes": 90}), NotFound, "intervention.not_found"),
        (
            lambda: cancelled(declared()),
            DETAILS.model_copy(update={"duration_minutes": 90}),
            Conflict,
            "intervention.cancelled",
        ),
        (declared, DETAILS, InvalidInput, "intervention.nothing_to_correct"),
        (  # the same values, the optional ones given explicitly: still nothing
            declared,
            Details(**{**DETAILS.model_dump(), "notes": None, "target_organization": None}),
            InvalidInput,
            "intervention.nothing_to_correct",
        ),
        (
            lambda: declared("s1"),
            DETAILS.model_copy(update={"code": "SUI"}),
            InvalidInput,
            "intervention.session_code_fixed",
        ),
    ],
    ids=["unknown", "cancelled", "nothing-to-correct", "nothing-to-correct-explicit-none", "session-code"],
)
def test_correction_refusals(
    history: Callable[[], list[DomainEvent]], details: Details, kind: type[GsiError], code: str
) -> None:
    error = refusal(lambda: iv.correct(history(), iv.CorrectIntervention(details, "Motif", CHECKED, OPEN)))
    assert type(error) is kind
    assert error.code == code


def test_the_session_code_refusal_names_the_field() -> None:
    command = iv.CorrectIntervention(DETAILS.model_copy(update={"code": "SUI"}), "Motif", CHECKED, OPEN)
    error = refusal(lambda: iv.correct(declared("s1"), command))
    assert error.details == {"field": "code"}


def test_cancelling_records_the_service_date_and_the_reason() -> None:
    history = corrected(declared(), service_date=date(2026, 11, 5))
    [event] = iv.cancel(history, cancel_command())
    assert isinstance(event, iv.InterventionCancelled)
    assert (event.intervention_id, event.organization_id, event.person_id) == ("i1", ORG, "person-1")
    assert (event.service_date, event.reason) == (date(2026, 11, 5), "Doublon")


@pytest.mark.parametrize(
    ("history", "kind", "code"),
    [
        (list, NotFound, "intervention.not_found"),
        (lambda: cancelled(declared()), Conflict, "intervention.cancelled"),
    ],
    ids=["unknown", "already-cancelled"],
)
def test_cancellation_refusals(
    history: Callable[[], list[DomainEvent]], kind: type[GsiError], code: str
) -> None:
    error = refusal(lambda: iv.cancel(history(), cancel_command()))
    assert type(error) is kind
    assert error.code == code


def test_current_answers_a_cancelled_intervention_too_and_refuses_an_unknown_one() -> None:
    assert iv.current(cancelled(declared())).cancelled is True
    error = refusal(lambda: iv.current([]))
    assert type(error) is NotFound
    assert error.code == "intervention.not_found"


# ---- lock exceptions ------------------------------------------------------------------------

QUARTER = "2026-2027-Q2"


def requested(
    quarter: str = QUARTER, *, locked: bool = True, history: list[DomainEvent] | None = None
) -> list[DomainEvent]:
    return lock_exception.request(
        history or [],
        exception_id="x1",
        organization_id=ORG,
        quarter=quarter,
        reason="Correction d'une date",
        intervention_ids=["i1", "i2"],
        quarter_locked=locked,
    )


def granted(valid_until: date = TODAY) -> list[DomainEvent]:
    history = requested()
    return [*history, *lock_exception.grant(history, valid_until=valid_until, today=TODAY, reason=None)]


def refused() -> list[DomainEvent]:
    history = requested()
    return [*history, *lock_exception.refuse(history, reason="Trop tard")]


def test_a_request_records_the_quarter_and_the_interventions_concerned() -> None:
    [event] = requested()
    assert isinstance(event, lock_exception.LockExceptionRequested)
    assert (event.exception_id, event.organization_id, event.quarter) == ("x1", ORG, QUARTER)
    assert event.intervention_ids == ("i1", "i2")
    assert lock_exception.fold([event]) == lock_exception.LockException("x1", ORG, QUARTER, "requested", None)


@pytest.mark.parametrize(
    ("quarter", "locked", "exists", "kind", "code"),
    [
        (QUARTER, True, True, Conflict, "lock_exception.exists"),
        ("2026-2028-Q1", True, False, InvalidInput, "lock_exception.bad_quarter"),
        ("2026-2027-Q5", True, False, InvalidInput, "lock_exception.bad_quarter"),
        ("2026-27-Q1", True, False, InvalidInput, "lock_exception.bad_quarter"),
        ("2026-2027-q1", True, False, InvalidInput, "lock_exception.bad_quarter"),
        ("", True, False, InvalidInput, "lock_exception.bad_quarter"),
        (QUARTER, False, False, Conflict, "lock_exception.quarter_not_locked"),
        # Not a quarter's canonical text: refused as such, not looked up as "not locked".
        ("2026-2027-Q1\n", False, False, InvalidInput, "lock_exception.bad_quarter"),
        ("２０２６-２０２７-Q1", False, False, InvalidInput, "lock_exception.bad_quarter"),
    ],
)
def test_request_refusals(quarter: str, locked: bool, exists: bool, kind: type[GsiError], code: str) -> None:
    history = requested() if exists else []
    error = refusal(lambda: requested(quarter, locked=locked, history=history))
    assert type(error) is kind
    assert error.code == code


@pytest.mark.parametrize(
    ("quarter", "locked", "details"),
    [("2026-2028-Q1", True, {"field": "quarter"}), (QUARTER, False, {"quarter": QUARTER})],
)
def test_request_refusals_name_the_field_or_the_quarter(
    quarter: str, locked: bool, details: dict[str, str]
) -> None:
    assert refusal(lambda: requested(quarter, locked=locked)).details == details


@pytest.mark.parametrize("days", [0, 1, 45, 90])
def test_a_grant_is_valid_from_today_to_ninety_days_later(days: int) -> None:
    valid_until = TODAY + timedelta(days=days)
    [event] = lock_exception.grant(requested(), valid_until=valid_until, today=TODAY, reason="Accordé")
    assert isinstance(event, lock_exception.LockExceptionGranted)
    assert (event.exception_id, event.organization_id, event.quarter) == ("x1", ORG, QUARTER)
    assert (event.valid_until, event.reason) == (valid_until, "Accordé")
    state = lock_exception.fold([*requested(), event])
    assert state is not None
    assert (state.status, state.valid_until) == ("granted", valid_until)


@pytest.mark.parametrize("days", [-1, -30, 91, 365])
def test_a_grant_outside_the_validity_window_is_refused(days: int) -> None:
    valid_until = TODAY + timedelta(days=days)
    error = refusal(
        lambda: lock_exception.grant(requested(), valid_until=valid_until, today=TODAY, reason=None)
    )
    assert type(error) is InvalidInput
    assert error.code == "lock_exception.bad_validity"
    assert error.details == {"field": "valid_until"}


def test_a_refusal_records_the_reason_and_leaves_no_validity() -> None:
    history = refused()
    event = history[-1]
    assert isinstance(event, lock_exception.LockExceptionRefused)
    assert (event.exception_id, event.quarter, event.reason) == ("x1", QUARTER, "Trop tard")
    assert lock_exception.fold(history) == lock_exception.LockException("x1", ORG, QUARTER, "refused", None)


DECISIONS: dict[str, Callable[[list[DomainEvent]], list[DomainEvent]]] = {
    "grant": lambda h: lock_exception.grant(h, valid_until=TODAY, today=TODAY, reason=None),
    "refuse": lambda h: lock_exception.refuse(h, reason="Non"),
}


@pytest.mark.parametrize(
    ("decision", "history", "status"),
    [
        ("grant", granted, "granted"),
        ("grant", refused, "refused"),
        ("refuse", granted, "granted"),
        ("refuse", refused, "refused"),
    ],
)
def test_a_decided_request_cannot_be_decided_again(
    decision: str, history: Callable[[], list[DomainEvent]], status: str
) -> None:
    error = refusal(lambda: DECISIONS[decision](history()))
    assert type(error) is Conflict
    assert error.code == "lock_exception.already_decided"
    assert error.details == {"status": status}


@pytest.mark.parametrize("decision", sorted(DECISIONS))
def test_deciding_an_unknown_request_is_refused(decision: str) -> None:
    error = refusal(lambda: DECISIONS[decision]([]))
    assert type(error) is NotFound
    assert error.code == "lock_exception.not_found"


@pytest.mark.parametrize(
    ("status", "valid_until", "today", "covered"),
    [
        ("granted", TODAY, TODAY - timedelta(days=10), True),
        ("granted", TODAY, TODAY, True),  # the last day of validity
        ("granted", TODAY, TODAY + timedelta(days=1), False),  # lapsed by itself
        ("granted", None, TODAY, False),
        ("requested", None, TODAY, False),
        ("refused", None, TODAY, False),
        ("refused", TODAY, TODAY, False),
    ],
)
def test_covers(status: str, valid_until: date | None, today: date, covered: bool) -> None:
    assert lock_exception.covers(status, valid_until, today) is covered


# ---- group sessions -------------------------------------------------------------------------

MANY = [f"p{n}" for n in range(session.MAX_ATTENDEES + 1)]


@pytest.mark.parametrize(
    ("person_ids", "code", "details"),
    [
        ([], "session.no_attendee", {"field": "attendees"}),
        (MANY, "session.too_many_attendees", {"field": "attendees"}),
        (
            ["p3", "p1", "p2", "p3", "p1"],
            "session.repeated_attendee",
            {"field": "attendees", "person_ids": ["p1", "p3"]},
        ),
    ],
    ids=["empty", "too-many", "repeated"],
)
def test_attendance_refusals(person_ids: list[str], code: str, details: dict[str, object]) -> None:
    error = refusal(lambda: session.refuse_bad_attendance(person_ids))
    assert type(error) is InvalidInput
    assert (error.code, error.details) == (code, details)


@pytest.mark.parametrize("person_ids", [["p1"], MANY[:-1]], ids=["one", "the-maximum"])
def test_attendance_accepted(person_ids: list[str]) -> None:
    session.refuse_bad_attendance(person_ids)  # accepted: the check raises nothing


# ---- the aggregate's hard errors -------------------------------------------------------------

PERSON = iv.PersonOnFile("person-1", ORG, REGISTERED_ON, PersonFacts(date(1990, 5, 1), (), "05"))
Q3 = "2026-2027-Q3"  # DETAILS' quarter


def locked(*exceptions: tuple[str, date | None]) -> QuarterLocks:
    """Q3 locked for the organization, with lock exceptions on it: (status, valid until)."""
    return QuarterLocks(
        frozenset({Q3}),
        tuple(
            lock_exception.LockException(f"x{n}", ORG, Q3, status, until)
            for n, (status, until) in enumerate(exceptions)
        ),
    )


def declaring(details: Details = DETAILS, locks: QuarterLocks = UNLOCKED) -> list[DomainEvent]:
    facts = Facts(TODAY, REGISTERED_ON, locks)
    return iv.declare([], iv.DeclareIntervention("i1", ORG, "person-1", details, CHECKED, facts))


def test_a_known_person_of_the_organization_is_admitted() -> None:
    assert iv.refuse_unknown_person(PERSON, ORG, "person-1") is PERSON


def test_another_organizations_person_is_answered_exactly_like_an_unknown_one() -> None:
    unknown = refusal(lambda: iv.refuse_unknown_person(None, ORG, "person-1"))
    elsewhere = refusal(lambda: iv.refuse_unknown_person(PERSON, OTHER_ORG, "person-1"))
    assert type(unknown) is type(elsewhere) is InvalidInput
    assert unknown.code == "intervention.unknown_person"
    assert (unknown.code, unknown.fr, unknown.en, unknown.details) == (
        elsewhere.code,
        elsewhere.fr,
        elsewhere.en,
        elsewhere.details,
    )
    assert unknown.details == {"field": "person_id", "person_id": "person-1"}


@pytest.mark.parametrize(
    ("service_date", "code"),
    [
        (TODAY + timedelta(days=1), "intervention.date_in_future"),
        (REGISTERED_ON - timedelta(days=1), "intervention.date_before_registration"),
        (TODAY, None),
        (REGISTERED_ON, None),  # the registration day itself
    ],
)
def test_the_aggregate_refuses_a_date_in_the_future_or_before_registration(
    service_date: date, code: str | None
) -> None:
    details = DETAILS.model_copy(update={"service_date": service_date})
    if code is None:
        [event] = declaring(details)
        assert isinstance(event, iv.InterventionDeclared)
        return
    error = refusal(lambda: declaring(details))
    assert type(error) is InvalidInput
    assert error.code == code
    assert error.details["field"] == "service_date"


def test_a_date_before_registration_names_the_registration_day() -> None:
    error = refusal(
        lambda: declaring(DETAILS.model_copy(update={"service_date": REGISTERED_ON - timedelta(days=1)}))
    )
    assert error.details["registered_on"] == "2026-10-01"


@pytest.mark.parametrize(
    ("service_date", "quarter"),
    [
        (date(2026, 3, 31), "2025-2026-Q4"),
        (date(2026, 4, 1), "2026-2027-Q1"),
        (date(2026, 11, 2), "2026-2027-Q3"),
        (date(2027, 1, 1), "2026-2027-Q4"),
    ],
)
def test_a_locked_quarter_is_refused_with_423_and_names_the_quarter(service_date: date, quarter: str) -> None:
    locks = QuarterLocks(frozenset({quarter}))
    error = refusal(lambda: iv.refuse_closed_quarter(ORG, service_date, TODAY, locks))
    assert type(error) is Locked
    assert (error.status, error.code) == (423, "quarter.locked")
    assert error.details == {"quarter": quarter, "organization_id": ORG}
    assert quarter in error.fr
    assert quarter in error.en


def test_the_aggregate_refuses_a_declaration_in_a_locked_quarter() -> None:
    error = refusal(lambda: declaring(locks=locked()))
    assert type(error) is Locked
    assert error.code == "quarter.locked"
    assert error.details == {"quarter": Q3, "organization_id": ORG}


@pytest.mark.parametrize(
    "locks",
    [
        QuarterLocks(),
        QuarterLocks(frozenset({"2026-2027-Q2", "2025-2026-Q4"})),  # other quarters locked
        locked(("granted", TODAY)),  # an exception granted until today
        locked(("refused", None), ("granted", TODAY + timedelta(days=30))),
    ],
    ids=["nothing-locked", "other-quarters-locked", "granted-until-today", "one-granted-among-others"],
)
def test_the_aggregate_accepts_a_declaration_in_an_open_quarter(locks: QuarterLocks) -> None:
    [event] = declaring(locks=locks)
    assert isinstance(event, iv.InterventionDeclared)


@pytest.mark.parametrize(
    "exceptions",
    [
        (("requested", None),),
        (("refused", None),),
        (("granted", TODAY - timedelta(days=1)),),  # lapsed yesterday
    ],
    ids=["requested", "refused", "lapsed"],
)
def test_only_a_granted_unexpired_exception_opens_a_locked_quarter(
    exceptions: tuple[tuple[str, date | None], ...],
) -> None:
    assert refusal(lambda: declaring(locks=locked(*exceptions))).code == "quarter.locked"


@pytest.mark.parametrize(
    ("service_date", "quarter"),
    [(date(2026, 11, 3), Q3), (date(2026, 9, 30), "2026-2027-Q2")],
    ids=["leaving", "entering"],
)
def test_a_correction_needs_both_the_quarter_it_leaves_and_the_one_it_enters_open(
    service_date: date, quarter: str
) -> None:
    facts = Facts(TODAY, date(2026, 6, 1), QuarterLocks(frozenset({quarter})))  # registered in Q1
    command = iv.CorrectIntervention(
        DETAILS.model_copy(update={"service_date": service_date}), "Motif", CHECKED, facts
    )
    error = refusal(lambda: iv.correct(declared(), command))
    assert (type(error), error.details["quarter"]) == (Locked, quarter)


def test_a_correction_in_a_quarter_a_granted_exception_opens_is_recorded() -> None:
    command = iv.CorrectIntervention(
        DETAILS.model_copy(update={"duration_minutes": 90}),
        "Motif",
        CHECKED,
        Facts(TODAY, REGISTERED_ON, locked(("granted", TODAY))),
    )
    [event] = iv.correct(declared(), command)
    assert isinstance(event, iv.InterventionCorrected)


def test_cancelling_in_a_locked_quarter_is_refused_unless_an_exception_opens_it() -> None:
    error = refusal(lambda: iv.cancel(declared(), cancel_command(locked())))
    assert (type(error), error.code) == (Locked, "quarter.locked")
    [event] = iv.cancel(declared(), cancel_command(locked(("granted", TODAY))))
    assert isinstance(event, iv.InterventionCancelled)


def test_the_closed_quarters_are_the_locked_ones_no_exception_opens_today() -> None:
    locks = QuarterLocks(
        frozenset({Q3, "2026-2027-Q2"}), (lock_exception.LockException("x", ORG, Q3, "granted", TODAY),)
    )
    assert locks.closed(TODAY) == {"2026-2027-Q2"}
    assert locks.closed(TODAY + timedelta(days=1)) == {Q3, "2026-2027-Q2"}  # the exception lapsed


# ---- imports ----------------------------------------------------------------------------------

KEY = "org-a|person-1|PDI|2026-11-02"


def test_a_rows_intervention_id_is_a_uuid_and_the_same_on_every_upload() -> None:
    first = imports.intervention_id_for(KEY)
    assert uuid.UUID(first).version == 5
    assert imports.intervention_id_for(KEY) == first


@pytest.mark.parametrize(
    "other",
    [
        "org-b|person-1|PDI|2026-11-02",
        "org-a|person-2|PDI|2026-11-02",
        "org-a|person-1|SUI|2026-11-02",
        "org-a|person-1|PDI|2026-11-03",
        "org-a|person-1|PDI|2026-11-02 ",
    ],
)
def test_another_natural_key_names_another_intervention(other: str) -> None:
    assert imports.intervention_id_for(other) != imports.intervention_id_for(KEY)
