# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
UV_VERSION := 0.13.9
DAPR_RUNTIME_VERSION := $(shell sed -n 's/^DAPR_RUNTIME_VERSION=//p' scripts/dapr-versions.env)
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
# The app image `make image` builds (Dockerfile) with podman, or Docker with
# CONTAINER_ENGINE=docker (docs/containers.md).
IMAGE ?= localhost/dapr-commerce/app:dev
# Where the stack runs: `processes` on loopback, or `containers` (a pod per app replica, with
# placement and scheduler, on a network of its own; the images are built first).
RUNTIME ?= processes
export DAPR_STACK := $(RUNTIME)
# Which components/<profile> backs state and pub/sub: embedded, redis or postgres.
PROFILE ?= embedded
export DAPR_PROFILE := $(PROFILE)
# How many replicas of each app `make run` starts (more than 1: HA control plane, front door).
REPLICAS ?= 1
export REPLICAS
# podman and buildah read the project's containers.conf instead of the host's /etc files.
export CONTAINERS_CONF := $(CURDIR)/scripts/containers/containers.conf

.PHONY: run prepare test test-k8s test-replicas test-profiles test-containers faults faults-crash faults-long unit manifests e2e bench bench-soak bench-smoke lint format setup tools browser runtime servers minio containers image images deps clean

run: setup prepare ## control plane + orders + payments (dapr.yaml) on loopback until Ctrl-C
	$(UV) run --frozen python -m devstack

prepare: deps ## what the components need (.data/, local secrets): enough for `dapr run -f dapr.yaml`
	@$(UV) run --frozen python -m devstack.prepare

test: setup lint ## lint, then unit and end-to-end tests against the real runtime
	$(UV) run --frozen pytest -m "not faults and not replicas and not k8s"

test-replicas: setup servers ## 3 replicas of each app, HA control plane, front door (CI)
	$(UV) run --frozen pytest -m replicas

# Redis and PostgreSQL run as containers through testcontainers (podman), or from Debian's
# packages where no container engine can be had.
test-profiles: setup servers minio containers ## the end-to-end suite again on the redis and postgres profiles
	DAPR_PROFILE=redis $(UV) run --frozen pytest -m e2e
	DAPR_PROFILE=postgres $(UV) run --frozen pytest -m e2e

# The end-to-end files the container stack cannot run, and why (the one place that says so):
# test_observability.py: its trace collector listens on the host's loopback, which containers
#   cannot reach, and it reads the apps' log files as processes write them (the engine writes
#   its own log format);
# test_dapr_run_file.py: it starts processes as the dapr CLI would, so it proves nothing new there.
CONTAINER_E2E := -m e2e --ignore=tests/e2e/test_observability.py \
  --ignore=tests/e2e/test_dapr_run_file.py

test-containers: setup images ## the end-to-end suite against the container stack
	DAPR_STACK=containers $(UV) run --frozen pytest $(CONTAINER_E2E)

# The service on the single-node cluster of cluster/ (built once into .cluster/build): Dapr from
# its chart, the app and Redis images imported, tests/k8s/overlays/$(K8S_OVERLAY) deployed (an
# overlay of deployments/ with Redis and a webhook receiver), tests/k8s through the orders
# Service; then every pod's log is kept in .cluster/logs/test-k8s/ and the cluster stopped,
# whatever happened (K8S_KEEP=1: left running). K8S_OVERLAY=prod: three replicas of each app.
K8S_OVERLAY ?= dev
test-k8s: deps tools image ## an overlay (dev) on Kubernetes with Dapr: checkout, tokens, mTLS and access control, a rollout
	@bash scripts/containers/debian-image.sh redis
	@bash cluster/build.sh cluster
	@bash cluster/build.sh dapr
	K8S_OVERLAY=$(K8S_OVERLAY) K8S_APP_IMAGE=$(IMAGE) $(UV) run --frozen pytest -m k8s

faults: setup servers ## kills apps, sidecars, control plane and payments under load; counts what was lost
	$(UV) run --frozen pytest -m faults

faults-crash: setup ## only the app and sidecar crash scenarios (CI runs them on every profile)
	$(UV) run --frozen pytest -m faults tests/faults/test_processes.py

faults-long: setup ## the crash scenarios at scale: 50 app and 20 sidecar kills during 1,000 checkouts each
	FAULTS_LONG=1 $(UV) run --frozen pytest -m faults tests/faults/test_processes.py -o timeout=3600

unit: deps tools ## pure logic and the API in-process, no sidecar: seconds
	$(UV) run --frozen pytest -m "unit or api"

manifests: deps tools ## deployments/ rendered with kustomize and checked against the schemas
	$(UV) run --frozen pytest -m manifests

e2e: setup
	$(UV) run --frozen pytest -m e2e

bench: setup servers ## figures beside same-run baselines; writes bench/results/<profile>*.{json,md}
	$(UV) run --frozen python -m bench
	$(UV) run --frozen python -m bench.read_models
	$(UV) run --frozen python -m bench.replicas
	$(UV) run --frozen python -m bench.profiles

bench-soak: setup ## make bench plus B6: ten minutes of load, and how much memory grew
	$(UV) run --frozen python -m bench --soak 600

bench-smoke: setup servers ## tiny counts, only to keep the benchmarks working (CI)
	$(UV) run --frozen python -m bench --smoke
	$(UV) run --frozen python -m bench.read_models --smoke
	$(UV) run --frozen python -m bench.replicas --smoke
	$(UV) run --frozen python -m bench.profiles --smoke

lint: deps
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

format: deps
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

setup: deps tools browser runtime $(if $(filter-out embedded,$(PROFILE))$(filter-out 1,$(REPLICAS)),servers) \
       $(if $(filter-out embedded,$(PROFILE)),minio) \
       $(if $(filter containers,$(RUNTIME)),images)

tools: ## kustomize, to render deployments/ offline in the tests; vegeta, the benchmarks' fixed-rate load
	@# kustomize v5.8.1+ needs Go 1.27.
	@bash scripts/install-go-tool.sh kustomize sigs.k8s.io/kustomize/kustomize/v5 v5.8.0
	@bash scripts/install-go-tool.sh vegeta github.com/tsenart/vegeta/v12 v12.12.0

browser: ## Debian's Chromium and chromedriver, for the console's browser tests
	@bash scripts/install-browser.sh

servers: ## redis-server and postgresql from Debian packages, for the other profiles
	@bash scripts/install-servers.sh

minio: ## MinIO from its Go module, the S3 store of the other profiles' images binding
	@bash scripts/build-minio.sh

containers: ## podman, buildah, runc and mmdebstrap from Debian packages, for images and containers
	@bash scripts/install-containers.sh

image: containers ## the app image from the Dockerfile, on a Python base made from Debian packages
	@bash scripts/containers/build-image.sh $(IMAGE) $(UV_VERSION)

images: image runtime ## the app image, and daprd, placement, scheduler, Redis and PostgreSQL images
	@bash scripts/containers/dapr-images.sh .dapr-runtime/$(DAPR_RUNTIME_VERSION)/bin $(DAPR_RUNTIME_VERSION)
	@bash scripts/containers/debian-image.sh redis
	@bash scripts/containers/debian-image.sh postgres

runtime: ## daprd, placement and scheduler at the pinned release, built once and cached
	@bash scripts/build-dapr.sh

# Bytecode compiled once at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines and in
# the image) every process, each test run and each app of a stack, would compile its imports.
deps: $(UV)
	@$(UV) sync --frozen --quiet --compile-bytecode

$(UV):
	@command -v python3 >/dev/null || { echo "Python 3.11 is needed: install python3.11"; exit 1; }
	python3 -m pip install --quiet --user "uv==$(UV_VERSION)" || \
	  python3 -m pip install --quiet --user --break-system-packages "uv==$(UV_VERSION)"

clean: ## the data and logs of `make run` (not the cached runtime)
	rm -rf .data

.PHONY: cluster cluster-dapr cluster-down cluster-check

cluster: ## a single-node Kubernetes on this machine, on its own bridge (see cluster/README.md)
	@bash cluster/build.sh cluster
	@bash cluster/up.sh

cluster-dapr: cluster ## the pinned Dapr on that cluster, installed with its Helm chart
	@bash cluster/build.sh dapr
	@bash cluster/dapr.sh

cluster-down: ## stops the cluster and puts the host back as it was
	@bash cluster/down.sh

cluster-check: ## node, DNS and Services; with Dapr installed, sidecar injection, mTLS, placement
	@bash cluster/check.sh
