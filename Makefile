# The two commands: `make run` starts the help desk, `make test` runs the whole test suite.
# Both create .venv and install the project when needed.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip without the "Location ... is ignored" lines of a pip.conf naming absent local folders
PIP := ./scripts/quiet-pip.sh $(BIN)/python -m pip

.PHONY: run test lint format train install lock clean vendor

run: $(STAMP)
	$(BIN)/helpdesk ats migrate
	$(BIN)/helpdesk run

test: $(STAMP)
	@./scripts/install-chromium.sh
	@./scripts/install-nginx.sh
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict -p ats

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

train: $(STAMP)
	$(BIN)/python -m ops.model

install: $(STAMP)
	@./scripts/install-nginx.sh

# Exactly the versions and files of requirements-test.lock (hash-checked; the few sdists built as
# PEP 517 wheels, not by the deprecated setup.py install), less what an older lock left behind
# (pip-sync), then the project itself without dependencies, built with the lock's setuptools.
$(STAMP): pyproject.toml requirements-test.lock
	@if [ ! -x $(BIN)/python ]; then \
		python=$$(PYTHON="$(PYTHON)" ./scripts/find-python.sh) || exit 1; \
		echo "Creating $(VENV) with $$python"; \
		"$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PIP) install --quiet --require-hashes --use-pep517 -r requirements-test.lock
	./scripts/quiet-pip.sh $(BIN)/pip-sync --quiet requirements-test.lock
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Re-resolves the dependencies of pyproject.toml into the lock files, with every file's hash:
# requirements-test.lock (the project with its test extra: make install), then requirements.lock
# (the project alone: the Dockerfile) within it, so that both hold the same versions. Pins that
# still fit are kept; to move everything to the newest, delete requirements-test.lock first.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	$(PIP_COMPILE) --extra test --output-file requirements-test.lock pyproject.toml
	$(PIP_COMPILE) --constraint requirements-test.lock --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) models .pytest_cache .ruff_cache

# Re-creates web/chat/socket.io.min.js from the npm lock file (the result is committed).
vendor:
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	cp web/node_modules/socket.io-client/dist/socket.io.min.js web/chat/socket.io.min.js
