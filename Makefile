# aitrack: `make demo` to see it work, `make test` to check it. `make help` lists targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	# The bundled pip (23.2) skips lxml's html_clean extra that trafilatura needs.
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	# Feeds come from our own renderer now; an older venv's datasette-atom would compete.
	$(VENV)/bin/pip uninstall --quiet --yes datasette-atom 2>/dev/null || true
	touch $(STAMP)

install: $(STAMP) ## Create .venv/ and install aitrack into it

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

# Debian's Redis for the scale-out tests (they start and stop their own redis-server).
REDIS := /usr/bin/redis-server
$(REDIS):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server

system-deps: $(CHROMIUM) $(REDIS) ## Install the Debian packages the tests need (needs root)

# curl: for running the shared scorers by hand (../shared/eval/README.md); bench/extraction.py calls them in-process.
CURL := /usr/bin/curl
$(CURL):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl

demo: install ## Crawl the bundled demo site on 127.0.0.1, then serve it with Datasette
	$(VENV)/bin/aitrack demo

test: install system-deps lint ## Lint, then run the test suite
	$(VENV)/bin/pytest -q

screenshots: install system-deps ## Refresh docs/screenshot-*.png from the browser test
	AITRACK_UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/test_browser.py

bench: install $(CURL) ## Benchmarks (not tests): one table of figures measured side by side
	$(VENV)/bin/python bench/all.py

lint: install ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## Remove the venv and generated databases
	rm -rf $(VENV) data/*.db

.PHONY: help install system-deps demo test screenshots bench lint format clean
