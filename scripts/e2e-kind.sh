#!/usr/bin/env bash
# End to end on a real (kind) cluster, for people who have Docker, kind, kubectl and helm; CI does
# not run it. Creates the cluster, builds and loads the images, installs the upstream CRDs the
# platform talks to (the same files and versions as the test bed: scripts/testbed/versions.ts),
# installs the chart, applies the Istio policies and the sample custom resources, then checks
# that the operator elected a leader and reconciled the sample pipeline.
#
# Usage: scripts/e2e-kind.sh            (KEEP_CLUSTER=1 keeps the cluster afterwards)
# Env:   CLUSTER (default inquiry-e2e), TAG (image tag, default e2e)
set -euo pipefail

cluster="${CLUSTER:-inquiry-e2e}"
tag="${TAG:-e2e}"
registry=ghcr.io/inquiry-platform
root="$(cd "$(dirname "$0")/.." && pwd)"
argo_workflows=v3.7.3
istio_api=v1.31.4
prometheus_operator=v0.85.0
argo_cd=v3.5.7

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "e2e-kind: $tool is required" >&2; exit 1; }
done
step() { printf '\n== %s\n' "$*" >&2; }
cleanup() {
  if [ "${KEEP_CLUSTER:-}" = 1 ]; then
    echo "e2e-kind: cluster kept: kind delete cluster --name $cluster" >&2
  else
    kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

step "kind cluster $cluster"
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
kubectl config use-context "kind-$cluster" >/dev/null

step "images ($tag), loaded into the cluster"
REGISTRY="$registry" "$root/scripts/build-images.sh" "$tag"
for image in operator inference-server pipelines platform; do
  kind load docker-image --name "$cluster" "$registry/$image:$tag"
done

step "upstream CRDs: Argo Workflows, Istio, Prometheus Operator, Argo CD"
raw=https://raw.githubusercontent.com
for kind in workflows workflowtemplates cronworkflows clusterworkflowtemplates; do
  kubectl apply --server-side -f "$raw/argoproj/argo-workflows/$argo_workflows/manifests/base/crds/full/argoproj.io_$kind.yaml"
done
kubectl apply --server-side -f "$raw/istio/api/$istio_api/kubernetes/customresourcedefinitions.gen.yaml"
for kind in servicemonitors podmonitors prometheusrules; do
  kubectl apply --server-side -f "$raw/prometheus-operator/prometheus-operator/$prometheus_operator/example/prometheus-operator-crd-full/monitoring.coreos.com_$kind.yaml"
done
for kind in application appproject; do
  kubectl apply --server-side -f "$raw/argoproj/argo-cd/$argo_cd/manifests/crds/$kind-crd.yaml"
done

step "the chart (CRDs, operator, RBAC, monitors, rules, dashboards)"
helm upgrade --install inquiry-platform "$root/charts/inquiry-platform" \
  --namespace inquiry-system --create-namespace \
  --set operator.image.tag="$tag" --wait --timeout 5m
kubectl -n inquiry-system rollout status deployment/inquiry-platform-operator --timeout 3m

step "Istio policies and the sample custom resources"
kubectl create namespace inquiries --dry-run=client -o yaml | kubectl apply -f -
kubectl create namespace istio-system --dry-run=client -o yaml | kubectl apply -f -
kubectl -n inquiries create secret generic inquiries-db \
  --from-literal=url=postgres://inquiries:change-me@postgres.inquiries.svc:5432/inquiries \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$root/istio/" -f "$root/deploy/platform/"

step "checks"
holder=""
for _ in $(seq 60); do
  holder=$(kubectl -n inquiry-system get lease inquiry-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
  [ -n "$holder" ] && break
  sleep 2
done
[ -n "$holder" ] || { echo "e2e-kind: no operator holds the Lease" >&2; exit 1; }
echo "leader: $holder"
for _ in $(seq 60); do
  count=$(kubectl -n inquiries get cronworkflows -l inquiries.mlops.io/pipeline=support-na -o name | wc -l)
  [ "$count" -eq 3 ] && break
  sleep 2
done
kubectl -n inquiries get cronworkflows,workflowtemplates,services,configmaps -l app.kubernetes.io/managed-by=inquiry-operator
[ "$count" -eq 3 ] || { echo "e2e-kind: expected 3 CronWorkflows, found $count" >&2; exit 1; }
kubectl -n inquiries get inquirypipeline support-na \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} ({.reason}){"\n"}{end}'
echo "e2e-kind: passed" >&2
