#!/usr/bin/env bash
# `make test`: the whole suite. Runs `make check`, then `go test ./...` against the local
# PostgreSQL (tests create their own databases) and Redis, starting them if they are
# installed and stopped. go test runs even when a check fails, so one run shows every
# problem; the exit status is non-zero if either failed. The output ends with the go test
# summary.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

export TASKMESH_TEST_DATABASE_URL="${TASKMESH_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export REDIS_ADDR="${REDIS_ADDR:-127.0.0.1:6379}"

scripts/ensure-services.sh --postgres "$TASKMESH_TEST_DATABASE_URL" --redis "$REDIS_ADDR" || exit 1

check=0
scripts/check.sh || check=$?
# The Kubernetes deliverables (helm lint/template, kubeconform, Tiltfile), as `make k8s-check`.
deploy/k8s-checks/check.sh || check=$?

# The end-to-end tests run the real mesh: daprd at the pinned version, built once per
# machine (about 10 minutes cold on 2 cores, seconds after that).
echo
echo "==> daprd"
DAPRD="$(scripts/install-daprd.sh)" || exit 1
export DAPRD
echo "$DAPRD"

echo
echo "==> go test ./..."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
go test -count=1 -p 2 -timeout 20m ./... 2>&1 | tee "$log"
tests="${PIPESTATUS[0]}"

# The summary: each package that has tests (ok or FAIL), each failed test, then counts.
echo
echo "==> go test summary"
grep -E '^(ok|FAIL)[[:space:]]' "$log" || true
grep -E '^[[:space:]]*--- FAIL: ' "$log" | sed 's/^[[:space:]]*//' || true
printf 'packages: %d ok, %d failed, %d without tests\n' \
  "$(grep -cE '^ok[[:space:]]' "$log")" "$(grep -cE '^FAIL[[:space:]]' "$log")" "$(grep -cE '^\?[[:space:]]' "$log")"

if ((check != 0)); then echo "make check: FAILED (see above)"; fi
if ((tests != 0)); then echo "go test: FAILED"; else echo "go test: ok"; fi
((check == 0 && tests == 0))
