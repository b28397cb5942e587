# quinte: `make run` starts the service, `make test` runs the suite, `make bench` the benchmarks.
# Each target installs what is missing first (Debian packages, the virtual environment, Python packages).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := tesseract-ocr tesseract-ocr-ita tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra \
	tesseract-ocr-spa tesseract-ocr-osd poppler-utils chromium fonts-dejavu-core qpdf ghostscript unpaper
# Tesseract's OpenMP threads halve throughput on small machines; quinte parallelises across pages instead.
export OMP_THREAD_LIMIT := 1

.PHONY: run test bench lint deps system clean

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@rm -f $(VENV)/.installed-*; touch $@

deps: system $(STAMP)

run: deps
	$(BIN)/quinte up $(if $(SAMPLES),--samples 6)

test: deps
	$(BIN)/ruff check .
	$(BIN)/pytest -q -ra $(PYTEST_ARGS)

bench: deps
	$(BIN)/python -m benchmarks $(BENCH)

lint: deps
	$(BIN)/ruff check .

clean:
	rm -rf var inbox .pytest_cache
