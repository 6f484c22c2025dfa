"""Languages: French by default, English one click away; every string through gettext.

The catalogues are the committed ``locale/<lang>/LC_MESSAGES/messages.po`` files, compiled in
memory when the portal starts (no ``.mo`` file to build or to forget). Message ids are English.
Dates and numbers follow fr-CA / en-CA (Babel). ``python -m portal catalogs`` extracts the
messages again and updates the ``.pot`` and ``.po`` files (new messages arrive untranslated,
and a test fails until they are translated).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from babel.support import Translations

from gsi_kernel.clock import MONTREAL

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT_LANGUAGE: Language = "fr"
LOCALES: dict[Language, str] = {"fr": "fr_CA", "en": "en_CA"}

PACKAGE = Path(__file__).parent
LOCALE_DIR = PACKAGE / "locale"
BABEL_CFG = PACKAGE.parents[1] / "babel.cfg"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def language_of(value: str | None) -> Language:
    return "en" if value == "en" else DEFAULT_LANGUAGE


def po_path(language: Language) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: Language) -> Catalog:
    with po_path(language).open("rb") as po:
        return read_po(po, locale=language)


def translations(language: Language) -> Translations:
    """The language's catalogue, compiled in memory from its ``.po`` file."""
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(language))
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


class Formats:
    """Dates and numbers as a person of the language reads them ("6 décembre 2026")."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = Locale.parse(LOCALES[language])

    def date(self, value: date | str | None) -> str:
        if value is None:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, format="long", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment, format="medium", tzinfo=MONTREAL, locale=self.locale)

    def number(self, value: float | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)


def extract_messages() -> Catalog:
    """Every message of the portal's code and templates, as ``babel.cfg`` says where to look."""
    method_map, options_map = _read_babel_cfg()
    catalog = Catalog(project="GSI portal", domain=DOMAIN, fuzzy=False)
    root = BABEL_CFG.parent
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


_FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)


def _new_catalog(language: Language) -> Catalog:
    catalog = Catalog(locale=language, domain=DOMAIN, project="GSI portal", fuzzy=False)
    catalog.creation_date = catalog.revision_date = _FIXED_DATE
    # gettext's two forms (French: 0 and 1 are singular), not CLDR's three fr forms that
    # translators' tools do not expect; read back from the header afterwards.
    plural = "(n > 1)" if language == "fr" else "(n != 1)"
    catalog.mime_headers = [*catalog.mime_headers, ("Plural-Forms", f"nplurals=2; plural={plural};")]
    return catalog


def _read_babel_cfg() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    from babel.messages.frontend import parse_mapping_cfg

    with BABEL_CFG.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    return list(method_map), dict(options_map)


def update_catalogs() -> None:
    """Write ``messages.pot`` from the sources and merge it into each language's ``.po``."""
    template = extract_messages()
    template.creation_date = template.revision_date = _FIXED_DATE  # no churn in the diffs
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as pot:
        write_po(pot, template, omit_header=False, sort_output=True, no_location=True)
    for language in LANGUAGES:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(language) if path.exists() else _new_catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as po:
            write_po(po, catalog, sort_output=True, no_location=True, ignore_obsolete=True)
