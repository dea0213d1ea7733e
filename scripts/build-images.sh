#!/usr/bin/env bash
# Builds the three container images with one tag:
#   <registry>/operator:<tag>          docker/operator.Dockerfile          (chart: operator.image)
#   <registry>/inference-server:<tag>  docker/inference-server.Dockerfile  (InquiryPipeline spec.image)
#   <registry>/pipelines:<tag>         docker/pipelines.Dockerfile         (the Argo Workflows steps)
# and tags the inference-server image also as <registry>/platform:<tag>, the name the operator
# uses when an InquiryPipeline sets no spec.image (it runs the server and the steps from it).
#
# Usage: scripts/build-images.sh <tag> [--push]
# Env:   REGISTRY (default ghcr.io/inquiry-platform), DOCKER (default docker; e.g. podman),
#        PLATFORM (e.g. linux/amd64,linux/arm64 with buildx; default the builder's).
set -euo pipefail

tag="${1:-}"
push="${2:-}"
if [ -z "$tag" ] || { [ -n "$push" ] && [ "$push" != "--push" ]; }; then
  echo "usage: $0 <tag> [--push]" >&2
  exit 2
fi
registry="${REGISTRY:-ghcr.io/inquiry-platform}"
docker="${DOCKER:-docker}"
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! "$docker" info >/dev/null 2>&1; then
  echo "build-images: '$docker info' fails: no container engine is reachable here" >&2
  exit 1
fi

build() {
  local name="$1" dockerfile="$2"
  local args=(build -f "$root/$dockerfile" -t "$registry/$name:$tag")
  if [ -n "${PLATFORM:-}" ]; then args+=(--platform "$PLATFORM"); fi
  echo "build-images: $registry/$name:$tag from $dockerfile" >&2
  "$docker" "${args[@]}" "$root"
}

build operator docker/operator.Dockerfile
build inference-server docker/inference-server.Dockerfile
build pipelines docker/pipelines.Dockerfile
"$docker" tag "$registry/inference-server:$tag" "$registry/platform:$tag"

if [ "$push" = "--push" ]; then
  for name in operator inference-server pipelines platform; do
    "$docker" push "$registry/$name:$tag"
  done
fi
echo "build-images: done; install with --set operator.image.tag=$tag" >&2
