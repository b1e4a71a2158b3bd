#!/usr/bin/env bash
# Prints the directory of the JSON schemas kubeconform validates against, generating it first
# if needed (offline: from the Go module cache, through the Go module proxy), into a cache
# directory keyed by the versions (versions.env) and the generator's source. Progress goes
# to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${TASKMESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskmesh}"
key="$(cat "$here"/schemagen/*.go | sha256sum | cut -c1-12)"
dir="$cache/k8s-schemas/k8s-$K8S_VERSION-dapr-$DAPR_VERSION-$key"

if [[ -f "$dir/.complete" ]]; then
  echo "$dir"
  exit 0
fi

# Module directory of path@version (downloaded if needed), from outside any module so that no
# go.mod changes.
outside="$(mktemp -d)"
trap 'rm -rf "$outside"' EXIT
moddir() {
  (cd "$outside" && GOFLAGS= go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}
echo "generating the Kubernetes $K8S_VERSION and Dapr $DAPR_VERSION schemas into $dir..." >&2
k8s="$(moddir "k8s.io/kubernetes@v$K8S_VERSION")"
dapr="$(moddir "github.com/dapr/dapr@v$DAPR_VERSION")"
[[ -f "$k8s/api/openapi-spec/swagger.json" ]] || { echo "schemas: no swagger.json in $k8s" >&2; exit 1; }
crds=()
for kind in components subscription resiliency configuration; do
  crds+=(-crd "$dapr/charts/dapr/crds/$kind.yaml")
done
# Into a directory of its own, then renamed: a concurrent run (make k8s-check and go test)
# never sees half a set.
mkdir -p "$(dirname "$dir")"
out="$(mktemp -d "$dir.tmp.XXXXXX")"
(cd "$root" && go run ./deploy/k8s-checks/schemagen \
  -swagger "$k8s/api/openapi-spec/swagger.json" -version "$K8S_VERSION" "${crds[@]}" -out "$out") >&2
touch "$out/.complete"
if ! mv -T "$out" "$dir" 2>/dev/null; then
  rm -rf "$out" # another run got there first
fi
echo "$dir"
