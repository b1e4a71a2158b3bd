#!/usr/bin/env bash
# `make k8s-check`, and part of `make test`: the Kubernetes deliverables checked without a
# cluster. A failing step does not stop the others; the summary lists what failed.
#
#   1. helm lint --strict, helm template and kubeconform -strict of the chart, for
#      values.yaml, values-local.yaml, values-cloud.yaml, and values-local with every service
#      enabled (those of issue 4 included);
#   2. kubeconform of the local Dapr resources (deploy/dapr/local, rendered with placeholders)
#      and of the dev Secrets (deploy/helm/dev-secrets.sh --print);
#   3. the Tiltfile, executed against stubs of Tilt's functions (tiltcheck/): it loads, and
#      Tilt would group and order the chart's objects as intended;
#   4. kubeconform must REJECT testdata/invalid.yaml, resource by resource, so that a check
#      that stopped validating cannot pass silently.
#
# kubeconform uses only schemas made offline (schemas.sh: Kubernetes' swagger.json and the
# Dapr CRDs, from the Go module cache) and fails on any kind it has no schema for. The pinned
# tools come from tools.sh. The consistency of names and ports with the code is checked by
# `go test ./deploy/k8s-checks`, which `make test` runs with the rest.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.." || exit 1
# shellcheck source=versions.env
source "$here/versions.env"

chart=deploy/helm/taskmesh
namespace=taskmesh

failed=()
step() {
  local name="$1"; shift
  echo "==> $name"
  if "$@"; then
    return 0
  fi
  echo "--- FAILED: $name"
  failed+=("$name")
}

bin="$(deploy/k8s-checks/tools.sh)" || { echo "k8s-check: could not install helm and kubeconform" >&2; exit 1; }
schemas="$(deploy/k8s-checks/schemas.sh)" || { echo "k8s-check: could not generate the schemas" >&2; exit 1; }
helm="$bin/helm"
kubeconform="$bin/kubeconform"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

validate() { # files...: strict, offline, every kind must have a schema
  "$kubeconform" -strict -summary -kubernetes-version "$K8S_VERSION" \
    -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$@"
}

render() { # output, helm args...
  local out="$1"; shift
  "$helm" template taskmesh "$chart" --namespace "$namespace" --kube-version "$K8S_VERSION" "$@" >"$out"
}

# Every service of values.yaml, enabled.
all_services=()
for svc in $(sed -n 's/^  \([a-z][a-z0-9-]*\):$/\1/p' <(sed -n '/^services:/,/^[^ #]/p' "$chart/values.yaml")); do
  all_services+=(--set "services.$svc.enabled=true")
done

declare -A variants=(
  [values]=""
  [values-local]="-f $chart/values-local.yaml"
  [values-cloud]="-f $chart/values-cloud.yaml"
)
for name in values values-local values-cloud; do
  # shellcheck disable=SC2086 # the variant's arguments are words
  step "helm lint --strict ($name)" "$helm" lint --strict --quiet "$chart" ${variants[$name]} --kube-version "$K8S_VERSION"
  # shellcheck disable=SC2086
  step "helm template ($name)" render "$tmp/$name.yaml" ${variants[$name]}
  step "kubeconform ($name)" validate "$tmp/$name.yaml"
done
step "helm lint --strict (values-local, every service)" "$helm" lint --strict --quiet "$chart" -f "$chart/values-local.yaml" "${all_services[@]}" --kube-version "$K8S_VERSION"
step "helm template (values-local, every service)" render "$tmp/all.yaml" -f "$chart/values-local.yaml" "${all_services[@]}"
step "kubeconform (values-local, every service)" validate "$tmp/all.yaml"

# The local resources are Go templates whose placeholders all stand in quoted strings.
mkdir -p "$tmp/local"
for f in deploy/dapr/local/*.yaml; do
  sed -E 's/\{\{[^}]*\}\}/placeholder/g' "$f" >"$tmp/local/$(basename "$f")"
done
step "kubeconform (deploy/dapr/local)" validate "$tmp/local"

dev_secrets() { deploy/helm/dev-secrets.sh --print --namespace "$namespace" >"$tmp/dev-secrets.yaml"; }
step "dev Secrets (deploy/helm/dev-secrets.sh --print)" dev_secrets
step "kubeconform (dev Secrets)" validate "$tmp/dev-secrets.yaml"

# The Tiltfile, run against stubs of Tilt's functions (Tilt itself is not installed here).
tiltfile() { (cd deploy/k8s-checks/tiltcheck && HELM="$helm" K8S_VERSION="$K8S_VERSION" go run . ../../../Tiltfile); }
step "Tiltfile (tiltcheck)" tiltfile

rejects_invalid() {
  local out total
  out="$(validate deploy/k8s-checks/testdata/invalid.yaml 2>&1)"
  total="$(grep -c '^---' deploy/k8s-checks/testdata/invalid.yaml)"
  if grep -q "Summary: $total resources found in 1 file - Valid: 0," <<<"$out"; then
    echo "kubeconform rejected all $total invalid resources"
    return 0
  fi
  echo "$out"
  echo "kubeconform should reject each of the $total resources of testdata/invalid.yaml"
  return 1
}
step "kubeconform rejects testdata/invalid.yaml" rejects_invalid

echo
if ((${#failed[@]})); then
  list="$(printf '%s, ' "${failed[@]}")"
  echo "make k8s-check: FAILED: ${list%, }"
  exit 1
fi
echo "make k8s-check: ok"
