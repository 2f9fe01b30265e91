# Labelstream — the two commands: `make up` (start everything) and `make test` (run the whole suite).
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help up down test status lint schemas bench

help:
	@echo "make up      install what is missing, start Kafka, MongoDB, MinIO, the services and the gateway"
	@echo "make test    lint, type-check and run every test (starts what it needs, stops what it started)"
	@echo "make down    stop everything the launcher started"
	@echo "make status  what is running"
	@echo "make test ARGS='-k outbox'   pass arguments to pytest"
	@echo "make bench   benchmarks (bench/), each figure next to its baseline"

up:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy up

test:
	@deploy/test.sh $(ARGS)

down:
	@if [ -x $(PY) ]; then $(PY) -m labelstream_deploy down; fi

status:
	@$(PY) -m labelstream_deploy status

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

bench:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy up
	@$(PY) bench/sync_bench.py $(ARGS)

schemas:
	@$(PY) -m labelstream_shared.events.schemas shared/schemas
