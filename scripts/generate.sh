#!/usr/bin/env bash
# Regenerates every generated file from its source: proto/ -> gen/taskmesh (Go, Connect) and
# frontend/src/gen (TypeScript); sql/<service>/ -> gen/sqlc. Run it through `make generate`,
# which puts the pinned buf, plugins and sqlc on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in buf protoc-gen-go protoc-gen-connect-go protoc-gen-es sqlc; do
  command -v "$tool" >/dev/null || { echo "generate: $tool not on PATH; run it as 'make generate'" >&2; exit 1; }
done

# Start from empty directories so that files of deleted protos or queries disappear too.
rm -rf gen/taskmesh gen/sqlc frontend/src/gen
buf generate
sqlc generate
