#!/usr/bin/env bash
# Installs the pinned helm and kubeconform of tools/k8s/go.mod (once per machine, into a cache
# directory keyed by that go.mod and go.sum, shared by every clone) and prints the directory
# that holds them. Progress goes to stderr.
#
# They are stamped with their versions, as the upstream release builds are. They live in
# their own tools module, not tools/go.mod: see the comment in tools/k8s/go.mod.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${TASKMESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/taskmesh}"
hash="$(cat "$root/tools/k8s/go.mod" "$root/tools/k8s/go.sum" "$0" | sha256sum | cut -c1-12)"
bin="$cache/k8s-tools-$hash/bin"

if [[ ! -f "$bin/.installed" ]]; then
  mkdir -p "$bin"
  # One installer at a time (make k8s-check and go test may both get here on a cold cache).
  exec 9>"$bin/.lock"
  flock 9
  if [[ ! -f "$bin/.installed" ]]; then
    echo "installing helm and kubeconform (tools/k8s/go.mod) into $bin (first time: about 2 minutes)..." >&2
    cd "$root/tools/k8s"
    ver() { go list -m -f '{{.Version}}' "$1"; }
    # The version stamps of the upstream release builds (helm's Makefile): `helm version`,
    # and the Kubernetes version helm assumes without --kube-version (client-go's, 0.x -> 1.x).
    IFS=. read -r _ k8s_minor _ <<<"$(ver k8s.io/client-go)"
    ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$(ver helm.sh/helm/v3)"
    for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
    done
    ldflags+=" -X main.version=$(ver github.com/yannh/kubeconform)"
    CGO_ENABLED=0 GOBIN="$bin" go install -trimpath -ldflags "$ldflags" tool >&2
    touch "$bin/.installed"
  fi
fi
echo "$bin"
