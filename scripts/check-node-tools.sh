#!/usr/bin/env bash
# Checks that the buf and protoc-gen-es that npm installed in frontend/node_modules are the
# versions pinned in frontend/package.json. (This replaces @bufbuild/buf's own postinstall
# check, which package.json does not allow to run.)
set -euo pipefail
cd "$(dirname "$0")/../frontend"

pinned() { node -p "require('./package.json').devDependencies['$1']"; }

fail=0
want="$(pinned @bufbuild/buf)"
got="$(node_modules/.bin/buf --version 2>&1 || true)"
if [[ "$got" != "$want" ]]; then
  echo "buf: want $want (frontend/package.json), got: $got" >&2
  fail=1
fi
want="$(pinned @bufbuild/protoc-gen-es)"
got="$(node_modules/.bin/protoc-gen-es --version 2>&1 || true)"
if [[ "$got" != "protoc-gen-es v$want" ]]; then
  echo "protoc-gen-es: want v$want (frontend/package.json), got: $got" >&2
  fail=1
fi
exit "$fail"
