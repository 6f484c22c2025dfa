"""The PASI intervention catalogue as versioned, effective-dated data per program, and the
conformity checks C1–C8 over interventions. Pure: the interventions service runs the checks at
declaration, the reporting service at *verify*, with the same code and the same data.

    catalogues = load_default_catalogue()
    context = CheckContext(catalogues, load_default_rulebook(), today, agreement_volets)
    findings = check(items, persons, context, others=existing)
    summary = summarize(findings)
"""

from gsi_conformity.book import CatalogueBook, CataloguePublishRefused, NoCatalogue, load_default_catalogue
from gsi_conformity.catalogue import KNOWN_VOLETS, Catalogue, CodeRule, Outliers, UnknownCode
from gsi_conformity.checks import check, summarize
from gsi_conformity.messages import TEMPLATES
from gsi_conformity.model import CHECKS, CheckContext, Finding, Item, PersonRecord, Summary

__all__ = [
    "CHECKS",
    "KNOWN_VOLETS",
    "TEMPLATES",
    "Catalogue",
    "CatalogueBook",
    "CataloguePublishRefused",
    "CheckContext",
    "CodeRule",
    "Finding",
    "Item",
    "NoCatalogue",
    "Outliers",
    "PersonRecord",
    "Summary",
    "UnknownCode",
    "check",
    "load_default_catalogue",
    "summarize",
]
