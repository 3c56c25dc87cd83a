# The README's two set-up commands are `make run` and `make test`; CI runs `make test` too.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test browser run test check clean

$(VENV)/.run-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

## Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; its own browser
## download does not work here). Does nothing when it is already installed.
browser:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	else echo "make browser: /usr/bin/chromium is missing and this user cannot install it;" \
		"run as root: apt-get install chromium" >&2; exit 1; fi; \
	echo "--- installing Debian's chromium (a minute or two) ---"; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
		{ echo "make browser: apt-get could not install chromium" >&2; exit 1; }; \
	test -x /usr/bin/chromium

## Serve the product as production does (gunicorn + uvicorn workers, WhiteNoise, DEBUG off, the
## django-q2 workers) on the embedded default (SQLite, local files, the offline emulator for Google
## and Pollinations) at http://$(HOST):$(PORT), over plain HTTP. The secret key is made once into the
## git-ignored .secret-key; settings.py describes the SECRET_KEY_FILE / HTTPS=false contract.
run: export SECRET_KEY_FILE = .secret-key
run: export HTTPS = false
## Password-reset mail is printed on the console (settings.py: EMAIL_BACKEND).
run: export EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
run: install
	@test -s .secret-key || (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret-key)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py render_samples
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Log in at http://$(HOST):$(PORT)/accounts/login/ with a demo account above."
	$(PY) manage.py run_local --host $(HOST) --port $(PORT)

## The whole suite, in PYTEST_WORKERS processes (pytest-xdist; settings_test.py keeps the
## workers' databases, breakers, cache keys and queues apart). With DATABASE_URL set (CI), the
## allowance tests (marked both_databases) run first on SQLite, then the whole suite runs on that
## database, so both engines are proven.
## Three on two cores: many tests wait on a subprocess, a browser or a breaker's reset (measured
## on the 1028-test suite, SQLite: one process 452 s, -n 2 309 s, -n 3 250 s, -n 4 237 s).
PYTEST_WORKERS ?= 3
test: install-test browser
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "--- allowance tests on SQLite ---"; \
		DATABASE_URL= REDIS_URL= $(PY) -m pytest -q -m both_databases || exit 1; \
		echo "--- the whole suite on $$(echo $$DATABASE_URL | cut -d: -f1) ---"; \
	fi
	$(PY) -m pytest -n $(PYTEST_WORKERS)

## Lint, format, types (mypy with django-stubs; pyproject.toml says what it checks), Django's
## checks, no missing migrations, no untranslated or fuzzy entry in the af/zu catalogues, catalogues
## that hold exactly the code's msgids, and no unmarked user-facing string in templates/
## (README "Languages").
check: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=mediastudio.settings_test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=mediastudio.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/i18n_build.py --check
	$(PY) scripts/i18n_lint.py

clean:
	rm -rf $(VENV) db.sqlite3 db_test.sqlite3 media staticfiles screenshots
