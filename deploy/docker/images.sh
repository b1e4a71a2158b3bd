#!/usr/bin/env bash
# `make images`: builds every service's image with Docker (BuildKit) from the one
# multi-stage deploy/docker/Dockerfile, tagged <prefix><service>:<tag>. For Minikube without
# Tilt, run it against Minikube's Docker first: `eval "$(minikube docker-env)"`.
#
# Environment (all optional):
#   IMAGE_PREFIX  default taskmesh-   (e.g. ghcr.io/you/taskmesh- for a registry)
#   IMAGE_TAG     default dev
#   SERVICES      default: every services/<name>/ with a main.go
#   PLATFORM      e.g. linux/arm64 (docker build --platform; several platforms need
#                 docker buildx build --push instead)
#   DOCKER        default docker
set -euo pipefail
cd "$(dirname "$0")/../.."

prefix="${IMAGE_PREFIX:-taskmesh-}"
tag="${IMAGE_TAG:-dev}"
docker="${DOCKER:-docker}"
command -v "$docker" >/dev/null || { echo "images: $docker is not installed (make images needs Docker)" >&2; exit 1; }

if [[ -n "${SERVICES:-}" ]]; then
  read -r -a services <<<"$SERVICES"
else
  services=()
  for main in services/*/main.go; do services+=("$(basename "$(dirname "$main")")"); done
fi

for svc in "${services[@]}"; do
  target=service
  [[ "$svc" == web ]] && target=web
  echo "==> ${prefix}${svc}:${tag} (target $target)"
  DOCKER_BUILDKIT=1 "$docker" build \
    -f deploy/docker/Dockerfile \
    --build-arg "SERVICE=$svc" \
    --target "$target" \
    ${PLATFORM:+--platform "$PLATFORM"} \
    -t "${prefix}${svc}:${tag}" \
    .
done
