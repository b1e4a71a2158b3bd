# Taskmesh developer entry points. `make` alone lists them.
#
# Every tool is pinned: the Go tools by tools/go.mod (`tool` directives), buf and
# protoc-gen-es by frontend/package-lock.json. Nothing is taken from the machine's PATH
# except go, node/npm, git, gcc and the PostgreSQL/Redis servers.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# Go tools live outside the repo, in a directory keyed by the content of tools/go.mod and
# tools/go.sum, so that every clone on this machine shares one build (same cache root as
# scripts/install-daprd.sh).
TASKMESH_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/taskmesh
TOOLS_HASH := $(shell cat tools/go.mod tools/go.sum | sha256sum | cut -c1-12)
TOOLS_BIN := $(TASKMESH_CACHE)/tools-$(TOOLS_HASH)/bin
TOOLS_STAMP := $(TOOLS_BIN)/.installed
NODE_STAMP := frontend/node_modules/.taskmesh-installed

# The vendored third_party/protovalidate/buf/validate/validate.proto comes from this version
# of the Go module github.com/bufbuild/protovalidate.
PROTOVALIDATE_VERSION := v1.2.2

export TOOLS_BIN PROTOVALIDATE_VERSION
export PATH := $(TOOLS_BIN):$(CURDIR)/frontend/node_modules/.bin:$(PATH)

.PHONY: help tools generate check test run vendor-protovalidate

help: ## List the targets
	@echo "Usage: make <target>"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  %-22s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

tools: $(TOOLS_STAMP) $(NODE_STAMP) ## Install the pinned tools (Go tools into a shared cache, npm ci in frontend/)

# No prerequisites on purpose: the directory name already encodes the tools' versions, and a
# fresh clone's newer file times must not trigger a rebuild. sqlc needs cgo.
$(TOOLS_STAMP):
	@echo "==> installing the Go tools of tools/go.mod into $(TOOLS_BIN)"
	cd tools && CGO_ENABLED=1 GOBIN="$(TOOLS_BIN)" go install tool
	@touch "$@"

# npm ci wipes node_modules, so the stamp inside it goes too. @bufbuild/buf's postinstall is
# denied in package.json (allowScripts): it only re-checks the binary that the platform
# package (an optional dependency) already brings, so the version check is done here.
$(NODE_STAMP): frontend/package-lock.json frontend/package.json
	@echo "==> npm ci in frontend/"
	cd frontend && npm ci --no-audit --no-fund
	@scripts/check-node-tools.sh
	@touch "$@"

generate: tools ## Regenerate gen/taskmesh, gen/sqlc and frontend/src/gen (buf generate, sqlc generate)
	@scripts/generate.sh

check: tools ## Lint and check: buf lint/format/breaking, protovalidate copy, generated code, go vet, gofmt
	@scripts/check.sh

test: tools ## The whole suite: make check, then go test ./... (starts PostgreSQL and Redis if stopped)
	@scripts/test.sh

run: tools ## Run the whole mesh locally (every service with its daprd sidecar) on http://localhost:8080
	@scripts/run.sh

vendor-protovalidate: ## Refresh third_party/protovalidate from the Go module cache
	@scripts/protovalidate.sh vendor

.PHONY: images k8s-check

images: ## Build every service's image with Docker (taskmesh-<service>:dev; IMAGE_PREFIX, IMAGE_TAG, PLATFORM)
	@deploy/docker/images.sh

k8s-check: ## Check the Helm chart, Dapr resources and Tiltfile offline: helm lint/template, kubeconform, tiltcheck
	@deploy/k8s-checks/check.sh
