"""The load scenario: citizens on the portal, focal persons with their returns, managers reading.

Run it through ``bench/load/run.py``, which prepares the database and the server and passes two
variables: ``LOAD_FACTS``, the JSON file ``prepare.py`` wrote (accounts, e-services, words to
search, references, the survey link, the report, indicators, departments), and
``LOAD_BEHIND_PROXY=1`` when the server runs in production mode on plain HTTP: the client then
plays the TLS-terminating proxy's part (``X-Forwarded-Proto: https``, which the server trusts with
``USE_X_FORWARDED_PROTO=1``, and a new connection per request), sends its ``Origin`` on posts as
a browser does, and returns the HTTPS-only cookies over the loopback connection.

Every request is named by page (``name=``), so the statistics are per page, not per address.
A user waits 1–5 s between actions. Weights: 6 citizens to 2 focal persons to 2 managers.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import gevent
from locust import HttpUser, between, task
from locust.clients import ResponseContextManager

FACTS: dict[str, Any] = json.loads(open(os.environ["LOAD_FACTS"], encoding="utf-8").read())  # noqa: SIM115
BEHIND_PROXY = os.environ.get("LOAD_BEHIND_PROXY") == "1"
# The smoke run's: each user does each of its tasks once when it starts, so that a few users go
# through every page of the scenario; the run ends when the last of them is through.
EVERY_TASK_FIRST = os.environ.get("LOAD_EVERY_TASK_FIRST") == "1"
_through = itertools.count(1)

# Handed out in turn, so that as many users as there are accounts sign in as different people.
_focal_turn = itertools.count()
_manager_turn = itertools.count()
# Every new workforce return of the run gets its own date (the natural key is institution + date).
_return_day = itertools.count(random.randrange(400))


# --- Reading forms ---------------------------------------------------------------------------------
class Form:
    def __init__(self, action: str) -> None:
        self.action = action
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}


class Forms(HTMLParser):
    """The page's post forms: each field's value and, for a select or radio group, its choices."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "radio":
                form.options.setdefault(name, []).append(a.get("value", ""))
            elif kind not in ("checkbox", "submit", "file"):
                form.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            form.options[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form.options[self._select].append(value)
            if "selected" in a:
                form.values[self._select] = value
        elif tag == "textarea" and name:
            form.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def find(self, action: str) -> Form:
        """The form posting to ``action``, else the one posting back to the page itself."""
        for wanted in (action, ""):
            for form in self.forms:
                if form.action.split("?")[0] == wanted:
                    return form
        raise LookupError(f"no post form to {action!r}")


def choice(form: Form, name: str) -> str:
    """A random non-empty choice of a select or radio group."""
    return random.choice([v for v in form.options[name] if v])


if BEHIND_PROXY:
    # The server marks its cookies Secure (production mode); the client stands where the proxy
    # that speaks HTTPS to browsers stands, so it returns them over the plain loopback connection.
    # Widened on the class: requests copies the cookies into a new jar, with the default policy,
    # for every request it sends.
    DefaultCookiePolicy.return_ok_secure = lambda self, cookie, request: True  # type: ignore[method-assign]


class Visitor(HttpUser):
    abstract = True
    wait_time = between(1, 5)

    def on_start(self) -> None:
        if BEHIND_PROXY:
            self.client.headers["X-Forwarded-Proto"] = "https"
            # A proxy opens a connection to the application per request (nginx does by default):
            # a kept-alive connection that the server closes as the next request leaves (after
            # its keep-alive time, or when a worker is replaced) would fail that request here.
            self.client.headers["Connection"] = "close"
        # A first visit fetches the site's one stylesheet; later pages take it from the cache.
        with self.get("/huduma/", "portal: catalogue") as page:
            found = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text or "")
        if found:
            with self.get(found.group(1), "static: stylesheet"):
                pass

    def every_task_once(self) -> None:
        if not EVERY_TASK_FIRST:
            return
        for action in dict.fromkeys(self.tasks):  # a task is listed once per unit of its weight
            action(self)  # type: ignore[operator]
        runner = self.environment.runner
        if runner is not None and next(_through) >= runner.target_user_count:
            gevent.spawn(runner.quit)  # not from this user's greenlet, which stopping the users ends

    def origin(self) -> str:
        host = str(self.host).rstrip("/")
        return host.replace("http://", "https://", 1) if BEHIND_PROXY else host

    def get(self, path: str, name: str, **kwargs: Any) -> ResponseContextManager:
        """A GET read in a ``with`` block: a 4xx or 5xx at the end of its redirects is a failure."""
        return self.client.request("GET", path, name=name, catch_response=True, **kwargs)

    def post(self, path: str, name: str, **kwargs: Any) -> ResponseContextManager:
        headers = {"Origin": self.origin(), "Referer": self.origin() + path}
        return self.client.request("POST", path, name=name, catch_response=True, headers=headers, **kwargs)

    def form_page(self, path: str, name: str, action: str | None = None) -> Form | None:
        with self.get(path, name) as page:
            if page.status_code != 200:
                return None
            try:
                return Forms(page.text).find(path.split("?")[0] if action is None else action)
            except LookupError as exc:
                page.failure(str(exc))
                return None

    def sign_in(self, username: str) -> None:
        form = self.form_page("/accounts/login/", "accounts: sign-in form")
        if form is None:
            return
        data = {**form.values, "username": username, "password": FACTS["password"]}
        with self.post("/accounts/login/", "accounts: sign in", data=data) as done:
            if "/accounts/login/" in (done.url or ""):
                done.failure(f"{username} was not signed in")


# --- Citizens --------------------------------------------------------------------------------------
def misspelt(word: str) -> str:
    """One typing slip: two neighbouring letters swapped, or one dropped."""
    if len(word) < 5:
        return word
    i = random.randrange(1, len(word) - 2)
    if random.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


class Citizen(Visitor):
    """Finds e-services, reads their pages, complains, asks for information, follows it up and
    answers the satisfaction survey once."""

    weight = 6

    def on_start(self) -> None:
        super().on_start()
        self.filed: list[str] = []
        self.surveyed = False
        self.every_task_once()

    @task(4)
    def browse(self) -> None:
        page = random.choice(["", "?page=2", "?life_event=business", "?page=3"])
        with self.get(f"/huduma/{page}", "portal: catalogue"):
            pass

    @task(5)
    def search(self) -> None:
        word = random.choice(FACTS["search_words"])
        if random.random() < 0.3:
            word = misspelt(word)
        if random.random() < 0.3:
            word = f"{word} {random.choice(FACTS['search_words'])}"
        with self.get("/huduma/", "portal: search", params={"q": word}):
            pass

    @task(4)
    def eservice(self) -> None:
        code = random.choice(FACTS["eservices"])
        with self.get(f"/huduma/e/{code}/", "portal: e-service"):
            pass

    @task(1)
    def scoreboard(self) -> None:
        with self.get("/huduma/matokeo/", "portal: scoreboard"):
            pass

    @task(1)
    def complain(self) -> None:
        about_service = random.random() < 0.5
        path = "/huduma/malalamiko/"
        query = f"?eservice={random.choice(FACTS['eservices'])}" if about_service else ""
        form = self.form_page(path + query, "portal: complaint form", action=path)
        if form is None:
            return
        data = {
            **form.values,
            "category": choice(form, "category"),
            "subject": "Huduma haipatikani",
            "description": "Nimejaribu mara tatu leo asubuhi; ukurasa unasema hitilafu ya mfumo.",
            "name": random.choice(["", "Neema J."]),
            "contact": random.choice(["", "0712 345 678"]),
        }
        if not about_service:
            data["about"] = "institution"
            data["institution"] = choice(form, "institution")
        with self.post(path, "portal: complaint submit", data=data) as done:
            self._filed(done, "/huduma/malalamiko/")

    @task(1)
    def ask(self) -> None:
        path = "/huduma/maombi/"
        form = self.form_page(path, "portal: request form")
        if form is None:
            return
        data = {
            **form.values,
            "institution": choice(form, "institution"),
            "subject": "Takwimu za matumizi",
            "question": "Naomba idadi ya watumiaji wa huduma zenu mtandao kwa mwaka 2016/17.",
        }
        with self.post(path, "portal: request submit", data=data) as done:
            self._filed(done, "/huduma/maombi/")

    def _filed(self, done: ResponseContextManager, tracking: str) -> None:
        found = re.search(rf"{tracking}((?:MAL|OMB)-[A-Z0-9]{{4}}-[A-Z0-9]{{4}})/$", done.url or "")
        if done.status_code == 200 and not found:
            done.failure(f"not filed: ended at {done.url}")
        elif found:
            self.filed.append(found.group(1))

    @task(2)
    def track(self) -> None:
        mine = bool(self.filed) and (random.random() < 0.7 or not FACTS["references"])
        if not mine and not FACTS["references"]:
            return self.browse()
        reference = random.choice(self.filed if mine else FACTS["references"])
        with self.get("/huduma/fuatilia/", "portal: track", params={"reference": reference}) as page:
            if page.status_code == 200 and reference not in (page.url or ""):
                page.failure(f"{reference} not found")
        return None

    @task(1)
    def survey(self) -> None:
        if self.surveyed:
            return self.eservice()
        self.surveyed = True
        path = f"/huduma/utafiti/wazi/{FACTS['survey_link']}/"
        form = self.form_page(path, "portal: survey form")
        if form is None:
            return None
        answers = {name: choice(form, name) for name in form.options if re.fullmatch(r"q\d+", name)}
        data = {**form.values, **answers, "comment": random.choice(["", "Asanteni."])}
        with self.post(path, "portal: survey submit", data=data) as done:
            if done.status_code == 200 and not (done.url or "").endswith("/huduma/utafiti/asante/"):
                done.failure(f"survey not taken: ended at {done.url}")
        return None


# --- Focal persons ---------------------------------------------------------------------------------
def _first_day() -> date:
    return date.fromisoformat(FACTS["first_day"])


class FocalPerson(Visitor):
    """An institution's focal person: reads its records, sends returns through the record form
    and a small CSV import of e-service usage, and looks at the complaints desk."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        accounts = FACTS["focal_persons"]
        self.sign_in(accounts[next(_focal_turn) % len(accounts)])
        self.detail_paths: list[str] = []
        self.every_task_once()

    @task(1)
    def index(self) -> None:
        with self.get("/records/", "records: index"):
            pass

    @task(4)
    def lists(self) -> None:
        key = random.choice(["usage-returns", "workforce-returns", "eservices", "complaints", "initiatives"])
        with self.get(f"/records/{key}/", "records: list") as page:
            found = re.findall(rf'href="(/records/{key}/\d+/)"', page.text or "")
        if found:
            self.detail_paths = found[:20]

    @task(3)
    def workforce_return(self) -> None:
        """A return for a date: corrected when there is one already, else added."""
        span = (date.fromisoformat(FACTS["last_day"]) - _first_day()).days + 1
        day = (_first_day() + timedelta(days=next(_return_day) % span)).isoformat()
        with self.get(
            "/records/workforce-returns/", "records: list (date filter)", params={"from": day, "to": day}
        ) as page:
            existing = re.findall(r'href="/records/workforce-returns/(\d+)/"', page.text or "")
        path = f"/records/workforce-returns/{existing[0]}/edit/" if existing else "/records/workforce-returns/new/"
        form = self.form_page(path, "records: return form")
        if form is None:
            return
        staff = random.randint(4, 60)
        data = {
            **form.values,
            "as_of": day,
            "ict_staff": str(staff),
            "qualified_ict_staff": str(random.randint(0, staff)),
        }
        if form.options.get("institution"):
            data["institution"] = choice(form, "institution")
        with self.post(path, "records: save return", data=data) as done:
            saved = re.search(r"/records/workforce-returns/\d+/$", done.url or "")
            if done.status_code == 200 and not saved:
                done.failure(f"return not saved for {day}")
            elif saved:
                self.detail_paths.append(saved.group(0))

    @task(2)
    def detail(self) -> None:
        if not self.detail_paths:
            return self.lists()
        with self.get(random.choice(self.detail_paths), "records: detail"):
            pass
        return None

    @task(1)
    def usage_import(self) -> None:
        """The usage template downloaded, three months filled in, uploaded."""
        with self.get("/records/import/usage-returns/template.csv", "import: template CSV") as template:
            lines = (template.text or "").lstrip("\ufeff").splitlines()
        code = lines[1].split(",")[0] if len(lines) > 1 else ""
        if not code:  # an institution without e-services has no usage to return
            return
        first = _first_day()
        rows = [lines[0]]
        for month in random.sample(range(60), 3):
            start = date(first.year + (first.month - 1 + month) // 12, (first.month - 1 + month) % 12 + 1, 1)
            end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            transactions = random.randint(100, 50_000)
            rows.append(f"{code},{start},{end},{transactions},{random.randint(10, transactions)}")
        upload = "/records/import/usage-returns/"
        form = self.form_page(upload, "import: upload form")
        if form is None:
            return
        body = ("\n".join(rows) + "\n").encode()
        files = {"file": ("matumizi.csv", body, "text/csv")}
        with self.post(upload, "import: upload", data=form.values, files=files) as done:
            if done.status_code == 200 and 'class="messages" role="status"' not in (done.text or ""):
                done.failure(f"import not written: {done.url}")

    @task(1)
    def desk(self) -> None:
        with self.get("/huduma/dawati/", "portal: desk"):
            pass


# --- Managers --------------------------------------------------------------------------------------
class Manager(Visitor):
    """A head of department: scorecards, the tracking table, indicators, the published report and
    the strategy map."""

    weight = 2

    def on_start(self) -> None:
        super().on_start()
        accounts = FACTS["managers"]
        self.sign_in(accounts[next(_manager_turn) % len(accounts)])
        self.every_task_once()

    @task(3)
    def agency_scorecard(self) -> None:
        with self.get("/reports/scorecard/", "reports: scorecard (Agency)", params={"unit": "agency"}):
            pass

    @task(3)
    def department_scorecard(self) -> None:
        params = {"unit": random.choice(FACTS["departments"])} if random.random() < 0.5 else {}
        with self.get("/reports/scorecard/", "reports: scorecard (department)", params=params):
            pass

    @task(2)
    def tracking(self) -> None:
        with self.get("/reports/tracking/", "reports: tracking table"):
            pass

    @task(2)
    def indicator(self) -> None:
        code = random.choice(FACTS["indicators"])
        with self.get(f"/reports/indicators/{code}/", "reports: indicator charts"):
            pass

    @task(1)
    def plan_indicator(self) -> None:
        code = random.choice(FACTS["indicators"])
        with self.get(f"/plans/{FACTS['plan']}/indicators/{code}/", "strategy: indicator"):
            pass

    @task(2)
    def strategy_map(self) -> None:
        with self.get(f"/plans/{FACTS['plan']}/", "strategy: map"):
            pass

    @task(1)
    def report(self) -> None:
        report = FACTS["report"]
        with self.get(f"/reports/{report}/", "reports: report page"):
            pass
        for suffix, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
            with self.get(f"/reports/{report}.{suffix}", f"reports: report {suffix.upper()}") as file:
                if file.status_code == 200 and not file.content.startswith(magic):
                    file.failure(f"not a {suffix} file")
