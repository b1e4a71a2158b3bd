#!/usr/bin/env bash
# Builds daprd at a pinned version from the Go module github.com/dapr/dapr and caches the
# binary outside the repo, keyed by version, so that a fresh clone reuses it.
#
# The Dapr CLI and its release downloads are not reachable from our machines; the Go module
# proxy is. A throwaway module requires dapr and copies the `replace` lines of dapr's own
# go.mod (without them the dependency graph does not resolve). `stablecomponents` gives the
# components we use (redis/kafka pub/sub, cron bindings, redis/postgres state, local-file and
# kubernetes secret stores); `allcomponents` does not build on Go 1.26 and no tag panics at
# start. Cold build: about 10 minutes on 2 cores; seconds with a warm Go build cache.
#
# Patches: scripts/daprd-patches/<version>-*.patch are applied to the module's source
# in a copy of the module that replaces it in the build. 1.16.0-app-token.patch makes daprd send the app API token
# (APP_API_TOKEN) with gRPC topic events and input bindings too, not only with service
# invocation; upstream fixed this in 1.16.2 (dapr/dapr#9143), whose dependencies the module
# proxy does not serve us. The binary is cached under a name keyed by the patches' hash.
#
# Prints the path of the binary on stdout; progress goes to stderr.
set -euo pipefail

version="${DAPR_VERSION:-1.16.0}"
cache="${TASKMESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskmesh}"
patches=("$(cd "$(dirname "$0")" && pwd)/daprd-patches/$version-"*.patch)
[[ -e "${patches[0]}" ]] || patches=()
suffix=""
if ((${#patches[@]})); then
  suffix="-$(cat "${patches[@]}" | sha256sum | cut -c1-12)"
fi
bin="$cache/daprd-$version$suffix/daprd"

if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "$version"; then
  echo "$bin"
  exit 0
fi

work="$cache/daprd-$version$suffix/build"
mkdir -p "$work"
# Several clones (or a test run and `make run`) may ask at once: one builds, the others wait
# for its lock and then find the binary. They share the build directory, so without the
# lock a second build would clobber the first one's go.mod and temporary binary.
exec 9>"$cache/daprd-$version$suffix/.lock"
flock 9
if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "$version"; then
  echo "$bin"
  exit 0
fi
cd "$work"
echo "building daprd $version (first time on this machine: about 10 minutes)..." >&2
cat > go.mod <<MOD
module taskmesh.local/daprd-build

go 1.26
MOD
GOFLAGS=-mod=mod go mod download "github.com/dapr/dapr@v$version"
daprmod="$(go env GOMODCACHE)/github.com/dapr/dapr@v$version/go.mod"
# Copy every replace block and single-line replace of dapr's go.mod, skipping local paths.
awk '
  /^replace \(/ { inblock=1; print; next }
  inblock && /^\)/ { inblock=0; print; next }
  inblock { if ($0 !~ /=> \.\.?\//) print; next }
  /^replace / && $0 !~ /=> \.\.?\// { print }
' "$daprmod" >> go.mod
GOFLAGS=-mod=mod go get "github.com/dapr/dapr@v$version" >&2
if ((${#patches[@]})); then
  # A writable copy of the module, patched, replaces it in the build (an overlay cannot
  # replace files in the module cache).
  rm -rf dapr-src && cp -r "$(go env GOMODCACHE)/github.com/dapr/dapr@v$version" dapr-src && chmod -R u+w dapr-src
  # git apply, not patch(1): git is on every machine that has the repo.
  for p in "${patches[@]}"; do (cd dapr-src && git apply -p1 "$p"); done
  echo "replace github.com/dapr/dapr => ./dapr-src" >> go.mod
fi
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -tags stablecomponents \
  -ldflags "-X github.com/dapr/dapr/pkg/buildinfo.version=$version" \
  -o "$bin.tmp" github.com/dapr/dapr/cmd/daprd >&2
mv "$bin.tmp" "$bin"
echo "$bin"
