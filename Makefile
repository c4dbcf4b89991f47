# Two entry points (see README): `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
# Debian's own python3.11 when there is one, even if another python3 comes first on PATH: Debian
# builds it with PGO and LTO, and it served the app 20–40 % faster on this project's requests than
# a source build without them (pyenv's default; loadtest/RESULTS.md). Elsewhere, python3.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3)
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core poppler-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1:8000

.PHONY: run test system venv messages demo lint clean

system:  ## Debian packages WeasyPrint, translations and the browser tests need (installed only if missing)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: system $(VENV)/.installed

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v 0

demo: messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_demo

run: demo  ## set up everything and serve the demo province on SQLite
	DEBUG=1 $(PY) manage.py runserver $(HOST)

test: messages  ## set up everything and run the whole suite (browser tests included)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) db.sqlite3* var staticfiles
