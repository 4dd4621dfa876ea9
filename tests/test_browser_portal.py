"""A citizen's walk through the public portal in Debian's Chromium, JavaScript and all, against the
live application: the misspelled search, a complaint followed to its resolution, an information
request turning overdue then answered, and a one-time survey invitation.

These tests need committed data the server thread can read, so they are transactional: they build
what they need themselves. Time is moved by replacing the portal's clock (the server runs in this
process, in a thread)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.feedback.models import Complaint, InformationRequest
from tathmini.portal import services, testing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
    # browser steps are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="sw-TZ")
    yield context.new_page()
    context.close()


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    owner = testing.institution("b-brela", "Wakala wa Usajili wa Biashara", "Business Registrations Agency")
    testing.eservice(owner, "b-leseni", "Leseni ya Biashara", "Business licence", how_to_sw="Jaza fomu mtandaoni.")
    testing.eservice(owner, "b-jina", "Usajili wa Jina la Biashara", "Business name registration")
    focal = User.objects.create_user(username="b-mratibu", password="Mratibu-2026-siri", institution=owner)
    user_set_roles(focal, [Role.FOCAL_PERSON])
    return {"institution": owner, "focal": focal}


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 7, 0, tzinfo=UTC)


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()


def test_a_citizen_finds_complains_and_sees_the_resolution(
    live_server: Any, page: Page, browser: Browser, world: dict[str, Any]
) -> None:
    base = live_server.url
    page.goto(f"{base}/huduma/")
    page.get_by_label(re.compile("Tafuta|Search", re.I)).first.fill("lesseni")  # misspelled "leseni"
    page.locator("form[role=search] button[type=submit]").click()
    first = page.locator("ul.cards li a").first
    expect(first).to_have_text("Leseni ya Biashara")
    first.click()
    expect(page.locator("h1")).to_have_text("Leseni ya Biashara")
    expect(page.locator("main")).to_contain_text("Jaza fomu mtandaoni.")

    page.locator("a[href='/huduma/malalamiko/?eservice=b-leseni']").click()
    page.locator("#id_category").select_option("delay")
    page.locator("#id_subject").fill("Leseni haijatolewa")
    page.locator("#id_description").fill("Nililipa ada lakini sijapata leseni.")
    page.locator("main form button[type=submit]").click()
    reference = Complaint.objects.get().reference
    expect(page.locator("main")).to_contain_text(reference)

    # Later, from another device with JavaScript off, by the reference number.
    other = browser.new_context(java_script_enabled=False).new_page()
    other.goto(f"{base}/huduma/fuatilia/")
    other.locator("#id_reference").fill(reference.lower().replace("-", " "))
    other.locator("main form button[type=submit]").click()
    expect(other.locator("h1")).to_contain_text(reference)
    expect(other.locator("main .status")).to_have_class(re.compile("status-open"))

    # The institution's focal person resolves it on the desk.
    staff = browser.new_context().new_page()
    sign_in(staff, base, "b-mratibu", "Mratibu-2026-siri")
    staff.goto(f"{base}/huduma/dawati/")
    staff.get_by_role("link", name=reference).click()
    staff.locator("#id_status").select_option("resolved")
    staff.locator("#id_note").fill("Leseni imetolewa; samahani kwa kuchelewa.")
    staff.locator("main form button[type=submit]").click()
    expect(staff.locator("main")).not_to_contain_text(reference)  # no longer open on the desk

    other.reload()
    expect(other.locator("main .status")).to_have_class(re.compile("status-resolved"))
    expect(other.locator("main")).to_contain_text("Leseni imetolewa; samahani kwa kuchelewa.")
    expect(other.locator("main")).not_to_contain_text("b-mratibu")


def test_an_information_request_turns_overdue_then_is_answered(
    live_server: Any, page: Page, browser: Browser, world: dict[str, Any], monkeypatch: Any
) -> None:
    base = live_server.url
    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 8, 1))
    page.goto(f"{base}/huduma/maombi/")
    page.locator("#id_subject").fill("Idadi ya leseni")
    page.locator("#id_question").fill("Leseni ngapi zilitolewa mwaka 2015?")
    page.locator("main form button[type=submit]").click()
    # Without the institution the form comes back with the error, and the typed text kept.
    expect(page.locator("#id_institution_error")).to_be_visible()
    expect(page.locator("#id_question")).to_have_value("Leseni ngapi zilitolewa mwaka 2015?")
    page.locator("#id_institution").select_option("b-brela")
    page.locator("main form button[type=submit]").click()
    request = InformationRequest.objects.get()
    expect(page.locator("main .status")).to_have_class(re.compile("status-awaiting"))
    expect(page.locator("main")).to_contain_text("30")  # deadline 30 August 2016

    monkeypatch.setattr("tathmini.portal.clock.now", lambda: at(2016, 9, 1))  # after the deadline
    page.reload()
    expect(page.locator("main .status")).to_have_class(re.compile("status-overdue"))

    staff = browser.new_context().new_page()
    sign_in(staff, base, "b-mratibu", "Mratibu-2026-siri")
    staff.goto(f"{base}/huduma/dawati/maombi/{request.pk}/")
    staff.locator("input[name=status][value=answered]").check()
    staff.locator("#id_answer").fill("Leseni 1,204 zilitolewa mwaka 2015.")
    staff.locator("main form button[type=submit]").click()

    page.reload()
    expect(page.locator("main .status")).to_have_class(re.compile("status-answered"))
    expect(page.locator("main")).to_contain_text("Leseni 1,204 zilitolewa mwaka 2015.")


def test_a_survey_invitation_is_answered_once(live_server: Any, page: Page, world: dict[str, Any]) -> None:
    survey = testing.survey("b-ridhaa", questions=2)
    [issued] = services.invitations_issue(survey, respondent="institution", labels=["Wizara"])
    url = f"{live_server.url}/huduma/utafiti/mwaliko/{issued.token}/"
    page.goto(url)
    for q in survey.questions.order_by("order"):
        page.locator(f"input[name=q{q.pk}][value='4']").check()
    page.locator("#id_comment").fill("Huduma nzuri.")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/huduma/utafiti/asante/$"))
    assert survey.responses.get().score == 4

    page.goto(url)
    expect(page.locator("main .notice")).to_be_visible()
    assert survey.responses.count() == 1
    response = page.request.get(url)
    assert response.status == 410
