#!/usr/bin/env bash
# `make run`: runs the whole Taskmesh mesh on this machine — every service with its own
# daprd sidecar, Redis pub/sub and state, PostgreSQL — and serves the app on
# http://localhost:8080. Ctrl-C stops everything it started, and nothing else.
#
# Environment (all optional):
#   DATABASE_URL  default: database "taskmesh" on the local server (created if missing)
#   REDIS_ADDR    default 127.0.0.1:6379
#   WEB_ADDR      default 127.0.0.1:8080
#   DAPRD         a daprd binary to use instead of the pinned one built by
#                 scripts/install-daprd.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/taskmesh?sslmode=disable}"
export REDIS_ADDR="${REDIS_ADDR:-127.0.0.1:6379}"

# PostgreSQL and Redis: started when installed here and stopped; a remote one is checked.
scripts/ensure-services.sh --postgres "$DATABASE_URL" --redis "$REDIS_ADDR"

# daprd at the pinned version, built once per machine (about 10 minutes the first time).
if [[ -z "${DAPRD:-}" ]]; then
  DAPRD="$(scripts/install-daprd.sh)"
  export DAPRD
fi

# The web app, served by the gateway from frontend/dist.
(cd frontend && npm run build --silent)

# Build, then exec (rather than `go run`) so that Ctrl-C reaches the launcher, which stops
# every process it started. It refuses to start twice (lock on .run/lock, port check).
mkdir -p .run/bin
go build -o .run/bin/taskmesh-dev ./cmd/taskmesh-dev
exec .run/bin/taskmesh-dev -web "${WEB_ADDR:-127.0.0.1:8080}"
