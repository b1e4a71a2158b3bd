#!/usr/bin/env bash
# Creates the Secrets a DEV cluster's Taskmesh release needs, once: nothing is replaced, so
# sessions and the database survive re-runs (the Tiltfile runs this on every `tilt up`).
#
#   database-url            key database-url      postgres://taskmesh:<pw>@<release>-postgresql...
#   auth-signing-key        key auth-signing-key  a new Ed25519 private key (PKCS#8 PEM)
#   auth-verify-key         key auth-verify-key   its public key (PKIX PEM)
#   <release>-postgresql    key password          the in-chart PostgreSQL's password
#   <release>-<app>-app-token  key token          a random app API token per service (its
#                                                 sidecar sends it to the app; Dapr wants
#                                                 the key "token")
#
# Why not the chart: Helm's genPrivateKey can make an Ed25519 key but nothing derives its
# public half (every verifying service would get the private key); under Tilt, which renders
# with `helm template`, `lookup` sees nothing, so keys and passwords would change on every
# Tiltfile load; and Helm keeps rendered manifests, secrets included, in its release record.
# So the chart only refers to Secrets, and a cloud cluster gets them from its secret manager. Needs OpenSSL 1.1.1 or later and (unless --print) kubectl on the current
# context.
#
#   deploy/helm/dev-secrets.sh [--namespace NS] [--release NAME] [--print]
#
# --print writes the Secrets as YAML to stdout (fresh values, nothing applied): what the checks
# validate.
set -euo pipefail

namespace=default
release=taskmesh
print=false
while (($#)); do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --release) release="$2"; shift 2 ;;
    --print) print=true; shift ;;
    *) echo "usage: $0 [--namespace NS] [--release NAME] [--print]" >&2; exit 2 ;;
  esac
done

# The chart's resource prefix (templates/_helpers.tpl "taskmesh.fullname").
if [[ "$release" == *taskmesh* ]]; then fullname="$release"; else fullname="$release-taskmesh"; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

b64() { base64 | tr -d '\n'; }

# secret NAME KEY FILE: a Secret manifest with one key.
secret() {
  cat <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: $namespace
  labels:
    app.kubernetes.io/part-of: taskmesh
    app.kubernetes.io/managed-by: dev-secrets
type: Opaque
data:
  $2: $(b64 <"$3")
YAML
}

exists() { kubectl get secret "$1" --namespace "$namespace" >/dev/null 2>&1; }

if ! $print; then
  command -v kubectl >/dev/null || { echo "dev-secrets: kubectl is not installed" >&2; exit 1; }
  echo "dev-secrets: context $(kubectl config current-context), namespace $namespace" >&2
fi

# The database password: reused from the existing Secret, so that database-url and the
# PostgreSQL volume (initialized with it) keep agreeing.
pgsecret="$fullname-postgresql"
if ! $print && exists "$pgsecret"; then
  kubectl get secret "$pgsecret" --namespace "$namespace" -o jsonpath='{.data.password}' | base64 -d >"$tmp/password"
else
  openssl rand -hex 24 | tr -d '\n' >"$tmp/password"
fi
printf 'postgres://taskmesh:%s@%s-postgresql.%s.svc.cluster.local:5432/taskmesh?sslmode=disable' \
  "$(cat "$tmp/password")" "$fullname" "$namespace" >"$tmp/database-url"

if ! openssl genpkey -algorithm ed25519 -out "$tmp/auth-signing-key" 2>"$tmp/err"; then
  echo "dev-secrets: openssl cannot make an Ed25519 key; it needs OpenSSL 1.1.1 or later (macOS: brew install openssl): $(cat "$tmp/err")" >&2
  exit 1
fi
openssl pkey -in "$tmp/auth-signing-key" -pubout -out "$tmp/auth-verify-key"

manifests="$tmp/secrets.yaml"
: >"$manifests"
add() { # name key file
  if ! $print && exists "$1"; then
    echo "dev-secrets: $1 exists, kept" >&2
    return
  fi
  secret "$1" "$2" "$3" >>"$manifests"
  $print || echo "dev-secrets: creating $1" >&2
}
add "$pgsecret" password "$tmp/password"
add database-url database-url "$tmp/database-url"
# One app API token per service (the apps of values.yaml `services`).
for app in api recurring notification audit realtime web; do
  openssl rand -hex 32 | tr -d '\n' >"$tmp/app-token-$app"
  add "$fullname-$app-app-token" token "$tmp/app-token-$app"
done
# The key pair only as a pair: a new signing key needs its own verify key.
if $print || ! exists auth-signing-key || ! exists auth-verify-key; then
  if ! $print; then
    kubectl delete secret auth-signing-key auth-verify-key --namespace "$namespace" --ignore-not-found >/dev/null
  fi
  secret auth-signing-key auth-signing-key "$tmp/auth-signing-key" >>"$manifests"
  secret auth-verify-key auth-verify-key "$tmp/auth-verify-key" >>"$manifests"
  $print || echo "dev-secrets: creating auth-signing-key and auth-verify-key" >&2
else
  echo "dev-secrets: auth-signing-key and auth-verify-key exist, kept" >&2
fi

if $print; then
  cat "$manifests"
elif [[ -s "$manifests" ]]; then
  kubectl create --namespace "$namespace" -f "$manifests" >/dev/null
fi
