#!/usr/bin/env bash
# Makes sure the PostgreSQL and/or Redis that Taskmesh needs answer, starting the local
# servers when they are installed here but stopped. A server on another host is only
# checked, never started.
#
#   ensure-services.sh [--postgres URL] [--redis HOST:PORT]
set -euo pipefail

die() { echo "ensure-services: $*" >&2; exit 1; }

is_local() { [[ "$1" =~ ^(|localhost|127\.0\.0\.1|::1|\[::1\])$ ]]; }

wait_for() { # seconds, command...
  local tries=$(($1 * 4)); shift
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  return 1
}

ensure_postgres() {
  local url="$1" host="" rest
  # postgres://[user[:password]@]host[:port][/db][?params]; a missing host means the local
  # Unix socket.
  rest="${url#*://}"
  rest="${rest%%[/?]*}"
  rest="${rest##*@}"
  if [[ "$rest" == \[* ]]; then host="${rest%%]*}]"; else host="${rest%%:*}"; fi

  if pg_isready -q -d "$url" 2>/dev/null; then return 0; fi
  is_local "$host" || die "PostgreSQL at $host does not answer (URL: $url)"
  if ! command -v pg_ctlcluster >/dev/null || [[ ! -d /etc/postgresql ]]; then
    die "PostgreSQL does not answer at $url and no local cluster is installed (postgresql-common)"
  fi
  local version
  version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)"
  [[ -n "$version" ]] || die "no cluster under /etc/postgresql"
  if pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1; then
    die "PostgreSQL $version/main is running but does not answer at $url (wrong host or port?)"
  fi
  echo "ensure-services: starting PostgreSQL $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
    die "could not start PostgreSQL $version/main (see /var/log/postgresql/)"
  wait_for 30 pg_isready -q -d "$url" || die "PostgreSQL $version/main started but does not answer at $url"
}

ensure_redis() {
  local addr="$1" host port
  host="${addr%:*}"
  port="${addr##*:}"
  local h="${host#[}"
  h="${h%]}"
  if [[ "$(redis-cli -h "${h:-127.0.0.1}" -p "$port" ping 2>/dev/null)" == PONG ]]; then return 0; fi
  is_local "$host" || die "Redis at $addr does not answer"
  command -v redis-server >/dev/null || die "Redis does not answer at $addr and redis-server is not installed"
  echo "ensure-services: starting Redis on port $port" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
    die "could not start Redis (see /var/log/redis/ci.log)"
  ping_redis() { [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; }
  wait_for 10 ping_redis || die "Redis started but does not answer on port $port (see /var/log/redis/ci.log)"
}

while (($#)); do
  case "$1" in
    --postgres) ensure_postgres "${2:?--postgres needs a URL}"; shift 2 ;;
    --redis) ensure_redis "${2:?--redis needs HOST:PORT}"; shift 2 ;;
    *) die "usage: $0 [--postgres URL] [--redis HOST:PORT]" ;;
  esac
done
