# sohoa: the two commands are `make run` and `make test`; both install what is missing.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: run test system-deps venv lint bench clean lexicon celery-check

run: system-deps venv
	bash scripts/run_local.sh

test: venv
	bash scripts/install_system_deps.sh --test
	bash scripts/test.sh

# CeleryExecutor without Docker: api-server, scheduler, dag-processor, triggerer and two
# Celery workers on the local PostgreSQL and Redis; the small sample through every DAG.
celery-check: system-deps venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PYTHONPATH="$(CURDIR)/include" $(VENV)/bin/python scripts/celery_check.py $(ARGS)

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
	$(VENV)/bin/pip install --quiet -r requirements-bench.txt
	$(VENV)/bin/python benchmarks/bench_qc.py
	$(VENV)/bin/python benchmarks/bench_ocr.py

# the OCR post-correction's lexicon (shipped in the repo; rebuild after changing its sources)
lexicon: venv
	$(VENV)/bin/python scripts/build_vi_lexicon.py

clean:
	rm -rf var
