# DictaMesh — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench install lint constraints docs-config screenshots clean

$(STAMP): requirements/base.txt requirements/embedded.txt requirements/dev.txt requirements/prod.txt requirements/constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -r requirements/prod.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## run DictaMesh: embedded PostgreSQL+pgvector, Redis, Kafka (tansu), web, worker, beat — Ctrl-C stops all
run: install
	$(VENV)/bin/dictamesh dev

## run the whole test suite against services of its own (or DATABASE_URL / REDIS_URL / KAFKA_BOOTSTRAP_SERVERS)
## with coverage measured (the processes the tests start included), reported by module, held at COVERAGE_FLOOR %
COVERAGE_FLOOR ?= 92
test: install
	rm -rf .dictamesh/coverage && mkdir -p .dictamesh/coverage
	$(VENV)/bin/dictamesh test --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

## every headline benchmark at a small scale (about 6 minutes), against its target and the last recorded figure
bench: install
	$(PY) benchmarks/bench.py

## the browser tests (Chromium through chromium-driver), keeping a 1400 px screenshot of each page in docs/screenshots/
screenshots: install
	DICTAMESH_SCREENSHOTS=docs/screenshots $(VENV)/bin/dictamesh test tests/browser -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

constraints: install
	$(PY) -m pip freeze --exclude-editable | sed '/^dictamesh/d' | \
	  (echo "# Every transitive pin: \`pip freeze\` of a clean install of dev.txt + prod.txt. Regenerate with \`make constraints\`."; cat) \
	  > requirements/constraints.txt

## regenerate the variables table of docs/configuration.md from the settings' declarations
docs-config: install
	DICTAMESH_ENV=prod DICTAMESH_CHECK_CONFIG=1 $(PY) manage.py check_config --write-docs docs/configuration.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
