# The two commands: `make run` starts the help desk, `make test` runs the whole test suite.
# Both create .venv and install the project when needed.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip without the "Location ... is ignored" lines of a pip.conf naming absent local folders
PIP := ./scripts/quiet-pip.sh $(BIN)/python -m pip

.PHONY: run test lint format train install clean vendor

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

$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
		python=$$(PYTHON="$(PYTHON)" ./scripts/find-python.sh) || exit 1; \
		echo "Creating $(VENV) with $$python"; \
		"$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) models .pytest_cache .ruff_cache

# Re-creates web/chat/socket.io.min.js from the npm lock file (the result is committed).
vendor:
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	cp web/node_modules/socket.io-client/dist/socket.io.min.js web/chat/socket.io.min.js
