#!/usr/bin/env bash
# `make run`: runs Taskmesh on this machine. Today that is the api service alone, without a
# Dapr sidecar (it then keeps its events in the outbox), against the local PostgreSQL; the
# service applies its migrations on start.
#
# Environment (all optional):
#   DATABASE_URL            default: database "taskmesh" on the local server, created if missing
#   ADDR                    default :8080
#   AUTH_SIGNING_KEY_FILE   default .run/signing-key.pem, a dev Ed25519 key made once
#   LOG_FORMAT              default console
# Anything else the api reads (DATABASE_URL_FILE, AUTH_SIGNING_KEY, AUTH_ISSUER,
# AUTH_AUDIENCE, LOG_LEVEL) is passed through.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "make run: $*" >&2; exit 1; }

addr="${ADDR:-:8080}"
port="${addr##*:}"
host="${addr%:*}"
host="${host:-localhost}"

# One Taskmesh per checkout: the lock on .run/lock is held (fd 9, inherited by the service)
# for as long as it runs; cmd/taskmesh-dev takes the same lock.
mkdir -p .run
exec 9>>.run/lock
flock -n 9 ||
  die "Taskmesh seems to be running already: another 'make run' in this checkout holds .run/lock. Stop it first (Ctrl-C where it runs)."

listening() {
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
if listening "$port"; then
  die "Taskmesh seems to be running already: something listens on port $port. Stop it first, or choose another port with ADDR=:PORT."
fi

if [[ -n "${DATABASE_URL:-}" ]]; then
  scripts/ensure-services.sh --postgres "$DATABASE_URL"
elif [[ -z "${DATABASE_URL_FILE:-}" ]]; then
  admin="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
  scripts/ensure-services.sh --postgres "$admin"
  if [[ -z "$(psql "$admin" -XtAc "SELECT 1 FROM pg_database WHERE datname = 'taskmesh'")" ]]; then
    echo "make run: creating database taskmesh"
    psql "$admin" -Xq -c "CREATE DATABASE taskmesh"
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/taskmesh?sslmode=disable"
fi

if [[ -z "${AUTH_SIGNING_KEY_FILE:-}" && -z "${AUTH_SIGNING_KEY:-}" ]]; then
  export AUTH_SIGNING_KEY_FILE=.run/signing-key.pem
  if [[ ! -s "$AUTH_SIGNING_KEY_FILE" ]]; then
    echo "make run: creating a dev signing key in $AUTH_SIGNING_KEY_FILE"
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$AUTH_SIGNING_KEY_FILE.tmp")
    mv "$AUTH_SIGNING_KEY_FILE.tmp" "$AUTH_SIGNING_KEY_FILE"
  fi
fi

[[ "$(go list -f '{{.Name}}' ./services/api 2>/dev/null)" == main ]] ||
  die "services/api has no main package yet"
# Build, then exec the binary (rather than `go run`) so that Ctrl-C and SIGTERM reach the
# service itself and it shuts down cleanly.
mkdir -p .run/bin
go build -o .run/bin/api ./services/api

url="http://$host:$port"
cat <<MSG

Taskmesh api on $url (Connect, gRPC and gRPC-Web on one port; HTTP/2 without TLS;
server reflection on). No Dapr sidecar yet: events wait in the outbox.
  database:    ${DATABASE_URL:-from \$DATABASE_URL_FILE}
  signing key: ${AUTH_SIGNING_KEY_FILE:-from \$AUTH_SIGNING_KEY}

Try it from another terminal, in the repo root, with the pinned tools on PATH:
  export PATH="${TOOLS_BIN:-<run make tools>}:\$PWD/frontend/node_modules/.bin:\$PATH"
  buf curl --data '{"email": "ada@example.com", "password": "correct horse battery"}' \\
    $url/taskmesh.auth.v1.AuthService/SignUp
  grpcurl -plaintext localhost:$port list
More in README.md, "Trying the API". Ctrl-C stops it.

MSG

export ADDR="$addr"
export LOG_FORMAT="${LOG_FORMAT:-console}"
exec .run/bin/api
