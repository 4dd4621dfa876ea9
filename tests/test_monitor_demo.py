"""The demonstration's monitor history (tathmini/monitor/demo.py): after ``manage.py bootstrap``
with the demo records, the status page lists the demo e-services with availability figures and
incidents, and R01 has values; nothing is ever probed; loading again is a no-op within a day and
gives the same history for the same moment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tathmini.measure import engine
from tathmini.measure.models import Value
from tathmini.monitor import demo, services
from tathmini.monitor.models import Check, Flip, Incident, MonitorDay, State
from tathmini.registry.models import EService
from tathmini.strategy.models import Indicator
from tests.conftest import PLAN_CODE


@pytest.fixture(scope="module")
def bootstrapped(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    # Loaded once for the module inside a transaction rolled back at the end, as in
    # tests/test_demo_data.py, so that other modules never see these rows.
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("bootstrap", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def demo_eservices() -> int:
    today = datetime.now(UTC).date()
    return EService.objects.live_on(today).filter(illustrative=True).exclude(url="").count()


@pytest.mark.django_db
def test_after_bootstrap_the_status_page_lists_the_demo_services_with_figures_and_incidents(
    bootstrapped: str,
) -> None:
    live = demo_eservices()
    assert live > 100
    assert f"Demo monitor history loaded for {live:,} e-services" in bootstrapped
    data = Client().get(reverse("monitor:overview_json")).json()
    counts = data["counts"]
    assert counts["up"] + counts["down"] == live and counts["unknown"] == counts["paused"] == 0
    assert 1 <= counts["down"] < live // 10  # a few are down now, most are up
    for window in ("30d", "90d"):
        figure = data["availability"][window]
        assert figure["seconds_monitored"] >= live * (int(window[:-1]) - 1) * 86400  # the whole window, about
        assert 97 < figure["percent"] < 100  # realistic: high, not perfect
    assert len(data["institutions"]) > 50
    assert all(i["availability"]["30d"]["percent"] is not None for i in data["institutions"])
    assert len(data["incidents"]) == 20  # the page's latest 20, all within the last 90 days
    assert [s["state"] for s in data["down"]] == ["down"] * counts["down"]
    html = Client().get(reverse("monitor:overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    institutions = html.split('id="inst-h"')[1].split("</section>")[0]
    assert institutions.count("<tr>") == len(data["institutions"]) + 1 and " %" in institutions
    assert html.split('id="inc-h"')[1].split("</section>")[0].count("<tr>") == 21


@pytest.mark.django_db
def test_a_demo_service_page_says_it_is_demonstration_data_and_shows_staff_its_hours(
    bootstrapped: str, personas: dict[str, Any]
) -> None:
    check = Check.objects.filter(illustrative=True, state=State.DOWN).select_related("eservice").first()
    assert check is not None
    assert Incident.objects.filter(owner=check, ended_at__isnull=True).count() == 1  # derived from the flips
    client = personas["me_officer"].client()
    html = client.get(reverse("monitor:service", args=[check.eservice.code]), HTTP_ACCEPT_LANGUAGE="en")
    page = html.content.decode()
    assert "this address is made up and never probed" in page
    assert "Probes per hour, last 48 hours" in page
    rollups = client.get(reverse("monitor:service_json", args=[check.eservice.code])).json()["rollups"]
    assert len(rollups) in (47, 48) and all(r["probes"] == 60 for r in rollups)  # whole hours since 48 h ago
    # down now: the newest whole hour has failures when the outage began before that hour ended
    newest = datetime.fromisoformat(rollups[0]["hour"])
    assert check.state_since is not None
    assert (rollups[0]["failures"] > 0) == (check.state_since < newest + timedelta(hours=1))


@pytest.mark.django_db
def test_demo_checks_are_never_probed_nor_stopped_by_the_worker(bootstrapped: str) -> None:
    now = datetime.now(UTC)
    flips = Flip.objects.count()
    assert services.claim_due(now + timedelta(days=1)) == []  # every demo check is long due, none is claimed
    result = services.sync_checks(now)  # the sync leaves illustrative e-services and their checks alone
    assert (result.created, result.stopped, result.changed) == (0, 0, 0)
    assert Check.objects.filter(illustrative=True, active=False).count() == 0
    assert Flip.objects.count() == flips


@pytest.mark.django_db
def test_r01_has_values_for_the_plans_monitored_quarter(bootstrapped: str) -> None:
    r01 = Indicator.objects.get(plan__code=PLAN_CODE, code="R01")
    engine.refresh_indicator(r01, ["2015/16", "2016/17", "2016/17-Q3", "2016/17-Q4", "2017-06"])

    def value(period: str) -> Decimal | None:
        return Value.objects.get(indicator=r01, period=period, dimension="", group="").value

    assert value("2015/16") is None and value("2016/17-Q3") is None  # not monitored before April 2017
    for period in ("2016/17", "2016/17-Q4", "2017-06"):
        figure = value(period)
        assert figure is not None and Decimal(97) < figure < Decimal(100), period
    assert value("2016/17") == value("2016/17-Q4")  # the year's monitored days are the quarter's
    days = MonitorDay.objects.filter(eservice__illustrative=True, day__lt=date(2017, 7, 1))
    assert days.filter(day__lt=date(2017, 4, 1)).count() == 0


@pytest.mark.django_db
def test_loading_again_is_a_no_op_within_a_day_and_the_same_moment_gives_the_same_history(
    bootstrapped: str,
) -> None:
    rows = (Check.objects.count(), Flip.objects.count(), Incident.objects.count(), MonitorDay.objects.count())
    assert demo.load_demo_monitor() == 0
    assert (Check.objects.count(), Flip.objects.count(), Incident.objects.count(), MonitorDay.objects.count()) == rows

    def history() -> list[tuple[Any, ...]]:
        return list(
            Flip.objects.filter(owner__illustrative=True)
            .order_by("owner__eservice__code", "at")
            .values_list("owner__eservice__code", "at", "state", "cause", "detail")
        )

    later = datetime.now(UTC) + timedelta(days=2)  # a database bootstrapped again two days on
    assert demo.load_demo_monitor(later) == demo_eservices()
    first = history()
    assert max(at for _c, at, *_ in first) <= later
    Check.objects.filter(illustrative=True).update(last_probe_at=later - timedelta(days=3))  # stale again
    demo.load_demo_monitor(later)
    assert history() == first
