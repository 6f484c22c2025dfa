"""The inbox's links: a notice's path is a page of this portal, or no link at all."""

from __future__ import annotations

import pytest

from portal.routes.inbox import portal_link


@pytest.mark.parametrize(
    ("link", "page"),
    [
        ("/rapports/org-sherbrooke/2026-2027-Q2", "/rapports/org-sherbrooke/2026-2027-Q2"),
        ("/exceptions-verrouillage/abc", "/exceptions-verrouillage/abc"),
        ("/importations/42", "/imports/42"),  # notifications' name of the imports page
        ("https://example.org/rapports", None),  # never another site
        ("//example.org/x", None),
        ("", None),
        (None, None),
    ],
)
def test_a_notices_link_goes_to_a_portal_page(link: str | None, page: str | None) -> None:
    assert portal_link(link) == page
