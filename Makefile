# Labelstream — the two commands: `make up` (start everything) and `make test` (run the whole suite).
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help up down test status lint schemas bench fuzz compose-up compose-down docker-stop k8s-up k8s-down k8s-status

help:
	@echo "make up      install what is missing, start Kafka, MongoDB, MinIO, the services and the gateway"
	@echo "make test    lint, type-check and run every test (starts what it needs, stops what it started)"
	@echo "make down    stop everything the launcher started"
	@echo "make status  what is running"
	@echo "make test ARGS='-k outbox'   pass arguments to pytest"
	@echo "make compose-up    the same platform in containers (docker-compose.yml) on our own dockerd; images built or reused"
	@echo "make compose-down  stop the compose stack, remove its containers and networks (VOLUMES=1: its data too)"
	@echo "make docker-stop   stop our dockerd and undo what it leaves on the host (after compose-down)"
	@echo "make k8s-up        a single-node Kubernetes on this machine (built once), the Helm chart on it, the gateway on 127.0.0.1:28000"
	@echo "make k8s-down      uninstall, stop the cluster by pid and undo what it left on the host (mounts, links, rules, sysctls)"
	@echo "make bench   benchmarks (bench/), each figure next to its baseline; BENCH=sync|consumers|media|labeling|export|ui for one"
	@echo "make fuzz    the long API fuzz through the gateway (schemathesis); FUZZ_EXAMPLES=250 FUZZ_SEED=20261130"

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

BENCH ?= sync consumers media labeling export ui
bench:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy up
	@for b in $(BENCH); do echo "== bench/$${b}_bench.py"; $(PY) bench/$${b}_bench.py $(ARGS) || exit 1; done

schemas:
	@$(PY) -m labelstream_shared.events.schemas shared/schemas

# The long run of tests/e2e/test_api_fuzz.py (make test runs it with 30 cases per operation).
FUZZ_EXAMPLES ?= 250
FUZZ_SEED ?= 20261130
fuzz:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy up --restart-services
	@LS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LS_FUZZ_SEED=$(FUZZ_SEED) $(PY) -m pytest tests/e2e/test_api_fuzz.py -s -q --timeout 1800 $(ARGS)

# docker-compose.yml on the Debian Docker engine (labelstream_deploy.containers); COMPOSE_PROJECT_NAME and the
# LS_*_PORT variables move it next to a running `make up`.
compose-up:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy.containers up

compose-down:
	@$(PY) -m labelstream_deploy.containers down $(if $(VOLUMES),--volumes)

docker-stop:
	@$(PY) -m labelstream_deploy.containers stop-engine

# The Helm chart (deploy/helm/labelstream) on a real single-node Kubernetes (labelstream_deploy.k8s); needs root.
# SET='key=value ...' passes chart values.
k8s-up:
	@deploy/bootstrap.sh
	@$(PY) -m labelstream_deploy.k8s up $(foreach v,$(SET),--set $(v))

k8s-down:
	@$(PY) -m labelstream_deploy.k8s down

k8s-status:
	@$(PY) -m labelstream_deploy.k8s status
