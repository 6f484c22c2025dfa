"""The effective-dated book both the eligibility rule sets and the intervention catalogues are
(gsi_kernel.dated_book), shown on a book of its own: versions per program, the one in force on a
day, append-only publication, withdrawal before it applies, documents."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from gsi_kernel.dated_book import BookWording, Dated, DatedBook
from gsi_kernel.errors import Conflict, NotFound


class Tariff(Dated):
    price: int = Field(ge=0)


class TariffRefused(Conflict):
    pass


class NoTariff(NotFound):
    pass


class TariffBook(DatedBook[Tariff]):
    __slots__ = ()
    wording = BookWording(
        prefix="tariff",
        document_key="tariffs",
        refused=TariffRefused,
        missing=NoTariff,
        unknown_version=("Tarif {program} {version} inconnu.", "Unknown {program} tariff {version}."),
        none_in_force=("Aucun tarif {program} le {day}.", "No {program} tariff on {day}."),
        retroactive=("Pas de tarif rétroactif.", "No retroactive tariff."),
    )

    @classmethod
    def kind(cls) -> type[Tariff]:
        return Tariff


def tariff(version: str, effective_from: str, program: str = "BUS", price: int = 3) -> Tariff:
    return Tariff(
        program=program, version=version, effective_from=date.fromisoformat(effective_from), price=price
    )


V1, V2 = tariff("1", "2024-04-01", price=3), tariff("2", "2025-04-01", price=4)
BOOK = TariffBook([V2, V1, tariff("1", "2020-01-01", program="METRO")])


def test_the_version_in_force_on_a_day_is_the_latest_that_started_on_or_before_it() -> None:
    assert BOOK.for_date("BUS", date(2024, 4, 1)) is V1
    assert BOOK.for_date("BUS", date(2025, 3, 31)) is V1
    assert BOOK.for_date("BUS", date(2025, 4, 1)) is V2
    assert BOOK.for_date("BUS", date(2099, 1, 1)) is V2
    assert BOOK.versions("BUS") == (V1, V2), "oldest first, whatever the order given"
    assert BOOK.programs() == ("BUS", "METRO")
    assert len(BOOK) == 3
    assert [t.program for t in BOOK] == ["BUS", "BUS", "METRO"]


def test_in_force_answers_none_where_for_date_refuses() -> None:
    assert BOOK.in_force("BUS", date(2025, 4, 1)) is V2
    assert BOOK.in_force("BUS", date(2024, 3, 31)) is None
    assert BOOK.in_force("TRAM", date(2025, 1, 1)) is None


@pytest.mark.parametrize(("program", "day"), [("BUS", date(2024, 3, 31)), ("TRAM", date(2025, 1, 1))])
def test_a_day_without_a_version_is_refused_in_the_books_own_words(program: str, day: date) -> None:
    with pytest.raises(NoTariff) as refused:
        BOOK.for_date(program, day)

    error = refused.value
    assert error.status == 404
    assert error.code == "tariff.none_in_force"
    assert error.fr == f"Aucun tarif {program} le {day.isoformat()}."
    assert error.en == f"No {program} tariff on {day.isoformat()}."
    assert error.details == {"program": program, "on_date": day.isoformat()}


def test_get_finds_a_version_by_number_or_refuses_an_unknown_one() -> None:
    assert BOOK.get("BUS", "2") is V2
    with pytest.raises(NoTariff) as refused:
        BOOK.get("BUS", "9")
    assert refused.value.code == "tariff.unknown_version"
    assert (refused.value.fr, refused.value.en) == ("Tarif BUS 9 inconnu.", "Unknown BUS tariff 9.")
    assert refused.value.details == {"program": "BUS", "version": "9"}


def test_publish_returns_a_new_book_of_the_same_kind_and_leaves_the_old_one() -> None:
    published = BOOK.publish(tariff("3", "2026-04-01"), today=date(2026, 3, 31))

    assert type(published) is TariffBook
    assert published.for_date("BUS", date(2026, 4, 1)).version == "3"
    assert len(BOOK) == 3
    assert len(published) == 4
    assert published != BOOK
    assert TariffBook(BOOK) == BOOK


@pytest.mark.parametrize(
    ("candidate", "today", "reason"),
    [
        (tariff("2", "2030-01-01"), None, "duplicate_version"),
        (tariff("9", "2025-04-01"), None, "duplicate_effective_date"),
        (tariff("9", "2024-06-01"), None, "not_after_latest"),
        (tariff("9", "2026-01-01"), date(2026, 1, 1), "retroactive"),
    ],
)
def test_publication_is_append_only_and_never_retroactive(
    candidate: Tariff, today: date | None, reason: str
) -> None:
    with pytest.raises(TariffRefused) as refused:
        BOOK.publish(candidate, today=today)

    error = refused.value
    assert error.status == 409
    assert error.code == f"tariff.{reason}"
    assert error.details == {
        "program": "BUS",
        "version": candidate.version,
        "effective_from": candidate.effective_from.isoformat(),
    }
    assert error.fr
    assert error.en


def test_a_book_is_refused_two_versions_with_the_same_number_or_date() -> None:
    with pytest.raises(TariffRefused, match="duplicate_version"):
        TariffBook([V1, tariff("1", "2030-01-01")])
    with pytest.raises(TariffRefused, match="duplicate_effective_date"):
        TariffBook([V1, tariff("7", "2024-04-01")])


def test_only_a_version_not_yet_in_force_is_withdrawn() -> None:
    assert BOOK.withdraw("BUS", "2", today=date(2025, 3, 31)).versions("BUS") == (V1,)
    with pytest.raises(TariffRefused) as refused:
        BOOK.withdraw("BUS", "2", today=date(2025, 4, 1))
    assert refused.value.code == "tariff.already_in_force"
    with pytest.raises(NoTariff):
        BOOK.withdraw("BUS", "9", today=date(2025, 1, 1))


def test_with_published_adds_the_published_versions_and_a_copy_of_a_known_one_once() -> None:
    v3 = tariff("3", "2026-04-01", price=5)
    documents = [v3.to_document(), V2.to_document()]  # V2 is already in the book

    book = BOOK.with_published(documents)

    assert type(book) is TariffBook
    assert book.versions("BUS") == (V1, V2, v3)
    assert BOOK.with_published([]) == BOOK
    with pytest.raises(TariffRefused, match="duplicate_effective_date"):
        BOOK.with_published([tariff("9", "2025-04-01").to_document()])


def test_books_of_two_kinds_are_never_equal() -> None:
    class OtherBook(TariffBook):
        __slots__ = ()

    assert OtherBook(BOOK) != BOOK
    assert TariffBook(BOOK) == BOOK


def test_documents_round_trip_under_the_books_key() -> None:
    document = BOOK.to_document()

    assert list(document) == ["tariffs"]
    assert document["tariffs"][0] == {
        "program": "BUS",
        "version": "1",
        "effective_from": "2024-04-01",
        "description": "",
        "price": 3,
    }
    assert TariffBook.from_document(document) == BOOK
    assert TariffBook.from_json(BOOK.to_json()) == BOOK
    assert Tariff.from_json(V1.to_json()) == V1 == Tariff.from_document(V1.to_document())


def test_a_version_is_validated_and_so_is_its_copy() -> None:
    with pytest.raises(ValidationError):
        tariff("1", "2024-04-01", program="bus")  # programs are upper case
    with pytest.raises(ValidationError):
        Tariff.from_document({**V1.to_document(), "colour": "red"})  # unknown field

    assert V1.model_copy(update={"price": 5}).price == 5
    with pytest.raises(ValidationError):
        V1.model_copy(update={"price": -1})  # pydantic's own copy would take it


@pytest.fixture
def shipped_package(tmp_path: Path) -> Iterator[str]:
    data = tmp_path / "tariff_data_pkg" / "data"
    data.mkdir(parents=True)
    (data.parent / "__init__.py").write_text("")
    (data / "metro.json").write_text(tariff("1", "2020-01-01", program="METRO").to_json())
    (data / "bus.json").write_text(json.dumps(V1.to_document()))
    (data / "notes.txt").write_text("not a tariff")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield "tariff_data_pkg"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tariff_data_pkg", None)


def test_shipped_reads_every_json_file_of_the_packages_data(shipped_package: str) -> None:
    book = TariffBook.shipped(shipped_package)

    assert book == TariffBook([V1, tariff("1", "2020-01-01", program="METRO")])
