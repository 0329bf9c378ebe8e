# Stancemap: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MODELS ?= models
PORT ?= 8000
HOST ?= 127.0.0.1
JOBS ?= 2

.PHONY: help install browser run test lint audit train evaluate model clean

help: ## List the targets with what they do
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,batch,accuracy]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the project with its test tools, the batch and accuracy extras (pinned by constraints.txt)

run: model ## Serve the default model with gunicorn on $(HOST):$(PORT) (make run PORT=8123)
	STANCEMAP_MODEL_DIR=$(MODELS) $(BIN)/stancemap-serve --host $(HOST) --port $(PORT)

browser: ## Install Debian's Chromium for the browser test, if missing (needs root and apt-get)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "The browser test needs Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

test: install browser lint audit ## Run the linter, the dependency audit and the test suite (all tiers)
	$(BIN)/pytest

lint: install ## Check the code with ruff
	$(BIN)/ruff check .

audit: install ## Check installed packages for known vulnerabilities (pip-audit; waivers: .pip-audit-waivers)
	$(BIN)/python tools/audit.py $(if $(AUDIT_STRICT),--strict)

train: install ## Train a model on the bundled corpus into models/ (cross-validated, JOBS=2 processes; prints the table)
	$(BIN)/stancemap-train --out $(MODELS) --jobs $(JOBS)

$(MODELS)/current:
	$(MAKE) train

model: install $(MODELS)/current ## Train the default model only if models/ has none

evaluate: model ## Score the current model on DATA=file.jsonl
	$(BIN)/stancemap-evaluate --model $(MODELS) --data $(DATA)

clean: ## Remove the virtual environment, caches and trained models
	rm -rf $(VENV) $(MODELS) .pytest_cache .ruff_cache *.egg-info
