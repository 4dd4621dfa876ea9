"""What a visitor sees when something fails, and what the log keeps of it.

A server error shows a generic page in both languages with a reference, never a traceback or the
exception's text; the log holds the traceback under the same reference. Failed sign-ins, refused
pages and API calls and failed CSRF checks are logged with the user's id, the client's address,
the path and the reason, and no password, token, session id or CSRF token is ever in a log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.contrib.auth import middleware as auth_middleware
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from tathmini.accounts.models import User
from tathmini.api import views as api_views
from tathmini.api.services import token_create, token_revoke
from tathmini.core import errors
from tathmini.core import views as core_views
from tathmini.portal import services as portal_services
from tathmini.portal import testing as portal_testing
from tathmini.registry.models import Institution
from tests.conftest import Persona

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}\b")
SECRET = "siri-ya-hifadhidata-7Q2"  # text an exception might carry: a connection string, a key
PASSWORD = "Neno-la-Siri-2026!"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as a handler would write it, traceback included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def records_of(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == name]


def fail(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"could not connect with password {SECRET}")


# --- Server errors ------------------------------------------------------------------------------
def test_a_server_error_shows_a_generic_page_and_logs_the_traceback_under_its_reference(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(core_views, "current_plan", fail)
    with override_settings(DEBUG=False):
        response = Client(raise_request_exception=False).get(reverse("core:home"))
    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Security-Policy" in response
    page = response.content.decode()
    assert "<h2>Something went wrong</h2>" in page and '<section lang="sw">' in page
    for leak in ("Traceback", "RuntimeError", SECRET, "core/views.py", "current_plan"):
        assert leak not in page, leak
    [reference] = set(REFERENCE.findall(page))

    [logged] = records_of(caplog, "tathmini.errors")
    assert logged.levelno == logging.ERROR
    assert logged.getMessage() == f"Server error [{reference}]: anonymous from 127.0.0.1, GET /"
    assert logged.exc_info is not None and logged.exc_info[0] is RuntimeError
    # Logged once: Django's own "Internal Server Error: /" line would repeat it without the reference.
    assert records_of(caplog, "django.request") == []


def test_the_error_page_falls_back_to_plain_text_when_it_cannot_be_rendered(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class NoTemplates:
        @staticmethod
        def get_template(name: str) -> Any:
            raise OSError("templates unreadable")

    monkeypatch.setattr(core_views, "current_plan", fail)
    monkeypatch.setattr(errors, "loader", NoTemplates)
    response = Client(raise_request_exception=False).get(reverse("core:home"))
    assert response.status_code == 500 and response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    [reference] = REFERENCE.findall(body)
    assert body == f"Hitilafu ya seva / Server error. Kumbukumbu / Reference: {reference}\n"
    assert [r.getMessage() for r in records_of(caplog, "tathmini.errors")] == [
        f"Server error [{reference}]: anonymous from 127.0.0.1, GET /",
        f"The error page failed [{reference}]",
    ]


def test_a_server_error_while_the_database_is_down_still_gets_its_page(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def database_down(request: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(core_views, "current_plan", fail)
    monkeypatch.setattr(auth_middleware, "get_user", database_down)  # the session's user is not to be had
    response = Client(raise_request_exception=False).get(reverse("core:home"))
    assert response.status_code == 500 and "<h2>Something went wrong</h2>" in response.content.decode()
    [reference] = set(REFERENCE.findall(response.content.decode()))
    [logged] = records_of(caplog, "tathmini.errors")
    assert logged.getMessage() == f"Server error [{reference}]: user unknown from 127.0.0.1, GET /"


def test_an_api_server_error_is_a_problem_document_with_the_logged_reference(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    institution = Institution.objects.create(code="e-taasisi", name_sw="Taasisi", name_en="Institution")
    token, raw = token_create("errors", institution=institution)
    monkeypatch.setattr(api_views.ApiIndex, "get", fail)
    response = Client(raise_request_exception=False).get(
        reverse("api:index"), headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 500 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "code", "reference"}
    assert (body["status"], body["code"], body["instance"]) == (500, "error", "/api/v1/")
    assert REFERENCE.fullmatch(body["reference"])
    for leak in ("Traceback", "RuntimeError", SECRET):
        assert leak not in response.content.decode(), leak
    [logged] = records_of(caplog, "tathmini.errors")
    assert (
        logged.getMessage()
        == f"API server error [{body['reference']}]: api-token {token.pk} from 127.0.0.1, GET /api/v1/"
    )
    assert logged.exc_info is not None and logged.exc_info[0] is RuntimeError
    assert raw not in log_text(caplog)


def test_an_error_outside_the_api_views_still_answers_the_api_a_problem_document(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(api_views, "problem_response", fail)  # the catch-all for unknown API paths
    response = Client(raise_request_exception=False).get("/api/hakuna/")
    assert response.status_code == 500 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["instance"]) == (500, "error", "/api/hakuna/")
    [logged] = records_of(caplog, "tathmini.errors")
    assert logged.getMessage() == f"Server error [{body['reference']}]: anonymous from 127.0.0.1, GET /api/hakuna/"
    assert SECRET not in response.content.decode()


# --- Refusals -------------------------------------------------------------------------------------
def test_a_refused_page_is_generic_and_logged_with_user_path_reason_and_reference(
    personas: dict[str, Persona], caplog: pytest.LogCaptureFixture
) -> None:
    outsider = personas["outsider"]
    assert outsider.user is not None
    response = outsider.client().get(reverse("reports:scorecard"), {"year": "2014/15"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h2>Access denied</h2>" in page
    [reference] = set(REFERENCE.findall(page))
    assert "role" not in page  # the reason is for the log, not the page
    [logged] = records_of(caplog, "tathmini.security")
    assert logged.levelno == logging.WARNING
    assert logged.getMessage() == (
        f"Permission denied [{reference}]: user {outsider.user.pk} from 127.0.0.1, GET /reports/scorecard/ "
        "(view reports:scorecard): needs one of the roles administrator, agency_officer, manager, me_officer"
    )
    assert records_of(caplog, "django.request") == []  # no second line for the same refusal


def test_a_refusal_inside_a_view_is_logged_with_its_own_reason(
    personas: dict[str, Persona], caplog: pytest.LogCaptureFixture
) -> None:
    focal = personas["focal_person"]
    assert focal.user is not None
    response = focal.client().get(reverse("records:list", args=["budget-lines"]))
    assert response.status_code == 403
    [logged] = records_of(caplog, "tathmini.security")
    assert logged.getMessage().startswith("Permission denied [")
    assert f"user {focal.user.pk} from 127.0.0.1, GET /records/budget-lines/ (view records:list): " in (
        logged.getMessage()
    )


def test_a_failed_csrf_check_shows_the_expired_form_page_and_is_logged_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))  # the CSRF cookie
    forged = "f" * 64
    response = client.post(
        reverse("accounts:login"), {"username": "afisa", "password": PASSWORD, "csrfmiddlewaretoken": forged}
    )
    assert response.status_code == 403
    assert "<h2>The form has expired</h2>" in response.content.decode()
    [reference] = set(REFERENCE.findall(response.content.decode()))
    [logged] = records_of(caplog, "tathmini.security")
    assert logged.getMessage() == (
        f"CSRF check failed [{reference}]: anonymous from 127.0.0.1, POST /accounts/login/: "
        "CSRF token from POST incorrect."
    )
    text = log_text(caplog)
    assert forged not in text and PASSWORD not in text
    assert client.cookies["csrftoken"].value not in text


def test_refused_api_calls_are_logged_with_the_token_id_and_never_the_token(caplog: pytest.LogCaptureFixture) -> None:
    institution = Institution.objects.create(code="e-taasisi", name_sw="Taasisi", name_en="Institution")
    token, raw = token_create("hr system", agency_function="hr")
    revoked, revoked_raw = token_create("old system", institution=institution)
    token_revoke(revoked)
    url = reverse("api:records", args=["surveys"])

    def call(method: str, secret: str | None) -> int:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return getattr(Client(), method)(url, {}, content_type="application/json", headers=headers).status_code

    assert call("get", None) == 401
    assert call("get", revoked_raw) == 401
    assert call("post", raw) == 403  # an HR token may not add surveys
    messages = [r.getMessage() for r in records_of(caplog, "tathmini.security")]
    path = "/api/v1/surveys/"
    expected = [  # each followed by the error's fixed message, in the request's language
        f"API request refused (401): anonymous from 127.0.0.1, GET {path}: not_authenticated (",
        f"API request refused (401): anonymous from 127.0.0.1, GET {path}: authentication_failed (",
        f"API request refused (403): api-token {token.pk} from 127.0.0.1, POST {path}: permission_denied (",
    ]
    assert len(messages) == 3
    assert all(message.startswith(start) for message, start in zip(messages, expected, strict=True)), messages
    text = log_text(caplog)
    assert raw not in text and revoked_raw not in text
    assert records_of(caplog, "django.request") == []


# --- Sign-in ---------------------------------------------------------------------------------------
@override_settings(LOGIN_MAX_FAILURES=2, LOGIN_LOCKOUT_MINUTES=15)
def test_failed_sign_ins_and_the_lockout_are_logged_without_the_password(caplog: pytest.LogCaptureFixture) -> None:
    User.objects.create_user(username="afisa", password="the-right-password-1")
    client = Client(REMOTE_ADDR="196.41.48.7")
    for _ in range(3):
        response = client.post(reverse("accounts:login"), {"username": "afisa", "password": PASSWORD})
        assert response.status_code == 200
    messages = [r.getMessage() for r in records_of(caplog, "tathmini.security")]
    assert messages[:3] == [
        'Sign-in failed: username "afisa" from 196.41.48.7: invalid_login',
        'Sign-in failed: username "afisa" from 196.41.48.7: invalid_login',
        'Sign-in failed: username "afisa" from 196.41.48.7: locked for 15 minutes now',
    ]
    assert len(messages) == 4
    assert re.fullmatch(r'Sign-in failed: username "afisa" from 196\.41\.48\.7: locked until 20\d\d-.*', messages[3])
    assert all(r.levelno == logging.WARNING for r in records_of(caplog, "tathmini.security"))
    assert PASSWORD not in log_text(caplog)


def test_a_typed_user_name_is_cut_short_and_cannot_forge_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    Client().post(reverse("accounts:login"), {"username": "mtu\nWARNING forged line", "password": PASSWORD})
    Client().post(reverse("accounts:login"), {"username": "a" * 40 + PASSWORD, "password": "x"})
    first, second = (r.getMessage() for r in records_of(caplog, "tathmini.security"))
    assert first == 'Sign-in failed: username "mtu\\nWARNING forged line" from 127.0.0.1: invalid_login'
    assert second == 'Sign-in failed: username "' + "a" * 32 + '…" from 127.0.0.1: invalid_login'
    assert PASSWORD not in log_text(caplog)


# --- No secret in any line ---------------------------------------------------------------------------
def test_no_password_session_or_csrf_token_reaches_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A staff member's session, through a wrong then a right password, a refused page and a
    server error: none of what authenticates them is in any line."""
    User.objects.create_user(username="mtumishi", password=PASSWORD)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("accounts:login"))
    csrf = client.cookies["csrftoken"].value
    login = reverse("accounts:login")
    client.post(login, {"username": "mtumishi", "password": PASSWORD + "x", "csrfmiddlewaretoken": csrf})
    signed_in = client.post(login, {"username": "mtumishi", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    assert signed_in.status_code == 302
    session = client.cookies["sessionid"].value
    assert client.get(reverse("reports:scorecard")).status_code == 403
    monkeypatch.setattr(core_views, "current_plan", fail)
    assert client.get(reverse("core:home")).status_code == 500
    names = {r.name for r in caplog.records}
    assert {"tathmini.security", "tathmini.errors"} <= names
    text = log_text(caplog)
    for secret in (PASSWORD, session, csrf, client.cookies["csrftoken"].value):
        assert secret not in text


def test_a_survey_invitations_token_in_the_address_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    survey = portal_testing.survey("e-ridhaa")
    [issued] = portal_services.invitations_issue(survey, respondent="staff", labels=["a"])
    url = reverse("portal:survey_invitation", args=[issued.token])
    response = Client().post(url, {"comment": "", "website": ""})  # no answers: the form again, 400
    assert response.status_code == 400
    [logged] = records_of(caplog, "django.request")
    assert logged.getMessage() == "Bad Request: /huduma/utafiti/mwaliko/{token}/"
    assert issued.token not in log_text(caplog)
