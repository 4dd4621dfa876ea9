"""The public status page, its per-institution and per-service views and their JSON twins, and
the staff's probe details (with the hourly figures packed in the day rows), pause/resume and the
form that edits a check's settings.

Time is fixed at NOW; every figure is worked out by hand from the flips written below:

    X (institution P): up from NOW−100 d; down NOW−50 d for 3 h; down again since NOW−1 h
        30 d: 2 592 000 s monitored, 3 600 down → 99.861 %
        90 d: 7 776 000 s monitored, 14 400 down → 99.814 %
    Y (institution P): up since NOW−10 d → 864 000 s, 100 % over both windows
    Z (institution Q): up NOW−40 d … NOW−20 d, then paused
        30 d: 864 000 s up (NOW−30 d … NOW−20 d); 90 d: 1 728 000 s up
    P: 30 d 3 452 400 / 3 456 000 = 99.8958 %; 90 d 8 625 600 / 8 640 000 = 99.8333 %
    all: 30 d 4 316 400 / 4 320 000 = 99.9166 %; 90 d 10 353 600 / 10 368 000 = 99.8611 %
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tathmini.core.models import AuditEvent
from tathmini.monitor import services
from tathmini.monitor.models import Check, Flip, Incident, State
from tathmini.monitor.prober import Cause
from tathmini.monitor.services import shard_key_of
from tathmini.registry.models import EService, Institution, Region

NOW = datetime(2014, 3, 31, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tathmini.monitor.views.utc_now", lambda: NOW)


def make(inst: Institution, code: str, timeline: list[tuple[datetime, str, str]], **fields: Any) -> Check:
    eservice = EService.objects.create(
        institution=inst,
        code=code,
        name_sw=f"Huduma {code}",
        name_en=f"Service {code}",
        life_event="tax",
        channels="web",
        url=f"https://{code}.example.go.tz/",
        launched_on=date(2013, 1, 1),
    )
    last_state, last_at = timeline[-1][1], timeline[-1][0]
    check = Check.objects.create(
        eservice=eservice,
        url=eservice.url,
        shard_key=shard_key_of(eservice.pk),
        next_due=NOW + timedelta(seconds=30),
        state=last_state,
        state_since=last_at,
        last_probe_at=NOW - timedelta(seconds=30),
        last_status=200,
        **fields,
    )
    previous: str = State.UNKNOWN
    for at, state, cause in timeline:
        Flip.objects.create(owner=check, at=at, state=state, previous=previous, cause=cause)
        if previous == State.DOWN:
            Incident.objects.filter(owner=check, ended_at__isnull=True).update(ended_at=at)
        if state == State.DOWN:
            Incident.objects.create(owner=check, started_at=at, cause=cause, detail="HTTP 503")
        previous = state
    return check


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    region = Region.objects.get(name="Dodoma")
    p = Institution.objects.create(
        code="status-p", name_sw="Taasisi P", name_en="Institution P", category="agency", region=region
    )
    q = Institution.objects.create(
        code="status-q", name_sw="Taasisi Q", name_en="Institution Q", category="lga", region=region
    )
    x = make(
        p,
        "status-x",
        [
            (NOW - 100 * DAY, State.UP, ""),
            (NOW - 50 * DAY, State.DOWN, Cause.STATUS),
            (NOW - 50 * DAY + 3 * HOUR, State.UP, ""),
            (NOW - HOUR, State.DOWN, Cause.STATUS),
        ],
        last_cause=Cause.STATUS,
        last_detail="HTTP 503",
    )
    y = make(p, "status-y", [(NOW - 10 * DAY, State.UP, "")])
    z = make(q, "status-z", [(NOW - 40 * DAY, State.UP, ""), (NOW - 20 * DAY, State.UNKNOWN, "")], paused=True)
    return {"p": p, "q": q, "x": x, "y": y, "z": z}


def test_the_status_page_shows_what_is_down_and_each_institutions_availability(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        page = Client().get(reverse("monitor:overview"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    down = html.split('id="down-h"')[1].split("</section>")[0]
    assert "Service status-x" in down and "Service status-y" not in down
    institutions = html.split('id="inst-h"')[1].split("</section>")[0]
    assert "99.89 %" in institutions and "99.83 %" in institutions  # P, truncated to hundredths
    assert "100.00 %" in institutions  # Q over 30 days: all of its monitored time was up
    assert "99.91 %" in html and "99.86 %" in html  # everything, 30 and 90 days
    incidents = html.split('id="inc-h"')[1].split("</section>")[0]
    assert incidents.count("<tr>") == 3  # the header and the two incidents of X
    assert "Probe details" not in html


def test_the_json_twin_carries_the_same_figures(world: dict[str, Any]) -> None:
    data = Client().get(reverse("monitor:overview_json"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["generated_at"] == "2014-03-31T12:00:00Z"
    assert data["counts"] == {"up": 1, "down": 1, "unknown": 0, "paused": 1}
    assert data["availability"] == {
        "30d": {"percent": 99.9167, "seconds_monitored": 4_320_000, "seconds_up": 4_316_400},
        "90d": {"percent": 99.8611, "seconds_monitored": 10_368_000, "seconds_up": 10_353_600},
    }
    assert [s["code"] for s in data["down"]] == ["status-x"]
    assert data["down"][0]["state_since"] == "2014-03-31T11:00:00Z"
    assert "probe" not in data["down"][0]
    p = next(i for i in data["institutions"] if i["code"] == "status-p")
    assert (p["services"], p["up"], p["down"]) == (2, 1, 1)
    assert p["availability"]["90d"]["seconds_up"] == 8_625_600
    assert data["incidents"][0] == {
        "eservice": "status-x",
        "started_at": "2014-03-31T11:00:00Z",
        "ended_at": None,
        "duration_seconds": None,
        "cause": "status",
        "cause_label": "Unexpected status code",
    }
    assert data["incidents"][1]["duration_seconds"] == 3 * 3600


def test_the_institution_view_lists_each_service_with_its_state(world: dict[str, Any]) -> None:
    page = Client().get(reverse("monitor:institution", args=["status-p"]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'state-down">Down' in html and 'state-up">Up' in html
    assert "99.86 %" in html and "99.81 %" in html and "100.00 %" in html
    data = Client().get(reverse("monitor:institution_json", args=["status-p"])).json()
    assert [(s["code"], s["state"]) for s in data["services"]] == [("status-x", "down"), ("status-y", "up")]
    assert data["services"][0]["availability"]["30d"]["seconds_up"] == 2_592_000 - 3600
    assert Client().get(reverse("monitor:institution", args=["no-such"])).status_code == 404


def test_a_paused_service_says_so_and_counts_only_its_monitored_time(world: dict[str, Any]) -> None:
    data = Client().get(reverse("monitor:service_json", args=["status-z"])).json()
    assert data["state"] == "paused"
    assert data["availability"]["30d"] == {"percent": 100.0, "seconds_monitored": 864_000, "seconds_up": 864_000}
    assert data["availability"]["90d"]["seconds_monitored"] == 1_728_000


def test_probe_details_are_for_staff_only(world: dict[str, Any], personas: dict[str, Any]) -> None:
    url = reverse("monitor:service", args=["status-x"])
    json_url = reverse("monitor:service_json", args=["status-x"])
    for name in ("anonymous", "outsider", "focal_person", "manager"):
        client = personas[name].client()
        assert "Probe details" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode(), name
        assert "probe" not in client.get(json_url).json(), name
    for name in ("administrator", "me_officer", "agency_officer"):
        client = personas[name].client()
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Probe details" in html and "HTTP 503" in html, name
        assert reverse("monitor:pause", args=["status-x"]) in html
        probe = client.get(json_url).json()["probe"]
        assert (probe["last_status"], probe["last_detail"], probe["paused"]) == (200, "HTTP 503", False), name
    assert Client().get(reverse("monitor:service", args=["no-such"])).status_code == 404


def test_staff_pause_and_resume_a_check_through_a_form_and_it_is_audited(
    world: dict[str, Any], personas: dict[str, Any]
) -> None:
    url = reverse("monitor:pause", args=["status-x"])
    officer = personas["agency_officer"]
    client = officer.client()
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="action" value="pause"' in form and "csrfmiddlewaretoken" in form
    response = client.post(url, {"action": "pause"})
    assert response.status_code == 302 and response["Location"] == reverse("monitor:service", args=["status-x"])
    x = Check.objects.get(pk=world["x"].pk)
    assert x.paused and x.state == State.UNKNOWN
    # Monitoring stops at the end of the last probe's slot, NOW − 30 s + 60 s = NOW + 30 s, capped at NOW
    assert Incident.objects.get(owner=x, ended_at__isnull=False, started_at=NOW - HOUR).ended_at == NOW
    assert 'value="resume"' in client.get(url).content.decode()
    client.post(url, {"action": "resume"})
    x.refresh_from_db()
    assert not x.paused and x.next_due == NOW
    events = list(AuditEvent.objects.filter(object_id=str(x.pk), content_type__model="check").order_by("pk"))
    assert [(e.actor, e.channel, e.changes) for e in events] == [
        (officer.user, "web", {"paused": [False, True]}),
        (officer.user, "web", {"paused": [True, False]}),
    ]


def test_others_cannot_pause(world: dict[str, Any], personas: dict[str, Any]) -> None:
    url = reverse("monitor:pause", args=["status-y"])
    for name in ("outsider", "focal_person", "manager"):
        assert personas[name].client().post(url, {"action": "pause"}).status_code == 403, name
    anonymous = Client().post(url, {"action": "pause"})
    assert anonymous.status_code == 302 and "/accounts/" in anonymous["Location"]
    assert not Check.objects.get(pk=world["y"].pk).paused


def test_the_overview_costs_the_same_queries_for_many_services(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        make(world["q"], f"status-many-{n}", [(NOW - 5 * DAY, State.UP, ""), (NOW - DAY, State.DOWN, Cause.TIMEOUT)])
    with django_assert_max_num_queries(8):
        assert Client().get(reverse("monitor:overview")).status_code == 200
    with django_assert_max_num_queries(8):
        assert Client().get(reverse("monitor:institution", args=["status-q"])).status_code == 200


# --- The hourly figures staff see -----------------------------------------------------------
def test_staff_see_the_last_48_hours_of_probe_figures_from_the_day_rows(
    world: dict[str, Any], personas: dict[str, Any]
) -> None:
    x = world["x"]
    services.write_hours(
        {
            (x.pk, date(2014, 3, 29)): {11: [60, 0, 60, 90, 190, 260], 12: [60, 0, 60, 100, 200, 250]},
            (x.pk, date(2014, 3, 31)): {10: [60, 3, 57, 120, 300, 450], 11: [60, 60, 60, 80, 95, 99]},
        }
    )
    client = personas["me_officer"].client()
    html = client.get(reverse("monitor:service", args=["status-x"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = html.split("Probes per hour, last 48 hours")[1].split("</table>")[0]
    # NOW is 12:00 UTC on the 31st: the hours from 12:00 on the 29th, newest first (11:00 on the
    # 29th is older), shown in the Agency's time zone (UTC+3)
    assert re.findall(r'<th scope="row"><time datetime="([^"]+)"', table) == [
        "2014-03-31T14:00:00+03:00",
        "2014-03-31T13:00:00+03:00",
        "2014-03-29T15:00:00+03:00",
    ]
    assert "<td>60</td><td>3</td><td>120</td><td>300</td><td>450</td>" in table
    rollups = client.get(reverse("monitor:service_json", args=["status-x"])).json()["rollups"]
    assert rollups == [
        {
            "hour": "2014-03-31T11:00:00Z",
            "probes": 60,
            "failures": 60,
            "answered": 60,
            "p50_ms": 80,
            "p95_ms": 95,
            "max_ms": 99,
        },
        {
            "hour": "2014-03-31T10:00:00Z",
            "probes": 60,
            "failures": 3,
            "answered": 57,
            "p50_ms": 120,
            "p95_ms": 300,
            "max_ms": 450,
        },
        {
            "hour": "2014-03-29T12:00:00Z",
            "probes": 60,
            "failures": 0,
            "answered": 60,
            "p50_ms": 100,
            "p95_ms": 200,
            "max_ms": 250,
        },
    ]
    assert "rollups" not in Client().get(reverse("monitor:service_json", args=["status-x"])).json()


# --- Editing a check's settings ---------------------------------------------------------------
SETTINGS = {
    "interval_seconds": "300",
    "expect_status_min": "200",
    "expect_status_max": "399",
    "expect_keyword": "Karibu",
    "max_response_ms": "2000",
}


def check_events(check: Check) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(check.pk), content_type__model="check").order_by("pk"))


def test_an_administrator_edits_a_checks_settings_and_it_is_audited(
    world: dict[str, Any], personas: dict[str, Any]
) -> None:
    admin = personas["administrator"]
    client = admin.client()
    service_page = client.get(reverse("monitor:service", args=["status-x"]), HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("monitor:edit", args=["status-x"])
    assert url in service_page.content.decode()
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and 'name="interval_seconds" value="60"' in form.content.decode()
    response = client.post(url, SETTINGS)
    assert response.status_code == 302 and response["Location"] == reverse("monitor:service", args=["status-x"])
    x = Check.objects.get(pk=world["x"].pk)
    assert (x.interval_seconds, x.expect_status_min, x.expect_status_max, x.expect_keyword, x.max_response_ms) == (
        300,
        200,
        399,
        "Karibu",
        2000,
    )
    assert x.next_due == NOW + timedelta(seconds=30)  # a longer interval starts from the slot already planned
    assert x.expectation.status_max == 399  # what the next probe is told to expect
    [event] = check_events(x)
    assert (event.actor, event.channel, event.action, event.changes) == (
        admin.user,
        "web",
        "update",
        {
            "interval_seconds": [60, 300],
            "expect_status_max": [299, 399],
            "expect_keyword": ["", "Karibu"],
            "max_response_ms": [None, 2000],
        },
    )
    client.post(url, SETTINGS)  # the same values again: nothing to record
    assert len(check_events(x)) == 1
    client.post(url, {**SETTINGS, "interval_seconds": "30"})
    x.refresh_from_db()
    assert (x.interval_seconds, x.next_due) == (30, NOW)  # a shorter interval takes effect at once
    assert check_events(x)[-1].changes == {"interval_seconds": [300, 30]}


def test_the_admin_site_edits_a_check_through_the_same_audited_write(
    world: dict[str, Any], personas: dict[str, Any]
) -> None:
    admin = personas["administrator"]
    url = reverse("admin:monitor_check_change", args=[world["y"].pk])
    response = admin.client().post(url, {**SETTINGS, "expect_keyword": ""})
    assert response.status_code == 302
    y = Check.objects.get(pk=world["y"].pk)
    assert (y.interval_seconds, y.expect_status_max) == (300, 399)
    [event] = check_events(y)
    assert (event.actor, event.changes) == (
        admin.user,
        {"interval_seconds": [60, 300], "expect_status_max": [299, 399], "max_response_ms": [None, 2000]},
    )


def test_only_roles_that_may_change_checks_edit_them(world: dict[str, Any], personas: dict[str, Any]) -> None:
    url = reverse("monitor:edit", args=["status-x"])
    for name in ("me_officer", "agency_officer", "manager", "focal_person", "outsider"):
        client = personas[name].client()
        assert client.get(url).status_code == 403, name
        assert client.post(url, SETTINGS).status_code == 403, name
    # staff who see the probe details without the permission get no link to the form
    page = personas["me_officer"].client().get(reverse("monitor:service", args=["status-x"]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Probe details" in html and url not in html
    anonymous = Client().post(url, SETTINGS)
    assert anonymous.status_code == 302 and "/accounts/" in anonymous["Location"]
    x = Check.objects.get(pk=world["x"].pk)
    assert (x.interval_seconds, x.expect_status_max, x.expect_keyword) == (60, 299, "")
    assert check_events(x) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"expect_status_min": "500", "expect_status_max": "400"},
            "expect_status_max",
            "cannot be below the lowest (500)",
        ),
        ({"interval_seconds": "5"}, "interval_seconds", "greater than or equal to 10"),
        ({"interval_seconds": "86401"}, "interval_seconds", "less than or equal to 86400"),
        ({"expect_status_min": "99"}, "expect_status_min", "greater than or equal to 100"),
        ({"expect_status_max": "600"}, "expect_status_max", "less than or equal to 599"),
        ({"max_response_ms": "20000"}, "max_response_ms", "after 10000 ms"),
        ({"interval_seconds": ""}, "interval_seconds", "This field is required"),
    ],
)
def test_invalid_settings_get_field_errors_and_change_nothing(
    world: dict[str, Any], personas: dict[str, Any], settings: Any, change: dict[str, str], field: str, message: str
) -> None:
    settings.MONITOR_TIMEOUT_SECONDS = 10
    response = (
        personas["administrator"]
        .client()
        .post(reverse("monitor:edit", args=["status-x"]), {**SETTINGS, **change}, HTTP_ACCEPT_LANGUAGE="en")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    x = Check.objects.get(pk=world["x"].pk)
    assert (x.interval_seconds, x.expect_status_min, x.expect_status_max, x.max_response_ms) == (60, 200, 299, None)
    assert check_events(x) == []
