#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests
# (playwright-core drives it; no browser is ever downloaded). Idempotent: does nothing when
# it is already there. Installing needs root (or sudo) and the Debian package mirror.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

echo "==> installing chromium (Debian package)" >&2
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "chromium is missing and this user cannot install it: run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null >&2
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation </dev/null >&2
if [[ ! -x "$CHROMIUM" ]]; then
  echo "chromium installed but $CHROMIUM is not there" >&2
  exit 1
fi
