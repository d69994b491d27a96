# The two commands of the Quick start: `make demo` and `make test`.
# Both create .venv and install what they need themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# mitmproxy 11.0.x pins h11<=0.14 (CVE-2025-43859), which conflicts with the main env's
# httpcore (h11>=0.16): the mitmproxy engine gets its own env, with this project --no-deps.
MITM_VENV  := $(VENV)-mitm
MITM_STAMP := $(MITM_VENV)/.installed
# what .venv-mitm gets besides this project: mitmproxy, orjson (the shadow comparison) and the
# OpenTelemetry SDK with its OTLP exporter (the proxy span),
# pinned as in pyproject.toml. The list is kept in a file rewritten only when it changes, so
# a change here (or to the pin) rebuilds the env and nothing else does.
MITM_REQUIREMENTS := mitmproxy==11.0.2 $(shell grep -o -m1 'orjson==[0-9.]*' pyproject.toml) \
	$(shell grep -o -m1 'opentelemetry-sdk==[0-9.]*' pyproject.toml) \
	$(shell grep -o -m1 'opentelemetry-exporter-otlp-proto-http==[0-9.]*' pyproject.toml)
MITM_LIST  := $(MITM_VENV)/.requirements
# An editable install of this layout makes setuptools print a boxed "Editable installation"
# notice (informational, nothing to fix); the filter keeps `make install` quiet without
# hiding any other warning.
EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: demo test check lint typecheck contracts pytest install mitm browser nginx clean FORCE

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(EDITABLE) $(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(MITM_LIST): FORCE
	@mkdir -p $(MITM_VENV)
	@echo '$(MITM_REQUIREMENTS)' | cmp -s - $@ || echo '$(MITM_REQUIREMENTS)' > $@

$(MITM_STAMP): pyproject.toml $(MITM_LIST)
	test -x $(MITM_VENV)/bin/python || $(PYTHON) -m venv $(MITM_VENV)
	$(MITM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MITM_VENV)/bin/python -m pip install --quiet $(MITM_REQUIREMENTS)
	$(EDITABLE) $(MITM_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@touch $(MITM_STAMP)

## The mitmproxy engine's own environment (.venv-mitm); quick when it is up to date.
mitm: $(MITM_STAMP)

## The whole stack on the embedded default (SQLite, localhost): migrate, seed, the analysis
## report (var/report), the route table, the monolith and the proxy. Ctrl-C stops it all.
demo: $(STAMP)
	$(VENV)/bin/strangler up

## Every check, then the whole pytest suite.
test: check pytest

check: lint typecheck contracts

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

## Headless Chromium (Debian's package) for the report's browser test. Best effort: it needs
## root and apt; without it that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "note: chromium is not installed; the report's browser test will skip"

## nginx (Debian's package), the live reference of the engine's HTTP conformance table
## (tests/strangler_proxy/engine/test_conformance.py). Best effort, as for chromium: without
## it the nginx rows skip and say why.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } \
	  || echo "note: nginx is not installed; the conformance table's nginx rows will skip"

## Prometheus (Debian's package, 2.42) for `strangler up --prometheus` and its test
## (tests/strangler_proxy/stack/test_observed_stack.py). Best effort, as for chromium: without
## it that test skips and says why. The package's own service is left stopped and disabled
## (where systemd started it): `strangler up --prometheus` runs its own on 127.0.0.1:9090.
.PHONY: prometheus
prometheus:
	@{ command -v prometheus || test -x /usr/bin/prometheus; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
	  && { systemctl disable --now prometheus >/dev/null 2>&1 || true; }; } \
	  || echo "note: prometheus is not installed; strangler up --prometheus and its test will skip"

## One pytest worker per core (at most 4; PYTEST_WORKERS=0 runs them in one process), each
## taking whole files, so a module's fixtures (a running stack) are made once. Every test
## binds its own ports and folders; `.venv/bin/pytest FILE` runs one file in one process.
PYTEST_WORKERS ?= auto
pytest: $(STAMP) $(MITM_STAMP) browser nginx prometheus
	$(PY) -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile

clean:
	rm -rf $(VENV) $(VENV)-* var .mypy_cache .ruff_cache
