# Quick start on a fresh Debian 12 machine, as root:
#   make demo   run the demo on embedded defaults (SQLite, simulated BMCs, local files)
#   make test   lint, type-check and run the whole test suite
# Each target installs what it needs, and only what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages: command -> package. Demo needs none beyond Python;
# tests cross-check against independent IPMI tools.
TEST_DEBS := ipmitool:ipmitool ipmi_sim:openipmi

.PHONY: demo test lint typecheck unit debs venv bench clean

demo: $(STAMP)
	$(BIN)/python -m examples.demo

test: $(STAMP) debs lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check hostlib tests benchmarks examples
	$(BIN)/ruff format --check hostlib tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) debs
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP) debs
	$(BIN)/python -m benchmarks.power_bulk

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then \
		echo "installing python3-venv"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

debs:
	@missing=""; for pair in $(TEST_DEBS); do \
		command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info demo-output
