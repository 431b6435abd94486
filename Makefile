# The portal's everyday commands. `make run` and `make test` do all their own set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
ENV_FILE ?= .env
# Links in the emails `make run` sends point at the port it serves, unless the environment or
# the .env file names SITE_URL (settings.py reads .env without overriding the environment).
RUN_SITE_URL = $(if $(SITE_URL)$(shell grep -s '^[[:space:]]*SITE_URL=' $(ENV_FILE)),,SITE_URL=http://$(HOST):$(PORT))

.PHONY: deps static-build run test lint collectstatic clean help

help:
	@echo "make run     set up, load the trust's content and serve http://$(HOST):$(PORT)/"
	@echo "make test    set up and run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint    ruff"
	@echo "make static-build   the stylesheet and the script, from NHS.UK frontend and static/"
	@echo "make lighthouse     Lighthouse 12 (mobile) on four public pages, production set-up"
	@echo "make drill   the fault drill alone: the production shape on loopback, broken part by part"

# The virtual environment is rebuilt when the dependencies change.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The portal's one stylesheet: NHS.UK frontend's core and the components the templates use,
# then the portal's own styles (static/scss/portal.scss says which and why). Built, never
# committed (.gitignore); rebuilt when NHS.UK frontend or any of the Sass changes.
STYLESHEET := static/css/portal.css
$(STYLESHEET): node_modules/.installed $(wildcard static/scss/*.scss)
	node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map \
		static/scss/portal.scss $@

# The portal's one script: NHS.UK frontend's JavaScript for the components the pages use, bundled
# with esbuild (static/js/portal.mjs says which and why). Built, never committed, like the
# stylesheet. No --target: esbuild rewrites no syntax, NHS.UK frontend's files being already
# compiled for the browsers it supports.
SCRIPT := static/js/portal.js
$(SCRIPT): node_modules/.installed static/js/portal.mjs
	node_modules/.bin/esbuild static/js/portal.mjs --bundle --minify --format=esm \
		--log-level=warning --outfile=$@ \
		"--banner:js=// Built by make static-build from static/js/portal.mjs: edit that file."

# NHS.UK's Frutiger, only for a trust that turns it on (FRUTIGER_FONT; static/scss/_fonts.scss).
FONT_STYLESHEET := static/css/frutiger.css
$(FONT_STYLESHEET): node_modules/.installed static/scss/frutiger.scss
	node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map \
		static/scss/frutiger.scss $@

static-build: $(STYLESHEET) $(FONT_STYLESHEET) $(SCRIPT)

deps: $(VENV)/.installed node_modules/.installed $(STYLESHEET) $(FONT_STYLESHEET) $(SCRIPT)

run: deps
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_trust_content
	$(PY) manage.py create_example_meetings
	$(PY) manage.py create_dev_staff
	@echo
	@echo "Serving the portal at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(RUN_SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

test: deps
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .

collectstatic: deps
	$(PY) manage.py collectstatic --no-input

clean:
	rm -rf $(VENV) node_modules staticfiles $(STYLESHEET) $(FONT_STYLESHEET) $(SCRIPT)

# The performance benchmark (bench/README.md): seeds 1,000,000 expressions of interest in its
# own PostgreSQL database (reused on later runs; SEED=fresh reseeds), serves them with gunicorn
# and loads them with wrk. Under 10 minutes on the 2-core machine.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/involvement_bench
.PHONY: bench
bench: deps
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench $(if $(SEED),--seed=$(SEED)) $(BENCH_ARGS)
	$(MAKE) --no-print-directory lighthouse

# What a phone gets (bench/lighthouse.py): Lighthouse 12, mobile preset, on the home page, the
# list, an opportunity and the form's first question, served by gunicorn + whitenoise with
# DEBUG off on loopback, from a small database of the trust's own content (not the bench's
# million rows). Debian's chromium, headless. About 10 minutes, most of it collectstatic.
LIGHTHOUSE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/involvement_lighthouse
CHROME_PATH ?= /usr/bin/chromium
.PHONY: lighthouse
lighthouse: deps
	LIGHTHOUSE_DATABASE_URL=$(LIGHTHOUSE_DATABASE_URL) CHROME_PATH=$(CHROME_PATH) \
		$(PY) -m bench.lighthouse $(LIGHTHOUSE_ARGS)

# The fault drill (tests/deployment/test_drill.py, README "Running in production"): nginx from
# deploy/, two gunicorn instances, its own PostgreSQL and Redis, an SMTP server and the email
# worker, each broken in turn. Part of `make test` too; here alone, with -s so its figures print.
# About 2 to 3 minutes, most of it collectstatic and a minute of load.
.PHONY: drill
drill: deps
	$(PY) -m pytest tests/deployment/test_drill.py -s $(PYTEST_ARGS)
