# Tathmini: `make run` installs, prepares the embedded database and serves; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000

.PHONY: run install setup serve test test-deps run-deps lint check messages clean

$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed

# Debian's libraries the PDF reports need (WeasyPrint lays text out with Pango); skipped when present.
REPORT_PKGS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
run-deps:
	@dpkg -s $(REPORT_PKGS) >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $(REPORT_PKGS) >/dev/null)

setup: install run-deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap
	# Indicator values from the records (idempotent; a few seconds on the demo data).
	$(BIN)/python manage.py measure refresh

# The availability monitor runs beside the web server and stops with it (Ctrl-C or exit).
serve:
	$(BIN)/python manage.py monitor & monitor=$$!; \
	trap 'kill $$monitor 2>/dev/null; wait $$monitor' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST)

run: setup serve

# Tools the tests use from Debian: gettext (to check that every UI string is translated),
# Chromium (the portal's browser tests drive it; Playwright never downloads a browser of its own)
# and the PDF reports' libraries (the report tests read the generated PDFs).
test-deps:
	@command -v xgettext >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@dpkg -s $(REPORT_PKGS) >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $(REPORT_PKGS) >/dev/null)

# pytest exits 5 when it collects no test: that is a pass for an empty selection, not a failure.
test: install test-deps
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

# After changing UI strings: update the Swahili catalogue, translate, then compile.
messages: install test-deps
	$(BIN)/python manage.py makemessages -l sw -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
