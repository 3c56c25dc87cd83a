# The README's two set-up commands are `make run` and `make test`; CI runs `make test` too.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test run test check clean

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

## Serve the app on the embedded default (SQLite, local files) at http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Log in at http://$(HOST):$(PORT)/accounts/login/ with a demo account above."
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite. With DATABASE_URL set it runs on that database, then runs the
## engine-sensitive tests (marked both_databases) again on SQLite, so both engines are proven.
test: install-test
	$(PY) -m pytest
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "--- engine-sensitive tests again on SQLite ---"; \
		DATABASE_URL= REDIS_URL= $(PY) -m pytest -m both_databases; \
	fi

check: install-test
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db_test.sqlite3 media staticfiles
