"""Two people saving the same thing from copies opened at the same time: the second is told who
changed it and what it holds now, nothing is overwritten, and the second can then save knowingly.

The pages are driven as a browser drives them: each form is read from the page's HTML (with its
hidden fields) and posted back with only what the person typed changed. Covered: the baselines
and targets page, the admin's inlines, and the generic record edit and delete pages; on PostgreSQL
also two real transactions at once, on separate connections.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.core import versions
from tathmini.core.models import AuditEvent
from tathmini.measure import selectors
from tathmini.measure.models import Value
from tathmini.registry.models import Standard
from tathmini.strategy import targets
from tathmini.strategy.models import Baseline, FiscalYear, Indicator, OrgUnit, Plan, Target
from tests.conftest import PLAN_CODE


# --- a browser's view of a form -------------------------------------------------------------------
class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("class", ""), {}))
        if not self.forms or ("name" not in a and tag != "option"):
            return
        fields = self.forms[-1][1]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                fields.setdefault(self._select, value)
            if "selected" in a:
                fields[self._select] = value
        elif tag == "textarea":
            self._textarea = a["name"]
            fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.forms:
            self.forms[-1][1][self._textarea] += data.removeprefix("\n")


def form_on(html: bytes, css_class: str) -> dict[str, str]:
    """What the browser would post from the page's form of that class, untouched."""
    parser = _Forms()
    parser.feed(html.decode())
    found = [fields for classes, fields in parser.forms if css_class in classes.split()]
    assert len(found) == 1, f"expected one form of class {css_class}"
    return dict(found[0])


def row_of(data: dict[str, str], prefix: str, pk: int) -> str:
    """The prefix of the formset row that shows the stored row ``pk``: "targets-2"."""
    [name] = [k for k, v in data.items() if k.startswith(f"{prefix}-") and k.endswith("-id") and v == str(pk)]
    return name.removesuffix("-id")


# --- the world ------------------------------------------------------------------------------------
def officer(name: str) -> Client:
    user = User.objects.create_user(
        username=name, password="Afisa-2026-siri", org_unit=OrgUnit.objects.get(code="huduma")
    )
    user_set_roles(user, [Role.ME_OFFICER])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the messages below are read in English
    client.force_login(user)
    return client


@pytest.fixture
def k04(db: Any) -> Indicator:
    indicator = Indicator.objects.select_related("plan").get(plan__code=PLAN_CODE, code="K04")
    Target.objects.filter(indicator=indicator).delete()
    Baseline.objects.filter(indicator=indicator).delete()
    return indicator


def year(code: str) -> FiscalYear:
    return FiscalYear.objects.get(plan__code=PLAN_CODE, code=code)


def events_of(row: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(row)), object_id=str(row.pk)
        ).order_by("at", "pk")
    )


def targets_url(indicator: Indicator) -> str:
    return reverse("measure:targets", args=[indicator.pk])


# --- the baselines and targets page ---------------------------------------------------------------
def test_the_second_save_from_a_stale_copy_is_refused_and_the_first_kept(k04: Indicator) -> None:
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    asha_copy = form_on(asha.get(url).content, "targets-form")
    baraka_copy = form_on(baraka.get(url).content, "targets-form")  # opened at the same time
    row = row_of(asha_copy, "targets", target.pk)
    assert asha_copy[f"{row}-value"] == "50"

    asha_copy[f"{row}-value"] = "60"
    assert asha.post(url, asha_copy).status_code == 302

    baraka_copy[f"{row}-value"] = "70"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Nothing was saved" in html
    assert "this row was changed by asha at " in html
    assert "it now reads 2013/14, the whole Agency: 60." in html
    target.refresh_from_db()
    assert target.value == Decimal("60")  # Asha's value stands
    [event] = events_of(target)  # one change: Asha's; Baraka's wrote nothing
    assert (event.actor_label, event.action, event.changes) == ("asha", "update", {"value": ["50", "60"]})

    # Baraka's entry is kept in the form; saving it again, having seen Asha's 60, replaces it.
    again = form_on(refused.content, "targets-form")
    assert again[f"{row}-value"] == "70"
    assert baraka.post(url, again).status_code == 302
    target.refresh_from_db()
    assert target.value == Decimal("70")
    assert [(e.actor_label, e.changes) for e in events_of(target)] == [
        ("asha", {"value": ["50", "60"]}),
        ("baraka", {"value": ["60", "70"]}),
    ]


def test_after_a_refusal_a_reload_gives_a_copy_that_saves(k04: Indicator) -> None:
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    stale = form_on(baraka.get(url).content, "targets-form")
    fresh = form_on(asha.get(url).content, "targets-form")
    row = row_of(fresh, "targets", target.pk)
    fresh[f"{row}-value"] = "60"
    asha.post(url, fresh)
    stale[f"{row}-value"] = "65"
    assert baraka.post(url, stale).status_code == 200  # refused

    reloaded = form_on(baraka.get(url).content, "targets-form")
    assert reloaded[f"{row}-value"] == "60"
    reloaded[f"{row}-value"] = "65"
    assert baraka.post(url, reloaded).status_code == 302
    target.refresh_from_db()
    assert target.value == Decimal("65")


def test_a_row_the_second_officer_left_alone_is_not_written_back(k04: Indicator) -> None:
    first = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    second = Target.objects.create(indicator=k04, fiscal_year=year("2014/15"), value=Decimal("55"))
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    asha_copy = form_on(asha.get(url).content, "targets-form")
    baraka_copy = form_on(baraka.get(url).content, "targets-form")
    asha_copy[f"{row_of(asha_copy, 'targets', first.pk)}-value"] = "60"
    assert asha.post(url, asha_copy).status_code == 302

    # Baraka changes only the other year: his page still shows 50 for 2013/14, which he did not touch.
    baraka_copy[f"{row_of(baraka_copy, 'targets', second.pk)}-value"] = "58"
    assert baraka.post(url, baraka_copy).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.value, second.value) == (Decimal("60"), Decimal("58"))
    assert [e.actor_label for e in events_of(first)] == ["asha"]
    assert [e.actor_label for e in events_of(second)] == ["baraka"]


def test_a_delete_from_a_stale_copy_is_refused_then_confirmed(k04: Indicator) -> None:
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    asha_copy = form_on(asha.get(url).content, "targets-form")
    baraka_copy = form_on(baraka.get(url).content, "targets-form")
    row = row_of(asha_copy, "targets", target.pk)
    asha_copy[f"{row}-value"] = "60"
    asha.post(url, asha_copy)

    baraka_copy[f"{row}-DELETE"] = "on"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    assert "Not deleted: this row was changed by asha at " in refused.content.decode()
    assert Target.objects.filter(pk=target.pk, value=Decimal("60")).exists()

    assert baraka.post(url, form_on(refused.content, "targets-form")).status_code == 302  # still ticked
    assert not Target.objects.filter(pk=target.pk).exists()
    assert [(e.actor_label, e.action) for e in events_of(target)] == [("asha", "update"), ("baraka", "delete")]


def test_a_change_to_a_row_deleted_meanwhile_is_refused(k04: Indicator) -> None:
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    asha_copy = form_on(asha.get(url).content, "targets-form")
    baraka_copy = form_on(baraka.get(url).content, "targets-form")
    row = row_of(asha_copy, "targets", target.pk)
    asha_copy[f"{row}-DELETE"] = "on"
    asha.post(url, asha_copy)

    baraka_copy[f"{row}-value"] = "70"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    assert "this row was deleted by asha at " in refused.content.decode()
    assert not Target.objects.filter(indicator=k04).exists()


def test_a_row_added_meanwhile_for_the_same_year_is_not_doubled(k04: Indicator) -> None:
    asha, baraka = officer("asha"), officer("baraka")
    url = targets_url(k04)
    asha_copy = form_on(asha.get(url).content, "targets-form")
    baraka_copy = form_on(baraka.get(url).content, "targets-form")
    # The page offers an empty row for each year without a target: 2012/13 comes first.
    assert asha_copy["targets-0-fiscal_year"] == str(year("2012/13").pk)
    asha_copy["targets-0-value"] = "40"
    assert asha.post(url, asha_copy).status_code == 302

    baraka_copy["targets-0-value"] = "45"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    assert "a row for the same slot was added by asha at " in refused.content.decode()
    assert list(Target.objects.filter(indicator=k04).values_list("value", flat=True)) == [Decimal("40")]


def test_new_rows_are_validated_and_audited(k04: Indicator) -> None:
    asha = officer("asha")
    url = targets_url(k04)
    data = form_on(asha.get(url).content, "targets-form")
    other_plan = Plan.objects.create(code="other-plan", name_sw="Mpango", name_en="Plan")
    foreign_year = FiscalYear.objects.create(
        plan=other_plan, code="2013/14", starts_on=date(2013, 7, 1), ends_on=date(2014, 6, 30)
    )
    last = int(data["targets-TOTAL_FORMS"]) - 1  # the blank row at the end
    data.update({"targets-0-value": "40", "targets-1-value": "not a number"})
    data.update({f"targets-{last}-fiscal_year": str(foreign_year.pk), f"targets-{last}-value": "1"})
    response = asha.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a number." in html
    assert "Select a valid choice." in html  # a fiscal year of another plan
    assert not Target.objects.filter(indicator=k04).exists()  # the valid row waits for the others

    # Two rows for the same year and quarter: the second is refused.
    data = form_on(asha.get(url).content, "targets-form")
    first_year = data["targets-0-fiscal_year"]
    data.update({"targets-0-value": "40", "targets-1-fiscal_year": first_year, "targets-1-value": "41"})
    html = asha.post(url, data).content.decode()
    assert "Another row already gives the target for this fiscal year, quarter and org unit." in html
    assert not Target.objects.filter(indicator=k04).exists()

    # A baseline, a year target and a quarter target for one org unit, all saved and audited.
    data = form_on(asha.get(url).content, "targets-form")
    unit = OrgUnit.objects.get(code="huduma")
    data.update({"baselines-0-value": "12.5", "targets-0-value": "40"})
    data.update(
        {
            f"targets-{last}-fiscal_year": data["targets-1-fiscal_year"],
            f"targets-{last}-quarter": "2",
            f"targets-{last}-org_unit": str(unit.pk),
            f"targets-{last}-value": "9",
        }
    )
    response = asha.post(url, data, follow=True)
    assert "Saved 3 changes to the baselines and targets of K04." in response.content.decode()
    baseline = Baseline.objects.get(indicator=k04)
    assert (baseline.fiscal_year.code, baseline.org_unit, baseline.value) == ("2012/13", None, Decimal("12.5"))
    assert sorted(
        Target.objects.filter(indicator=k04).values_list("fiscal_year__code", "quarter", "org_unit", "value")
    ) == [
        ("2012/13", None, None, Decimal("40")),
        ("2013/14", 2, unit.pk, Decimal("9")),
    ]
    quarter = Target.objects.get(indicator=k04, quarter=2)
    [created] = events_of(quarter)
    assert created.action == "create" and created.changes["value"] == [None, "9"]
    assert created.changes["org_unit"] == [None, unit.pk]


def test_a_changed_target_changes_the_rating_shown(k04: Indicator) -> None:
    # A stored value of 50 for 2013/14 against a target of 100 is 50% short: off track (beyond 30%).
    Value.objects.create(
        indicator=k04,
        period="2013/14",
        period_kind="year",
        period_start=date(2013, 7, 1),
        period_end=date(2014, 6, 30),
        dimension="",
        group="",
        value=Decimal("50"),
        computed_at=datetime(2014, 7, 1, tzinfo=UTC),
    )
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("100"))

    def rating() -> str:
        [point] = [p for p in selectors.series(k04) if p.period.code == "2013/14"]
        return str(point.assessment.rating)

    assert rating() == "off_track"
    asha = officer("asha")
    url = targets_url(k04)
    data = form_on(asha.get(url).content, "targets-form")
    data[f"{row_of(data, 'targets', target.pk)}-value"] = "55"  # 50 against 55: 9% short, on track
    page = asha.post(url, data, follow=True)
    assert rating() == "on_track"
    assert '<span class="rating rating-on_track">' in page.content.decode()  # the indicator page, after saving


def test_only_me_officers_edit_targets_and_the_indicator_page_links_them(k04: Indicator, personas: Any) -> None:
    url = targets_url(k04)
    page = reverse("strategy:indicator", args=[PLAN_CODE, "K04"])
    assert url in personas["me_officer"].client().get(page).content.decode()
    assert url not in personas["manager"].client().get(page).content.decode()
    assert personas["manager"].client().post(url, {}).status_code == 403
    assert personas["administrator"].client().get(url).status_code == 403


# --- the admin's inlines --------------------------------------------------------------------------
def test_the_admin_refuses_a_target_saved_from_a_stale_copy(k04: Indicator) -> None:
    target = Target.objects.create(indicator=k04, fiscal_year=year("2013/14"), value=Decimal("50"))
    asha, baraka = officer("asha"), officer("baraka")  # the M&E role gives access to the admin
    url = reverse("admin:strategy_indicator_change", args=[k04.pk])
    asha_copy = _admin_form(asha, url)
    baraka_copy = _admin_form(baraka, url)
    row = row_of(asha_copy, "targets", target.pk)
    asha_copy[f"{row}-value"] = "60"
    assert asha.post(url, asha_copy).status_code == 302

    baraka_copy[f"{row}-value"] = "70"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    assert "this row was changed by asha at " in refused.content.decode()
    target.refresh_from_db()
    assert target.value == Decimal("60")
    [event] = events_of(target)
    assert (event.actor_label, event.changes) == ("asha", {"value": ["50", "60"]})


def _admin_form(client: Client, url: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(client.get(url).content.decode())
    [fields] = [f for _classes, f in parser.forms if "targets-TOTAL_FORMS" in f]
    fields.pop("_addanother", None)
    return {**fields, "_save": "Save"}


# --- the generic record pages ---------------------------------------------------------------------
@pytest.fixture
def standard(db: Any) -> Standard:
    return Standard.objects.create(code="stale-std", version="1", title_sw="Kiwango", title_en="Standard")


def test_a_record_saved_from_a_stale_copy_is_refused_then_saved_knowingly(standard: Standard) -> None:
    asha, baraka = officer("asha"), officer("baraka")
    url = reverse("records:edit", args=["standards", standard.pk])
    asha_copy = form_on(asha.get(url).content, "record-form")
    baraka_copy = form_on(baraka.get(url).content, "record-form")
    assert asha_copy[versions.FIELD] == versions.of(standard)

    asha_copy["title_en"] = "Standard, as Asha has it"
    assert asha.post(url, asha_copy).status_code == 302
    baraka_copy["title_en"] = "Standard, as Baraka has it"
    refused = baraka.post(url, baraka_copy)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Not saved: this record was changed by asha at " in html
    assert "Standard, as Asha has it" in html  # the current values are shown
    standard.refresh_from_db()
    assert standard.title_en == "Standard, as Asha has it"
    [event] = events_of(standard)
    assert event.actor_label == "asha"

    again = form_on(refused.content, "record-form")
    assert again["title_en"] == "Standard, as Baraka has it"  # his entry is kept
    assert baraka.post(url, again).status_code == 302
    standard.refresh_from_db()
    assert standard.title_en == "Standard, as Baraka has it"
    assert [e.actor_label for e in events_of(standard)] == ["asha", "baraka"]


def test_a_record_deleted_from_a_stale_copy_is_asked_again(standard: Standard) -> None:
    asha, baraka = officer("asha"), officer("baraka")
    edit = reverse("records:edit", args=["standards", standard.pk])
    delete = reverse("records:delete", args=["standards", standard.pk])
    confirm = form_on(baraka.get(delete).content, "form")
    asha_copy = form_on(asha.get(edit).content, "record-form")
    asha_copy["title_en"] = "Standard, revised"
    asha.post(edit, asha_copy)

    refused = baraka.post(delete, confirm)
    assert refused.status_code == 200
    assert "Not deleted: this record was changed by asha at " in refused.content.decode()
    assert Standard.objects.filter(pk=standard.pk).exists()
    assert baraka.post(delete, form_on(refused.content, "form")).status_code == 302
    assert not Standard.objects.filter(pk=standard.pk).exists()


# --- two transactions at once (PostgreSQL) --------------------------------------------------------
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db
def test_two_saves_at_once_lose_no_update() -> None:
    """Both officers' saves start from the same copy and run at the same time, each on its own
    connection. The first holds its lock while the second asks for it; when the first commits,
    the second finds the row changed and writes nothing."""
    # Committed rows the threads can see (this test's own transaction would hide them), removed after;
    # the test's transaction itself writes nothing.
    setup: dict[str, Any] = {}

    def prepare() -> None:
        indicator = Indicator.objects.get(plan__code=PLAN_CODE, code="K04")
        target = Target.objects.create(indicator=indicator, fiscal_year=year("2015/16"), value=Decimal("50"))
        users = [User.objects.create_user(username=f"concurrent-{n}") for n in ("asha", "baraka")]
        setup.update(indicator=indicator, target=target, users=users)

    def cleanup() -> None:
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Target), object_id=str(setup["target"].pk)
        ).delete()
        Target.objects.filter(pk=setup["target"].pk).delete()
        User.objects.filter(pk__in=[u.pk for u in setup["users"]]).delete()

    def in_thread(work: Any) -> threading.Thread:
        def run() -> None:
            try:
                work()
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    in_thread(prepare).join()
    try:
        indicator, target = setup["indicator"], setup["target"]
        _baselines, shown = targets.formsets(indicator)  # the copy both officers opened
        copy = {name: value for form in [shown.management_form, *shown.forms] for name, value in _posted(form).items()}
        row = row_of(copy, "targets", target.pk)
        first_holds_lock, first_may_commit = threading.Event(), threading.Event()
        outcome: dict[int, bool] = {}

        def save(who: int, value: str, hold: bool) -> None:
            data = {**copy, f"{row}-value": value}
            with transaction.atomic():
                _b, fs = targets.formsets(Indicator.objects.get(pk=indicator.pk), data)
                valid = fs.is_valid()
                outcome[who] = valid
                if valid:
                    targets.save(fs, actor=setup["users"][who])
                if hold:
                    first_holds_lock.set()
                    assert first_may_commit.wait(30)

        first = in_thread(lambda: save(0, "60", hold=True))
        assert first_holds_lock.wait(30)
        second = in_thread(lambda: save(1, "70", hold=False))
        _wait_for_a_lock_wait()
        first_may_commit.set()
        first.join(30)
        second.join(30)
        assert outcome == {0: True, 1: False}
        values = list(Target.objects.filter(pk=target.pk).values_list("value", flat=True))
        assert values == [Decimal("60")]
        changes = AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Target), object_id=str(target.pk)
        ).values_list("actor_label", "changes")
        assert list(changes) == [("concurrent-asha", {"value": ["50", "60"]})]
    finally:
        in_thread(cleanup).join()


def _posted(form: Any) -> dict[str, str]:
    """A rendered form's fields as the browser posts them, hidden initial values included."""
    parser = _Forms()
    parser.feed(f"<form>{form.as_div()}</form>")
    return parser.forms[0][1]


def _wait_for_a_lock_wait() -> None:
    """Until another connection waits on a row lock (the second save, behind the first)."""
    watcher = connections.create_connection("default")
    try:
        for _ in range(300):  # at most 30 s: the second thread has started and is about to ask
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.1)
        raise AssertionError("the second save never waited for the first's lock")
    finally:
        watcher.close()
