# Quick start on a fresh Debian 12 machine, as root:
#   make demo   run the demo on embedded defaults (simulated BMCs, local files)
#   make test   lint, type-check and run the whole test suite
# Each target installs what it needs, and only what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Debian packages, as "command-or-file:package", installed only when missing.
# The demo needs a Unicode font for invoice PDFs; the tests also cross-check
# against independent tools (ipmitool, OpenIPMI's ipmi_sim, pdftotext).
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# Building the rrdtool bindings needs a C compiler and librrd's headers.
BUILD_DEBS := gcc:gcc pkg-config:pkg-config /usr/include/rrd.h:librrd-dev
DEMO_DEBS := $(FONT):fonts-dejavu-core
TEST_DEBS := $(DEMO_DEBS) ipmitool:ipmitool ipmi_sim:openipmi pdftotext:poppler-utils \
	rrdtool:rrdtool rrdcached:rrdcached /usr/sbin/named:bind9 dig:bind9-dnsutils

.PHONY: demo test lint typecheck unit debs venv bench clean

demo: $(STAMP)
	@$(MAKE) --no-print-directory debs DEBS="$(DEMO_DEBS)"
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
	$(BIN)/python -m benchmarks.billing
	$(BIN)/python -m benchmarks.traffic
	$(BIN)/python -m benchmarks.ptr_bulk

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory debs DEBS="$(BUILD_DEBS)"
	@if ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then \
		echo "installing python3-venv"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip; \
	fi
	@if ! $(PYTHON) -c 'import os, sysconfig; \
		raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then \
		echo "installing python3-dev"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-dev; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

DEBS ?= $(TEST_DEBS)
debs:
	@missing=""; for pair in $(DEBS); do \
		need="$${pair%%:*}"; \
		command -v "$$need" >/dev/null || [ -e "$$need" ] || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		log=$$(mktemp); \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } \
			>"$$log" 2>&1 || { cat "$$log"; exit 1; }; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info demo-output
