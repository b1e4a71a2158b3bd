#!/usr/bin/env bash
# `make check`: every static check, in order. A failing check does not stop the others; the
# summary at the end lists what failed. Run it through make, which installs the pinned tools
# and puts them on PATH.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

failed=()
step() {
  local name="$1"; shift
  echo "==> $name"
  if "$@"; then
    return 0
  fi
  echo "--- FAILED: $name"
  failed+=("$name")
}

buf_format() {
  buf format --diff --exit-code || { echo "run 'buf format -w' to fix"; return 1; }
}

generated_up_to_date() {
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "skipped: not a git work tree, so there is nothing to compare with"
    return 0
  fi
  scripts/generate.sh || return 1
  local changes
  changes="$(git status --porcelain --untracked-files=all -- gen frontend/src/gen)"
  if [[ -n "$changes" ]]; then
    echo "generated code differs from what is committed (after 'make generate'):"
    echo "$changes"
    echo "commit the regenerated files (never edit gen/ or frontend/src/gen by hand)"
    return 1
  fi
  echo "generated code is up to date"
}

go_vet() { go vet ./...; }

go_fmt() {
  local files
  files="$(find . \( -path ./.git -o -path ./gen -o -path ./frontend/node_modules -o -path ./.run \) -prune \
    -o -name '*.go' -type f -print | sort | xargs -r gofmt -l)" || return 1
  if [[ -n "$files" ]]; then
    echo "not gofmt-ed (run 'gofmt -w' on them):"
    echo "$files"
    return 1
  fi
}

step "buf lint" buf lint
step "buf format" buf_format
step "buf breaking" scripts/buf-breaking.sh
step "vendored protovalidate" scripts/protovalidate.sh check
step "generated code up to date" generated_up_to_date
step "go vet" go_vet
step "gofmt" go_fmt

echo
if ((${#failed[@]})); then
  list="$(printf '%s, ' "${failed[@]}")"
  echo "make check: FAILED: ${list%, }"
  exit 1
fi
echo "make check: ok"
