# sohoa: the two commands are `make run` and `make test`; both install what is missing.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: run test system-deps venv lint bench clean lexicon

run: system-deps venv
	bash scripts/run_local.sh

test: venv
	bash scripts/install_system_deps.sh --test
	bash scripts/test.sh

system-deps:
	bash scripts/install_system_deps.sh

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check include dags plugins tests benchmarks

bench: system-deps venv
	$(VENV)/bin/python benchmarks/bench_qc.py
	$(VENV)/bin/python benchmarks/bench_ocr.py

# the OCR post-correction's lexicon (shipped in the repo; rebuild after changing its sources)
lexicon: venv
	$(VENV)/bin/python scripts/build_vi_lexicon.py

clean:
	rm -rf var
