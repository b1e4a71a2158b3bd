#!/usr/bin/env bash
# The frontend's tests: vitest (components, hooks, the session, live sync), the production
# build and its bundle budget, then the browser tests: playwright-core driving Debian's
# chromium (installed by scripts/ensure-chromium.sh when missing) against a mesh of their
# own (frontend/e2e/run.mjs starts it with cmd/taskmesh-dev and stops it with SIGINT).
# Every part runs even when an earlier one failed; the exit status is non-zero if any did.
# The output ends with one line: "frontend: N passed, N failed".
#
# Environment (all optional):
#   FRONTEND_SKIP_BROWSER=1   skip the browser tests (vitest, build and budget only)
#   TASKMESH_URL              run the browser tests against this running mesh instead
#   TASKMESH_BROWSER_DATABASE_URL  the browser tests' database (default taskmesh_browser)
#
# The browser tests start a whole mesh; two meshes on one machine find each other's apps
# through mDNS, so this must not run while `make run` or the Go end-to-end tests do.
set -uo pipefail
cd "$(dirname "$0")/../frontend" || exit 1

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
passed=0
failed=0

stamp=node_modules/.taskmesh-installed
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  echo "==> npm ci in frontend/"
  npm ci --no-audit --no-fund || exit 1
  ../scripts/check-node-tools.sh || exit 1
  touch "$stamp"
fi

echo "==> vitest"
if npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json"; then :; else status=1; fi
if [[ -f "$results/vitest.json" ]]; then
  read -r p f < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests)' "$results/vitest.json")
  passed=$((passed + p)); failed=$((failed + f))
else
  failed=$((failed + 1))
fi

echo
echo "==> build (tsc, vite)"
if npm run --silent build; then
  echo
  echo "==> bundle budget"
  if node scripts/bundle-size.mjs; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
else
  echo "build: FAILED"
  failed=$((failed + 1)); status=1
fi

if [[ "${FRONTEND_SKIP_BROWSER:-}" != 1 && -f dist/index.html ]]; then
  echo
  echo "==> chromium"
  if ../scripts/ensure-chromium.sh; then
    echo
    echo "==> browser tests"
    if node e2e/run.mjs --test-reporter=tap --test-reporter-destination="$results/browser.tap" \
      --test-reporter=spec --test-reporter-destination=stdout; then :; else status=1; fi
    if [[ -f "$results/browser.tap" ]]; then
      p="$(grep -E '^# pass ' "$results/browser.tap" | tail -1 | awk '{print $3}')"
      f="$(grep -E '^# fail ' "$results/browser.tap" | tail -1 | awk '{print $3}')"
      passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
      [[ -n "$p" ]] || { failed=$((failed + 1)); status=1; }
    else
      failed=$((failed + 1)); status=1
    fi
    echo "screenshots: frontend/test-results/screenshots"
  else
    echo "chromium: could not be installed"
    failed=$((failed + 1)); status=1
  fi
fi

echo
((status == 0)) || ((failed > 0)) || failed=1
echo "frontend: $passed passed, $failed failed"
exit "$status"
