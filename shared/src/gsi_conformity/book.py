"""Every version of every program's intervention catalogue, and the one in force on a day.

Publishing is append-only, like the eligibility rule book (:class:`gsi_eligibility.RuleBook`):
both are effective-dated books (:mod:`gsi_kernel.dated_book`, where the publishing rules are
written down), so any past quarter can be checked again with the catalogue of its days.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from gsi_conformity.catalogue import Catalogue, CodeRule, UnknownCode
from gsi_kernel.dated_book import BookWording, DatedBook
from gsi_kernel.errors import Conflict, NotFound


class CataloguePublishRefused(Conflict):
    """A catalogue version cannot be published or withdrawn (see :mod:`gsi_kernel.dated_book`)."""


class NoCatalogue(NotFound):
    """No catalogue of the program is in force on the day (or the version is unknown)."""


class CatalogueBook(DatedBook[Catalogue]):
    """Every version of every program's catalogue, oldest first per program."""

    __slots__ = ()
    wording = BookWording(
        prefix="catalogue",
        document_key="catalogues",
        refused=CataloguePublishRefused,
        missing=NoCatalogue,
        unknown_version=(
            "Version {version} du catalogue du programme {program} inconnue.",
            "Unknown version {version} of the {program} catalogue.",
        ),
        none_in_force=(
            "Aucun catalogue d'interventions du programme {program} en vigueur le {day}.",
            "No {program} intervention catalogue in force on {day}.",
        ),
        retroactive=(
            "Une version ne peut entrer en vigueur qu'à partir de demain (pas de catalogue rétroactif).",
            "A version can only take effect from tomorrow on (no retroactive catalogue).",
        ),
    )

    @classmethod
    def kind(cls) -> type[Catalogue]:
        return Catalogue

    def code_on(self, program: str, day: date, code: str) -> CodeRule:
        """``code``'s rule in the version in force on ``day``: what a declaration names, and what
        a question about eligibility for a code may name. An unknown code is refused (422, on
        the field ``code``) the same way wherever it is asked; no version in force: NoCatalogue."""
        try:
            return self.for_date(program, day).code(code)
        except UnknownCode as error:
            raise UnknownCode(
                error.code, error.fr, error.en, details={**error.details, "field": "code"}
            ) from None


@cache
def load_default_catalogue() -> CatalogueBook:
    """Every catalogue shipped in ``gsi_conformity/data/*.json`` (one file per program)."""
    return CatalogueBook.shipped("gsi_conformity")
