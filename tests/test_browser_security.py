"""The Content Security Policy against the real pages in Debian's Chromium: the key pages of the
public site, the staff pages with charts and the API reference raise no policy violation ("Refused
to …" in the console) and still work; the error pages too.

Transactional, like tests/test_browser_portal.py: the server thread reads committed data, so the
test loads the plan and the demo structure itself."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tathmini.accounts.models import User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles
from tathmini.portal import testing
from tathmini.strategy.models import Indicator, Plan
from tests.conftest import PLAN_CODE
from tests.test_browser_portal import ARGS, CHROMIUM, sign_in
from tests.test_reports import put_target, put_value

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Afisa-MnE-2026-siri"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(db: Any) -> dict[str, Any]:
    call_command("bootstrap", "--no-records", stdout=open(os.devnull, "w"))  # noqa: SIM115
    plan = Plan.objects.get(code=PLAN_CODE)
    k04 = Indicator.objects.get(plan=plan, code="K04")
    put_value(k04, "2013/14", "120")
    put_value(k04, "2014/15", "150")
    put_target(k04, "2014/15", "200")
    owner = testing.institution("c-brela", "Wakala wa Usajili wa Biashara", "Business Registrations Agency")
    testing.eservice(owner, "c-leseni", "Leseni ya Biashara", "Business licence")
    officer = User.objects.create_user(username="c-afisa", password=PASSWORD)
    user_set_roles(officer, [Role.ME_OFFICER])
    User.objects.create_superuser(username="c-admin", password=PASSWORD)
    return {"plan": plan}


class Violations:
    """What the console says about the policies on each page, and any script error."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[str]] = {}
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._add(f"script error: {error}"))

    def _add(self, text: str) -> None:
        self.found.setdefault(self.page.url, []).append(text)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to") or "Permissions-Policy" in text:
            self._add(text)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="sw-TZ")
    yield context.new_page()
    context.close()


def test_key_pages_raise_no_policy_violation_and_still_work(live_server: Any, page: Page, site: dict[str, Any]) -> None:
    base = live_server.url
    seen = Violations(page)

    # The public site.
    page.goto(f"{base}/")
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{base}/huduma/")
    expect(page.locator("ul.cards li a").first).to_have_text("Leseni ya Biashara")
    page.goto(f"{base}/huduma/malalamiko/?eservice=c-leseni")
    page.locator("#id_category").select_option("delay")
    page.locator("#id_subject").fill("Leseni haijatolewa")
    page.locator("#id_description").fill("Nililipa ada lakini sijapata leseni.")
    page.locator("main form button[type=submit]").click()  # form-action 'self' lets it through
    expect(page.locator("main h1")).to_contain_text(re.compile(r"MAL-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    page.goto(f"{base}/status/")
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{base}/plans/{PLAN_CODE}/")
    expect(page.locator(".objective").first).to_be_visible()
    page.goto(f"{base}/hakuna-ukurasa-huu/")
    expect(page.locator("main h1")).to_be_visible()

    # The API reference: Swagger UI, started by the page's script file, lists the operations.
    page.goto(f"{base}/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    assert page.locator(".opblock").count() > 10
    page.locator("#lang-en").click()  # the language switch posts a form and comes back

    # Staff pages: the scorecard's and an indicator's SVG charts, the records list, a refusal.
    sign_in(page, base, "c-afisa", PASSWORD)
    page.goto(f"{base}/reports/scorecard/?year=2014/15")
    expect(page.locator("main svg").first).to_be_visible()
    page.goto(f"{base}/reports/indicators/K04/?year=2014/15")
    expect(page.locator("main svg")).to_have_count(2)
    page.goto(f"{base}/records/complaints/")
    expect(page.locator("main table")).to_be_visible()
    page.goto(f"{base}/api/tokens/")  # administrators only
    expect(page.locator("main h1")).to_be_visible()

    # The administration site, with Django's own scripts.
    page.context.clear_cookies()
    sign_in(page, base, "c-admin", PASSWORD)
    page.goto(f"{base}/admin/")
    expect(page.locator("#content")).to_be_visible()
    page.goto(f"{base}/admin/accounts/user/")
    expect(page.locator("#result_list")).to_be_visible()

    assert seen.found == {}
