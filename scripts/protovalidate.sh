#!/usr/bin/env bash
# Keeps third_party/protovalidate/buf/validate/validate.proto identical to the file of the Go
# module github.com/bufbuild/protovalidate at PROTOVALIDATE_VERSION (set in the Makefile).
#
#   protovalidate.sh check    fail if the vendored copy differs
#   protovalidate.sh vendor   overwrite the vendored copy from the module cache
set -euo pipefail
cd "$(dirname "$0")/.."

version="${PROTOVALIDATE_VERSION:?set PROTOVALIDATE_VERSION (the Makefile does)}"
module="github.com/bufbuild/protovalidate@$version"
vendored="third_party/protovalidate/buf/validate/validate.proto"

json="$(go mod download -json "$module")" || { echo "$json" >&2; exit 1; }
dir="$(jq -r '.Dir // empty' <<<"$json")"
[[ -n "$dir" ]] || { echo "go mod download $module: $(jq -r '.Error // "no Dir"' <<<"$json")" >&2; exit 1; }
upstream="$dir/proto/protovalidate/buf/validate/validate.proto"
[[ -f "$upstream" ]] || { echo "$module has no proto/protovalidate/buf/validate/validate.proto" >&2; exit 1; }

case "${1:-}" in
  check)
    if ! diff -u --label "$module" --label "$vendored" "$upstream" "$vendored"; then
      echo "$vendored differs from $module; run 'make vendor-protovalidate'" >&2
      exit 1
    fi
    echo "$vendored matches $module"
    ;;
  vendor)
    mkdir -p "$(dirname "$vendored")"
    # The module cache is read-only; the copy must not be.
    install -m 0644 "$upstream" "$vendored"
    echo "copied $vendored from $module"
    ;;
  *)
    echo "usage: $0 check|vendor" >&2
    exit 2
    ;;
esac
