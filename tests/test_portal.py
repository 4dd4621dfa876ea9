"""The public portal's catalogue, e-service and institution pages, guides and open scoreboard."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tathmini.measure.models import Value
from tathmini.portal import search, testing
from tathmini.portal.models import Posting
from tathmini.portal.text import distance, fold, query_words
from tathmini.records import types as record_types
from tathmini.records.services import save_record, snapshot_before
from tathmini.registry.models import EService
from tathmini.strategy.models import FiscalYear, Indicator, Target
from tests.conftest import PLAN_CODE, Persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(db: Any) -> dict[str, EService]:
    brela = testing.institution(
        "t-brela", "Wakala wa Usajili wa Biashara na Leseni", "Business Registrations and Licensing Agency"
    )
    nida = testing.institution("t-nida", "Mamlaka ya Vitambulisho vya Taifa", "National Identification Authority")
    return {
        "register": testing.eservice(
            brela, "t-usajili", "Usajili wa Biashara", "Business registration", channels="web,mobile_app"
        ),
        "licence": testing.eservice(
            brela, "t-leseni", "Leseni ya Biashara", "Business licence", channels="web,sms", fee=Decimal("20000")
        ),
        "id": testing.eservice(
            nida,
            "t-kitambulisho",
            "Kitambulisho cha Taifa",
            "National identity card",
            life_event="identity",
            channels="service_centre",
            description_sw="Omba leseni? Hapana: kitambulisho.",
        ),
        "retired": testing.eservice(
            nida,
            "t-zamani",
            "Usajili wa zamani",
            "Old registration",
            retired_on=date(2013, 1, 1),
        ),
    }


def _codes(client: Client, **params: str) -> list[str]:
    response = client.get(reverse("portal:catalogue_json"), params)
    assert response.status_code == 200
    return [row["code"] for row in response.json()["results"]]


def test_folding_and_edit_distance_by_hand() -> None:
    assert fold("Usájili wa BIASHARA!") == "usajili wa biashara"
    assert query_words("Usajili wa biashara, usajili") == ["usajili", "biashara"]  # stopword and repeat gone
    assert query_words("wa ya") == ["wa", "ya"]  # only stopwords: searched as they are
    assert distance("usajiri", "usajili", 1) == 1
    assert distance("biashra", "biashara", 2) == 1
    assert distance("lesnei", "leseni", 1) == 1  # a swap of neighbours is one edit
    assert distance("kodi", "bima", 1) == 2  # over the limit: limit + 1


def test_search_ignores_case_and_accents(services: dict[str, EService]) -> None:
    # In the registration's name, and in the name of the licence's institution; the retired one is not offered.
    assert _codes(Client(), q="USÁJILI") == ["t-usajili", "t-leseni"]


def test_a_misspelled_swahili_word_still_finds_the_service(services: dict[str, EService]) -> None:
    client = Client()
    assert _codes(client, q="usajiri") == ["t-usajili", "t-leseni"]
    # A prefix: the licence's name (10), the registration's institution (4), the identity card's description (2).
    assert _codes(client, q="lesen") == ["t-leseni", "t-usajili", "t-kitambulisho"]
    page = client.get(reverse("portal:catalogue"), {"q": "kitambulsho"})
    assert "Kitambulisho cha Taifa" in page.content.decode()
    assert "kitambulisho" in page.context["result"].corrected


def test_results_are_ranked_by_words_matched_then_by_where(services: dict[str, EService]) -> None:
    client = Client()
    # Both words: in the licence's name (10 + 10); the registration has "biashara" in its name (10) and
    # "leseni" in its institution's (4); the identity card has only "leseni", in its description.
    assert _codes(client, q="leseni biashara") == ["t-leseni", "t-usajili", "t-kitambulisho"]
    assert _codes(client, q="leseni") == ["t-leseni", "t-usajili", "t-kitambulisho"]
    assert _codes(client, q="business licence") == ["t-leseni", "t-usajili"]


def test_filters_by_category_channel_and_institution(services: dict[str, EService]) -> None:
    client = Client()
    assert _codes(client, life_event="identity") == ["t-kitambulisho"]
    assert _codes(client, channel="sms") == ["t-leseni"]
    assert _codes(client, channel="mobile_app", q="biashara") == ["t-usajili"]
    assert _codes(client, institution="t-brela") == ["t-leseni", "t-usajili"]  # by Swahili name
    assert _codes(client, channel="not-a-channel") == ["t-kitambulisho", "t-leseni", "t-usajili"]  # ignored


def test_the_html_page_and_its_json_twin_list_the_same_services(services: dict[str, EService]) -> None:
    client = Client()
    page = client.get(reverse("portal:catalogue"), {"q": "biashara"})
    assert page.status_code == 200
    html_codes = [es.code for es in page.context["result"].services]
    # A tie (the word in both names and both institutions' names): the older record first.
    assert html_codes == _codes(client, q="biashara") == ["t-usajili", "t-leseni"]
    assert 'role="search"' in page.content.decode() and '<label for="q">' in page.content.decode()


def test_the_index_follows_edits_through_the_records_write_path(
    services: dict[str, EService], personas: dict[str, Persona]
) -> None:
    client = Client()
    assert _codes(client, q="biashara")  # builds the index
    es = services["id"]
    before = snapshot_before(es)
    es.name_sw = "Cheti cha Kuzaliwa"
    save_record(record_types.get("eservices"), es, actor=personas["me_officer"].user, channel="web", before=before)
    assert _codes(client, q="kuzaliwa") == ["t-kitambulisho"]
    assert _codes(client, q="cheti kuzaliwa") == ["t-kitambulisho"]


def test_rows_loaded_without_the_audit_trail_are_indexed_too(services: dict[str, EService]) -> None:
    client = Client()
    assert _codes(client, q="pasipoti") == []
    testing.eservice(services["id"].institution, "t-pasipoti", "Pasipoti ya Kusafiria", "Passport")
    assert _codes(client, q="pasipoti") == ["t-pasipoti"]
    assert search.rebuild() == EService.objects.count()


def test_a_search_racing_the_first_build_uses_that_build(services: dict[str, EService]) -> None:
    assert search.refresh() == 4  # the first search on a new site builds the index
    postings = Posting.objects.count()
    # A search that found no index at the same moment: its claim on the state row fails, and it
    # searches the index just built instead of failing (PostgreSQL) or building it again (SQLite).
    assert search._first_build() == 0
    assert Posting.objects.count() == postings
    assert _codes(Client(), q="biashara") == ["t-usajili", "t-leseni"]


def test_search_queries_do_not_grow_with_the_catalogue(
    services: dict[str, EService], django_assert_max_num_queries: Any
) -> None:
    owner = services["register"].institution
    for n in range(30):
        testing.eservice(owner, f"t-ziada-{n}", f"Huduma ya biashara namba {n}", f"Business service {n}")
    client = Client()
    client.get(reverse("portal:catalogue"), {"q": "biashara"})  # index built
    with django_assert_max_num_queries(14):
        page = client.get(reverse("portal:catalogue"), {"q": "biashara leseni"})
    # The 30 new ones and the two named with "biashara", plus the identity card ("leseni" in its description).
    assert page.context["result"].total == 33
    assert len(page.context["result"].services) == 20  # one page


def test_an_eservice_page_shows_how_to_fee_channels_and_not_monitored(services: dict[str, EService]) -> None:
    es = services["licence"]
    es.how_to_sw = "Jaza fomu <b>mtandaoni</b>."
    es.save()
    page = Client().get(reverse("portal:eservice", args=[es.code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Jaza fomu &lt;b&gt;mtandaoni&lt;/b&gt;." in body
    assert "20,000" in body
    assert page.context["availability"] == "unmonitored"
    twin = Client().get(reverse("portal:eservice_json", args=[es.code])).json()
    assert twin["channels"] == ["web", "sms"]
    assert twin["fee_tzs"] == "20000.00"
    assert twin["availability_30_days"] == {"monitored": False, "percent": None}
    assert twin["satisfaction"] == {"responses": 0, "mean_1_5": None}
    assert Client().get(reverse("portal:eservice", args=["no-such"])).status_code == 404


def test_an_institution_page_lists_its_live_services(services: dict[str, EService]) -> None:
    page = Client().get(reverse("portal:institution", args=["t-nida"]))
    assert [es.code for es in page.context["services"]] == ["t-kitambulisho"]
    twin = Client().get(reverse("portal:institution_json", args=["t-nida"])).json()
    assert [row["code"] for row in twin["eservices"]] == ["t-kitambulisho"]


def test_guides_link_to_the_catalogue_and_forms(db: Any) -> None:
    index = Client().get(reverse("portal:guides"))
    assert index.status_code == 200
    page = Client().get(reverse("portal:guide", args=["kusajili-biashara"]))
    assert f'href="{reverse("portal:catalogue")}?life_event=business"' in page.content.decode()
    assert Client().get(reverse("portal:guide", args=["no-such"])).status_code == 404


def test_the_scoreboard_rates_each_year_against_its_target(plan: Any, django_assert_max_num_queries: Any) -> None:
    k04 = Indicator.objects.get(plan=plan, code="K04")
    k09 = Indicator.objects.get(plan=plan, code="K09")
    fy = {f.code: f for f in FiscalYear.objects.filter(plan=plan)}
    Target.objects.create(indicator=k04, fiscal_year=fy["2013/14"], value=Decimal(200))
    Target.objects.create(indicator=k04, fiscal_year=fy["2014/15"], value=Decimal(200))
    Target.objects.create(indicator=k09, fiscal_year=fy["2013/14"], value=Decimal(20))
    at = datetime(2016, 1, 1, tzinfo=UTC)

    def value(ind: Indicator, period: str, v: str) -> None:
        start = date(int(period[:4]), 7, 1)
        Value.objects.create(
            indicator=ind,
            period=period,
            period_kind="year",
            period_start=start,
            period_end=date(start.year + 1, 6, 30),
            value=Decimal(v),
            computed_at=at,
        )

    value(k04, "2013/14", "180")  # 10% short: on track
    value(k04, "2014/15", "150")  # 25% short: at risk
    value(k09, "2013/14", "30")  # days, lower is better: 50% worse: off track
    client = Client()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("portal:scoreboard"))
    assert page.status_code == 200
    twin = client.get(reverse("portal:scoreboard_json")).json()
    assert twin["plan"] == PLAN_CODE
    by_code = {row["code"]: {y["fiscal_year"]: y for y in row["years"]} for row in twin["indicators"]}
    assert by_code["K04"]["2013/14"] == {
        "fiscal_year": "2013/14",
        "value": 180.0,
        "target": 200.0,
        "rating": "on_track",
        "rating_label": str(by_code["K04"]["2013/14"]["rating_label"]),
    }
    assert by_code["K04"]["2014/15"]["rating"] == "at_risk"
    assert by_code["K09"]["2013/14"]["rating"] == "off_track"
    assert by_code["K04"]["2015/16"]["rating"] == "no_data"
    rows = list(csv.reader(io.StringIO(client.get(reverse("portal:scoreboard_csv")).content.decode("utf-8-sig"))))
    assert rows[0] == ["indicator", "name", "unit", "direction", "fiscal_year", "value", "target", "rating"]
    k04_row = next(r for r in rows if r[0] == "K04" and r[4] == "2013/14")
    assert k04_row[5:] == ["180", "200", "on_track"]
    body = page.content.decode()
    assert "9 days" not in body and "30.0" in body  # K09 shown in days


def test_catalogue_json_is_valid_for_empty_queries(db: Any) -> None:
    data = json.loads(Client().get(reverse("portal:catalogue_json"), {"q": "zzzzqqq"}).content)
    assert data["total"] == 0 and data["results"] == []
