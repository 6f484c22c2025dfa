"""The control page's table, a page at a time (portal.routes.review_submission): the rejection
form carries the page and the filter, so that a refusal shows the same rows again."""

from __future__ import annotations

from portal.routes.review_submission import rejection_action, table_page

CONTROL = "/controle/org-estrie/2026-2027-Q2"


def test_the_rejection_form_goes_with_the_tables_page_and_filter() -> None:
    assert rejection_action(CONTROL, "", 1) == f"{CONTROL}/refus"
    assert rejection_action(CONTROL, "C5", 1) == f"{CONTROL}/refus?controle=C5"
    assert rejection_action(CONTROL, "C5", 3) == f"{CONTROL}/refus?controle=C5&page=3"
    assert rejection_action(CONTROL, "", 2) == f"{CONTROL}/refus?page=2"


def test_the_tables_page_is_a_positive_number() -> None:
    assert table_page({"page": "4"}) == 4
    assert [table_page(q) for q in ({}, {"page": "0"}, {"page": "-2"}, {"page": "deux"})] == [1, 1, 1, 1]
