#!/usr/bin/env bash
# `make test`: the whole suite.
#
#   1. checks: `make check` (buf lint/format/breaking, generated code, vet, gofmt) and the
#      Kubernetes checks (`make k8s-check`);
#   2. go test ./... (unit, integration against the local PostgreSQL and Redis, and the
#      end-to-end tests that run the real mesh with daprd), through gotestsum;
#   3. the frontend: vitest, build and bundle budget, and browser tests in Debian's
#      chromium against the real mesh (scripts/test-frontend.sh).
#
# Every step runs even when an earlier one failed, so one run shows every problem; the
# exit status is non-zero if any failed. The output ends with the counts of each part and
# a last line "all: N passed, N failed".
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

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

echo
echo "==> go test ./..."
gotestsum --format pkgname-and-test-fails --jsonfile "$results/go.json" -- \
  -count=1 -p 2 -timeout 20m ./...
gotest=$?
# Count tests (not packages): leaf results of test events, fuzz seeds and subtests
# included.
go_passed="$(jq -s '[.[] | select(.Test != null and .Action == "pass")] | length' "$results/go.json")"
go_failed="$(jq -s '[.[] | select(.Test != null and .Action == "fail")] | length' "$results/go.json")"
if ((gotest != 0 && go_failed == 0)); then go_failed=1; fi # a build failure fails no test

# The frontend after go test, never at the same time: the browser tests run a mesh too,
# and one mesh runs per machine.
echo
echo "==> frontend"
scripts/test-frontend.sh | tee "$results/frontend.log"
frontend=${PIPESTATUS[0]}
fe_line="$(grep -E '^frontend: [0-9]+ passed, [0-9]+ failed$' "$results/frontend.log" | tail -1)"
fe_passed="$(sed -E 's/^frontend: ([0-9]+) passed.*/\1/' <<<"${fe_line:-frontend: 0 passed, 1 failed}")"
fe_failed="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"${fe_line:-frontend: 0 passed, 1 failed}")"

echo
echo "==> summary"
if ((check != 0)); then echo "checks: FAILED (see above)"; else echo "checks: ok"; fi
echo "go: $go_passed passed, $go_failed failed"
echo "frontend: $fe_passed passed, $fe_failed failed"
failed=$((go_failed + fe_failed + (check != 0)))
echo "all: $((go_passed + fe_passed)) passed, $failed failed"
((check == 0 && gotest == 0 && frontend == 0))
