"""The action plans and regionalization follow-ups pages' forms: their fields (drawn by the
forms' macros) and their pick-lists (needs, outcomes, regions, checkpoints)."""

from __future__ import annotations

from portal.forms import Field, FormSpec, FormView, Group, Values
from portal.i18n import N_, Language
from portal.routes.interventions_forms import STAFF_MEMBER
from portal.routes.persons_choices import gettext_for, regions, translated

NEEDS = {
    "housing": N_("Housing"),
    "health_card": N_("Health insurance card"),
    "sin": N_("Social insurance number"),
    "daycare": N_("Daycare"),
    "french_courses": N_("French courses"),
    "employment": N_("Employment"),
    "community": N_("Community life"),
}
OUTCOMES = {
    "completed": N_("Completed"),
    "partially_completed": N_("Partially completed"),
    "person_withdrew": N_("The person withdrew"),
    "person_moved": N_("The person moved"),
    "transferred": N_("Transferred to another organization"),
    "other": N_("Other"),
}
OBJECTIVE_STATUSES = {"open": N_("Open"), "achieved": N_("Achieved"), "abandoned": N_("Abandoned")}
SERVICE_STATUSES = {"planned": N_("Planned"), "done": N_("Done"), "cancelled": N_("Cancelled")}
CHECKPOINT_OUTCOMES = {
    "stayed": N_("Still in the region"),
    "moved": N_("Moved to another region"),
    "unknown": N_("Unknown (not reached)"),
}

_TODAY = N_("Today's date is filled in.")
PERSON = Field("person_id", N_("Person"), "radios")
NEW_PLAN = FormSpec(
    "plan",
    (
        Group(
            None,
            (
                PERSON,
                Field("opened_on", N_("Opening date"), "date", hint=_TODAY, width="short"),
                Field("needs", N_("Needs assessed"), "checkboxes", hint=N_("At least one."), choices="needs"),
                Field(
                    "objectives",
                    N_("Objectives"),
                    "textarea",
                    hint=N_("Optional. One objective per line; you may add others later."),
                ),
            ),
        ),
    ),
)
OBJECTIVE = FormSpec("objective", (Group(None, (Field("text", N_("New objective"), max_length=500),)),))
PLANNED_SERVICE = FormSpec(
    "service",
    (
        Group(
            None,
            (
                Field("code", N_("Intervention code"), "select", choices="codes"),
                Field("planned_on", N_("Planned date"), "date", width="short"),
                Field("note", N_("Note"), hint=N_("Optional."), max_length=1000),
            ),
        ),
    ),
)
FOLLOW_UP = FormSpec(
    "followup",
    (
        Group(
            None,
            (
                Field("held_on", N_("Date of the follow-up"), "date", hint=_TODAY, width="short"),
                Field("note", N_("What was done"), "textarea", max_length=2000),
                STAFF_MEMBER,
            ),
        ),
    ),
)
CLOSURE = FormSpec(
    "closure",
    (
        Group(
            None,
            (
                Field("closed_on", N_("Closing date"), "date", hint=_TODAY, width="short"),
                Field("outcome", N_("Outcome"), "radios", choices="outcomes"),
                Field("reason", N_("Reason"), "textarea", hint=N_("Between 3 and 500 characters.")),
            ),
        ),
    ),
)
NEW_FOLLOW_UP = FormSpec(
    "regionalization",
    (
        Group(
            None,
            (
                PERSON,
                Field("destination_region", N_("Destination region"), "select", choices="regions"),
                Field(
                    "opened_on",
                    N_("Settlement date in the region"),
                    "date",
                    hint=N_("The checkpoints fall 3, 6 and 12 months after it."),
                    width="short",
                ),
            ),
        ),
    ),
)
CHECKPOINT = FormSpec(
    "checkpoint",
    (
        Group(
            None,
            (
                Field("months", N_("Checkpoint"), "select", choices="checkpoints"),
                Field("outcome", N_("Outcome of the contact"), "radios", choices="checkpoint_outcomes"),
                Field("recorded_on", N_("Contact date"), "date", hint=_TODAY, width="short"),
                Field(
                    "new_region",
                    N_("New region"),
                    "select",
                    hint=N_("Only when the person moved."),
                    choices="regions",
                ),
                Field("note", N_("Note"), "textarea", hint=N_("Optional."), max_length=1000),
            ),
        ),
    ),
)


def choices(language: Language, **more: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    _ = gettext_for(language)
    return {
        "needs": translated(NEEDS, _),
        "outcomes": translated(OUTCOMES, _),
        "checkpoint_outcomes": translated(CHECKPOINT_OUTCOMES, _),
        "regions": [(code, f"{code} — {text}") for code, text in regions().names.items()],
        **more,
    }


def plan_view(spec: FormSpec, values: Values, language: Language, **rest: object) -> FormView:
    """A form for a template, with every pick-list these pages use (not checked as typed)."""
    options = rest.pop("options", {})
    assert isinstance(options, dict)
    return FormView(spec, values, options=choices(language, **options), live=False, **rest)  # type: ignore[arg-type]
