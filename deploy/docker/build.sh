#!/bin/sh
# Builds one Taskmesh service as a static Linux binary. This is THE build command of the
# service images: deploy/docker/Dockerfile runs it, the Tilt dev loop (Tiltfile) runs it on
# the host, and deploy/k8s-checks (go test) runs it for every service to prove it builds here.
#
#   deploy/docker/build.sh <service> <output file>
#
# <service> is a directory under services/. GOOS and GOARCH come from the environment
# (default: linux and the host's architecture); cgo is always off, so the binary runs on a
# distroless/static image, and -trimpath with -s -w keeps it small and free of local paths.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <service> <output file>" >&2
  exit 2
fi
service="$1"
out="$2"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/../.."

case "$service" in
  *[!a-z0-9-]* | "" | -*)
    echo "build.sh: invalid service name: $service" >&2
    exit 2
    ;;
esac
if [ ! -f "services/$service/main.go" ]; then
  echo "build.sh: no service $service (services/$service/main.go)" >&2
  exit 2
fi

CGO_ENABLED=0 GOOS="${GOOS:-linux}" GOARCH="${GOARCH:-$(go env GOARCH)}" \
  go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o "$out" "./services/$service"
