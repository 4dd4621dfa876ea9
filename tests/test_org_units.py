from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tathmini.strategy.models import OrgUnit
from tathmini.strategy.selectors import org_unit_tree


def test_a_reorganisation_keeps_history(db: Any) -> None:
    # The demo help desk closes on 30 June 2015 and the 24/7 desk opens on 1 July 2015.
    before = {u.code for u, _ in org_unit_tree(date(2015, 6, 30))}
    after = {u.code for u, _ in org_unit_tree(date(2015, 7, 1))}
    assert "huduma-ushauri-dawati" in before and "huduma-ushauri-dawati247" not in before
    assert "huduma-ushauri-dawati247" in after and "huduma-ushauri-dawati" not in after


def test_tree_is_depth_first_with_levels(db: Any) -> None:
    tree = org_unit_tree(date(2016, 1, 1))
    codes = [u.code for u, _ in tree]
    depth = {u.code: d for u, d in tree}
    assert depth["huduma"] == 0 and depth["huduma-ushauri"] == 1 and depth["huduma-ushauri-usalama"] == 2
    # children come right after their parent, before the next department
    assert (
        codes.index("huduma")
        < codes.index("huduma-ushauri")
        < codes.index("huduma-ushauri-usalama")
        < codes.index("miundombinu")
    )


def test_a_section_cannot_sit_directly_under_a_department(db: Any) -> None:
    unit = OrgUnit(code="x", kind="section", parent=OrgUnit.objects.get(code="huduma"), name_sw="x", name_en="x")
    with pytest.raises(ValidationError):
        unit.full_clean()


def test_org_unit_page_filters_by_date_and_reports_a_bad_date(db: Any) -> None:
    client = Client()
    page = client.get("/org-units/?on=2014-01-01").content.decode()
    assert "Sehemu ya Dawati la Msaada" in page and "Dawati la Msaada saa 24" not in page
    bad = client.get("/org-units/?on=2014-13-45")
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.content.decode()
