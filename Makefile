# Tamkeen: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
PORT ?= 5000
# make run: links in mail and credentials name the address the development server listens on.
run: export LMS_SITE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint translations install install-dev system-deps serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,postgres,server]'
	touch $@ $(VENV)/.installed

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -D messages --statistics

## run: set up a development instance and serve it on http://127.0.0.1:$(PORT) (make run PORT=8080)
run: $(VENV)/.installed translations .flaskenv
	$(BIN)/flask db upgrade
	$(BIN)/flask courses load-all || echo "Some courses were not loaded: see the messages above."
	$(BIN)/flask users demo
	$(BIN)/flask demo programme
	$(BIN)/flask credentials keygen --if-missing
	@echo "Starting the job worker (mail, PDF handbooks) beside the web server; Ctrl+C stops both."
	@$(BIN)/flask jobs worker --workers 1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Read by the `flask` command only (never by gunicorn): the README's `.venv/bin/flask ...`
# commands then use the development settings and database that `make run` set up.
.flaskenv:
	printf 'FLASK_APP=wsgi\nLMS_ENV=development\n' > $@

## system-deps: Debian packages the tests need (PostgreSQL, PDF tools, Chromium, memcached, Redis, tzdata)
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing="$$missing libharfbuzz-subset0"; \
	command -v zbarimg >/dev/null 2>&1 || missing="$$missing zbar-tools"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v memcached >/dev/null 2>&1 || missing="$$missing memcached"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -f /usr/share/zoneinfo/zone1970.tab ] || missing="$$missing tzdata"; \
	if [ -n "$$missing" ]; then \
	  echo "make test needs these Debian/Ubuntu packages, which are missing:$$missing"; \
	  echo "  postgresql: the suite's second run, on a throwaway cluster; poppler-utils, libharfbuzz-subset0:"; \
	  echo "  reading and subsetting PDFs; zbar-tools: reading certificate QR codes; chromium: browser tests;"; \
	  echo "  memcached: the shared rate-limit store of the multi-server tests; redis-server: the job queue's"; \
	  echo "  production storage, tested for real; tzdata: time zones of live sessions (zoneinfo)."; \
	  echo "Installing them with apt-get (needs root or sudo; Chromium is the largest, about 100 MB)..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  echo "Installed:$$missing"; \
	fi

## lint: ruff and the import-linter contract
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## test: the whole suite on SQLite, then on a throwaway PostgreSQL cluster
test: $(VENV)/.installed-dev system-deps translations
	@status=0; \
	echo "=== test suite on SQLite ==="; \
	$(BIN)/python -m pytest -p no:cacheprovider || status=1; \
	echo "=== test suite on PostgreSQL ==="; \
	$(BIN)/python scripts/with_postgres.py $(BIN)/python -m pytest -p no:cacheprovider || status=1; \
	exit $$status

## serve: production settings under gunicorn (configure LMS_* and GUNICORN_* first; see docs/deploy.md)
serve: $(VENV)/.installed-dev translations
	@test -n "$$LMS_SECRET_KEY" || { echo "Set LMS_SECRET_KEY (and LMS_DATABASE_URL, LMS_SITE_URL...): see docs/deploy.md"; exit 1; }
	LMS_ENV=production $(BIN)/flask db upgrade
	LMS_ENV=production $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

## bench: benchmarks on a throwaway PostgreSQL (lesson page vs bare Flask, quiz p95, certificates, exports)
bench: $(VENV)/.installed-dev system-deps translations
	@command -v wrk >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get install -y -qq wrk >/dev/null || echo "wrk not installed: bench/lesson_page.py uses its Python client"; }
	$(BIN)/python scripts/with_postgres.py $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .flaskenv
