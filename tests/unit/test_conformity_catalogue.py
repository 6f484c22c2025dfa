"""The intervention catalogue as data: the shipped PASI table, validation of documents, codes,
versions picked by date and append-only publishing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from gsi_conformity import (
    Catalogue,
    CatalogueBook,
    CataloguePublishRefused,
    NoCatalogue,
    UnknownCode,
    load_default_catalogue,
)
from gsi_eligibility import load_default_rulebook
from gsi_kernel.errors import Conflict, InvalidInput, NotFound

PASI = load_default_catalogue().for_date("PASI", date(2020, 4, 1))
ALL = ["V1", "V2", "V3", "V4"]


def revised(change: Callable[[dict[str, Any]], None], catalogue: Catalogue = PASI) -> Catalogue:
    document = catalogue.to_document()
    change(document)
    return Catalogue.from_document(document)


def with_version(version: str, effective_from: str, program: str = "PASI") -> Catalogue:
    return revised(lambda doc: doc.update(version=version, effective_from=effective_from, program=program))


# ---- the shipped PASI catalogue (docs/domain.md, "Interventions") -----------------------------

# code → (volets, constraints that differ from "no constraint")
# fmt: off
TABLE: dict[str, tuple[list[str], dict[str, Any]]] = {
    "ADM": (ALL, {}),
    "EVB": (["V1"], {"once_per_year": True}),
    "ACC": (["V1", "V2"], {"once_per_person": True}),
    "PDI": (["V1", "V2"], {}),
    "SIC": (["V2"], {"requires_group": True}),
    "OBI": (["V2"], {"min_age": 18, "once_per_person": True}),
    "SUI": (["V1", "V2"], {"requires_action_plan": True}),
    "REF": (ALL, {"requires_referral_target": True, "requires_action_plan": True}),
    "REG": (["V1", "V2"], {"requires_action_plan": True, "excluded_regions": ["06", "13"]}),
    "RPC": (["V3"], {"allowed_statuses": ["government_assisted_refugee"]}),
    "DAS": (["V4"], {"allowed_statuses": ["asylum_claimant"]}),
    "PPA": (["V2"], {"requires_group": True}),
}
# fmt: on
NO_CONSTRAINT = {
    "min_age": None,
    "once_per_person": False,
    "once_per_year": False,
    "requires_action_plan": False,
    "requires_group": False,
    "allowed_statuses": None,
    "excluded_regions": None,
    "requires_referral_target": False,
}


def test_the_default_catalogue_lists_exactly_the_codes_of_the_table() -> None:
    assert list(PASI.codes) == list(TABLE)
    assert (PASI.program, PASI.version, PASI.effective_from) == ("PASI", "2020.1", date(2020, 4, 1))
    assert PASI.outliers.model_dump() == {
        "max_per_person_per_day": 6,
        "max_per_staff_per_day": 40,
        "max_duration_minutes": 480,
    }


@pytest.mark.parametrize("code", list(TABLE))
def test_each_code_has_its_volets_and_constraints(code: str) -> None:
    volets, constraints = TABLE[code]
    document = PASI.codes[code].model_dump(mode="json")
    assert document["volets"] == volets
    assert {k: document[k] for k in NO_CONSTRAINT} == {**NO_CONSTRAINT, **constraints}
    assert document["fr"]
    assert document["en"]
    assert document["basis"].startswith("[")


def test_the_default_catalogue_agrees_with_the_eligibility_rules() -> None:
    rules = load_default_rulebook().for_date("PASI", date(2020, 4, 1))
    statuses = {s for rule in PASI.codes.values() for s in rule.allowed_statuses or ()}
    assert statuses <= set(rules.statuses)
    assert {v for rule in PASI.codes.values() for v in rule.volets} <= set(rules.volets)
    assert PASI.codes["OBI"].min_age == rules.rules.E5.min_age["OBI"]
    assert PASI.codes_in("V5") == ()
    assert PASI.codes_in("V3") == ("ADM", "REF", "RPC")
    assert "[default]" in PASI.description
    assert "365" in PASI.description


def test_code_returns_the_rule_or_refuses_an_unknown_code_in_both_languages() -> None:
    assert PASI.code("SUI").en == "Follow-up"
    with pytest.raises(UnknownCode) as refused:
        PASI.code("XYZ")
    assert isinstance(refused.value, InvalidInput)
    assert refused.value.code == "catalogue.unknown_code"
    assert "XYZ" in refused.value.fr
    assert "inconnu" in refused.value.fr
    assert "XYZ" in refused.value.en
    assert "Unknown" in refused.value.en
    assert refused.value.details == {"program": "PASI", "version": "2020.1", "code": "XYZ"}


# ---- validation --------------------------------------------------------------------------------


def code_change(code: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["codes"][code].update(fields)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(code_change("ADM", volets=["all"]), "list them explicitly", id="'all' is not a volet"),
        pytest.param(code_change("ADM", volets=["V9"]), "unknown volets", id="unknown volet"),
        pytest.param(code_change("ADM", volets=[]), "volets", id="no volet"),
        pytest.param(code_change("PDI", volets=["V1", "V1"]), "twice", id="volet listed twice"),
        pytest.param(code_change("ACC", once_per_year=True), "implies", id="once per person and per year"),
        pytest.param(code_change("RPC", allowed_statuses=[]), "use null", id="empty allowed statuses"),
        pytest.param(code_change("RPC", allowed_statuses=["Refugee!"]), "pattern", id="malformed status"),
        pytest.param(code_change("REG", excluded_regions=[]), "use null", id="empty excluded regions"),
        pytest.param(code_change("REG", excluded_regions=["18"]), "01-17", id="region outside Québec"),
        pytest.param(code_change("REG", excluded_regions=["6"]), "pattern", id="malformed region"),
        pytest.param(code_change("OBI", min_age=-1), "greater than or equal", id="negative age"),
        pytest.param(code_change("OBI", min_age=200), "less than or equal", id="absurd age"),
        pytest.param(code_change("OBI", fr=""), "at least 1", id="empty label"),
        pytest.param(code_change("OBI", colour="red"), "Extra inputs", id="unknown field"),
        pytest.param(
            lambda doc: doc["codes"].update(bad={**doc["codes"]["ADM"]}), "pattern", id="malformed code"
        ),
        pytest.param(lambda doc: doc.update(codes={}), "at least 1", id="no code"),
        pytest.param(
            lambda doc: doc["outliers"].update(max_per_person_per_day=0), "greater than", id="zero threshold"
        ),
        pytest.param(
            lambda doc: doc["outliers"].update(max_duration_minutes=2000),
            "less than",
            id="duration over a day",
        ),
        pytest.param(lambda doc: doc.update(version="a b"), "pattern", id="malformed version"),
        pytest.param(lambda doc: doc.update(program="pasi"), "pattern", id="malformed program"),
        pytest.param(lambda doc: doc.pop("effective_from"), "effective_from", id="no effective date"),
    ],
)
def test_invalid_catalogues_are_refused(change: Callable[[dict[str, Any]], None], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        revised(change)


def test_a_document_may_use_v5_and_defaults_the_outliers() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["codes"]["PDI"]["volets"] = ["V5"]
        del doc["outliers"]

    catalogue = revised(change)
    assert catalogue.codes_in("V5") == ("PDI",)
    assert catalogue.outliers.max_per_staff_per_day == 40


def test_catalogue_and_book_round_trip_through_json() -> None:
    assert Catalogue.from_json(PASI.to_json()) == PASI
    assert Catalogue.from_document(json.loads(json.dumps(PASI.to_document()))) == PASI
    book = load_default_catalogue().publish(with_version("2027.1", "2027-04-01"))
    assert CatalogueBook.from_json(book.to_json()) == book
    assert CatalogueBook.from_document(book.to_document()) == book
    assert [c.version for c in CatalogueBook.from_json(book.to_json())] == ["2020.1", "2027.1"]


def test_model_copy_revalidates() -> None:
    assert PASI.model_copy(update={"version": "2026.2"}).version == "2026.2"
    with pytest.raises(ValidationError):
        PASI.model_copy(update={"codes": {}})


def test_the_default_book_is_loaded_once() -> None:
    assert load_default_catalogue() is load_default_catalogue()
    assert load_default_catalogue().programs() == ("PASI",)
    assert len(load_default_catalogue()) == 1


# ---- versions by date -------------------------------------------------------------------------


def test_the_version_in_force_on_the_day_is_picked() -> None:
    book = load_default_catalogue().publish(with_version("2027.1", "2027-04-01"), today=date(2027, 2, 1))
    assert book.for_date("PASI", date(2027, 3, 31)).version == "2020.1"
    assert book.for_date("PASI", date(2027, 4, 1)).version == "2027.1"
    assert book.for_date("PASI", date(2030, 1, 1)).version == "2027.1"
    assert [c.version for c in book.versions("PASI")] == ["2020.1", "2027.1"]
    assert book.get("PASI", "2020.1") is PASI


@pytest.mark.parametrize(
    ("program", "day", "code"),
    [
        pytest.param("PASI", date(2020, 3, 31), "catalogue.none_in_force", id="before the first version"),
        pytest.param("OTHER", date(2025, 1, 1), "catalogue.none_in_force", id="unknown program"),
    ],
)
def test_for_date_refuses_a_day_without_a_catalogue(program: str, day: date, code: str) -> None:
    with pytest.raises(NoCatalogue) as refused:
        load_default_catalogue().for_date(program, day)
    assert isinstance(refused.value, NotFound)
    assert refused.value.code == code
    assert day.isoformat() in refused.value.fr
    assert day.isoformat() in refused.value.en


def test_get_refuses_an_unknown_version() -> None:
    with pytest.raises(NoCatalogue) as refused:
        load_default_catalogue().get("PASI", "1999.1")
    assert refused.value.code == "catalogue.unknown_version"


# ---- publishing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("catalogue", "today", "code"),
    [
        pytest.param(
            with_version("2020.1", "2027-04-01"), None, "catalogue.duplicate_version", id="version reused"
        ),
        pytest.param(
            with_version("2019.1", "2019-04-01"), None, "catalogue.not_after_latest", id="before the latest"
        ),
        pytest.param(
            with_version("2020.2", "2020-04-01"),
            None,
            "catalogue.duplicate_effective_date",
            id="same date as the latest",
        ),
        pytest.param(
            with_version("2026.1", "2026-06-01"),
            date(2026, 6, 1),
            "catalogue.retroactive",
            id="effective today",
        ),
        pytest.param(
            with_version("2026.1", "2026-05-01"),
            date(2026, 6, 1),
            "catalogue.retroactive",
            id="effective in the past",
        ),
    ],
)
def test_publish_is_append_only_and_never_retroactive(
    catalogue: Catalogue, today: date | None, code: str
) -> None:
    with pytest.raises(CataloguePublishRefused) as refused:
        load_default_catalogue().publish(catalogue, today=today)
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == code
    assert refused.value.details["version"] == catalogue.version
    assert refused.value.fr != refused.value.en


def test_publish_returns_a_new_book_and_programs_are_independent() -> None:
    book = load_default_catalogue()
    tomorrow = with_version("2026.1", "2026-06-02")
    published = book.publish(tomorrow, today=date(2026, 6, 1))
    assert len(book) == 1
    assert len(published) == 2
    other = published.publish(with_version("2020.1", "2020-04-01", program="OTHER"))
    assert other.programs() == ("OTHER", "PASI")
    assert other.for_date("OTHER", date(2021, 1, 1)).program == "OTHER"
    assert other.for_date("PASI", date(2026, 6, 2)) is tomorrow


def test_a_version_can_be_withdrawn_only_before_it_is_in_force() -> None:
    book = load_default_catalogue().publish(with_version("2027.1", "2027-04-01"))
    with pytest.raises(CataloguePublishRefused) as refused:
        book.withdraw("PASI", "2020.1", today=date(2027, 1, 1))
    assert refused.value.code == "catalogue.already_in_force"
    withdrawn = book.withdraw("PASI", "2027.1", today=date(2027, 1, 1))
    assert [c.version for c in withdrawn] == ["2020.1"]
    assert withdrawn == load_default_catalogue()


def test_a_book_refuses_two_versions_with_the_same_number_or_date() -> None:
    with pytest.raises(CataloguePublishRefused):
        CatalogueBook([PASI, with_version("2020.1", "2026-01-01")])
    with pytest.raises(CataloguePublishRefused):
        CatalogueBook([PASI, with_version("2026.1", "2020-04-01")])
