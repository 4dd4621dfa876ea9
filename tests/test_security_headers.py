"""Every kind of response carries the security headers: pages, API documents, static files,
downloads and error pages; HSTS in production mode. The policy itself (no inline script or style
anywhere) is held against the real pages in a browser by tests/test_browser_security.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tathmini.api.services import token_create
from tathmini.registry.models import Institution
from tathmini.reports import pdf
from tathmini.reports import services as report_services
from tathmini.strategy.models import Plan
from tests.conftest import Persona
from tests.test_settings import PRODUCTION_HOST, production_env, run_manage

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
TEMPLATES = Path(__file__).resolve().parent.parent / "tathmini" / "templates"


def assert_security_headers(response: Any) -> None:
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"].startswith("accelerometer=(), camera=(), geolocation=()")
    assert "microphone=()" in response["Permissions-Policy"]


def test_an_html_page_carries_the_headers_and_no_hsts_in_development(db: Any) -> None:
    response = Client().get(reverse("core:home"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response


def test_api_documents_carry_the_headers_with_and_without_a_token(db: Any) -> None:
    refused = Client().get(reverse("api:index"))
    assert refused.status_code == 401 and refused["Content-Type"] == "application/problem+json"
    assert_security_headers(refused)
    institution = Institution.objects.create(code="h-taasisi", name_sw="Taasisi", name_en="Institution")
    _token, raw = token_create("headers", institution=institution)
    answered = Client().get(reverse("api:index"), headers={"Authorization": f"Bearer {raw}"})
    assert answered.status_code == 200 and answered["Content-Type"] == "application/json"
    assert_security_headers(answered)


def test_a_static_file_carries_the_headers(db: Any) -> None:
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_pdf_download_carries_the_headers(
    plan: Plan, personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The download's headers are the point here, not the layout (tests/test_reports.py lays out).
    monkeypatch.setattr(pdf, "render_pdf", lambda content: b"%PDF-1.7 stand-in")
    officer = personas["me_officer"]
    report = report_services.report_create(plan, "quarterly", "2014/15-Q1", "en", officer.user, {})
    response = officer.client().get(reverse("reports:pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 stand-in"
    assert response["Content-Disposition"].startswith("attachment;")
    assert_security_headers(response)


def test_the_not_found_page_is_generic_bilingual_and_carries_the_headers(db: Any) -> None:
    response = Client().get("/hakuna-ukurasa-huu/")
    assert response.status_code == 404
    assert_security_headers(response)
    page = response.content.decode()
    swahili, english = re.findall(r'<section lang="(?:sw|en)">(.*?)</section>', page, flags=re.S)
    assert re.search(r"<h1>\S[^<]*</h1>", swahili)
    assert "<h2>Page not found</h2>" in english and "There is no page at this address." in english
    assert "hakuna-ukurasa-huu" not in page  # the page does not echo the address


def test_the_api_reference_page_runs_no_inline_script_and_keeps_the_sites_opener_policy(db: Any) -> None:
    response = Client().get(reverse("api:docs"))
    assert response.status_code == 200
    assert_security_headers(response)  # the documentation view's own "unsafe-none" is dropped
    page = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2
    assert all('src="/static/' in attributes and body.strip() == "" for attributes, body in scripts)
    assert f'data-schema-url="{reverse("api:schema")}"' in page
    script = Client().get("/static/js/api-docs.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    """The policy refuses them in the browser; this names the template before anyone opens it.
    The print template is the exception: WeasyPrint lays it out into the PDF, no browser sees it."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {found.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.name != "report_print.html"
        for found in [inline.search(path.read_text(encoding="utf-8"))]
        if found
    ]
    assert offenders == []


def test_production_mode_adds_hsts_and_redirects_plain_http(tmp_path: Path) -> None:
    """A fresh process in production mode (the settings are read at start-up), asking an address
    that needs no database: the API's answer for an unknown endpoint."""
    code = (
        "import json\n"
        "from django.test import Client\n"
        f"secure = Client().get('/api/hakuna/', secure=True, headers={{'Host': '{PRODUCTION_HOST}'}})\n"
        f"plain = Client().get('/api/hakuna/', headers={{'Host': '{PRODUCTION_HOST}'}})\n"
        "print(json.dumps({'status': secure.status_code, 'headers': dict(secure.headers),\n"
        "                  'plain': plain.status_code, 'location': plain.get('Location')}))\n"
    )
    result = run_manage(tmp_path, "shell", "--no-imports", "-c", code, **production_env())
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["headers"]
    assert seen["status"] == 404 and headers["Content-Type"] == "application/problem+json"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert (seen["plain"], seen["location"]) == (301, f"https://{PRODUCTION_HOST}/api/hakuna/")


def test_debug_pages_in_development_are_left_without_the_policy(db: Any, settings: Any) -> None:
    """Django's debug pages (DEBUG only) style themselves inline; every other header stays."""
    settings.DEBUG = True
    response = Client().get("/hakuna-ukurasa-huu/")
    assert response.status_code == 404 and "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Permissions-Policy" in response
    settings.DEBUG = False
    assert Client().get("/hakuna-ukurasa-huu/")["Content-Security-Policy"] == CSP
