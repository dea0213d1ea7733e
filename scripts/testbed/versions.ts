/**
 * Pinned versions of everything the test bed builds or installs, and where it caches them.
 * Changing a version changes the cache key, so the next `up` rebuilds that piece only.
 */
import { homedir } from 'node:os';
import path from 'node:path';

export const KUBERNETES_VERSION = 'v1.36.3';
/**
 * The version the Kubernetes binaries report (`/version`, the node's kubelet version): a plain
 * `go build` reports v0.0.0-master, which tools checking a minimum version (helm's kubeVersion)
 * refuse.
 */
export const KUBERNETES_LDFLAGS = [
  ['gitVersion', KUBERNETES_VERSION],
  ['gitMajor', KUBERNETES_VERSION.split('.')[0]!.slice(1)],
  ['gitMinor', KUBERNETES_VERSION.split('.')[1]!],
  ['gitTreeState', 'clean'],
]
  .map(([name, value]) => `-X k8s.io/component-base/version.${name}=${value}`)
  .join(' ');
export const ETCD_VERSION = 'v3.6.16';
export const MLFLOW_VERSION = '3.17.2';
/** Tools the chart and alert-rule checks run; built from their Go modules like the servers. */
export const HELM_VERSION = 'v3.22.0';
export const PROMETHEUS_VERSION = 'v0.316.0';
/**
 * istioctl (`istioctl analyze` over the operator's Istio objects). istio.io/istio publishes no
 * tagged module versions: this pseudo-version is its master of 2026-08-27 (istio.io/api
 * 1.31-rc, the same generation as the CRDs below).
 */
export const ISTIO_VERSION = 'v0.0.0-20260827124520-eed52ebb66ad';
/** The S3-compatible server the S3 ingestion source is tested against (Versity S3 Gateway). */
export const VERSITYGW_VERSION = 'v1.8.0';
/** Argo Workflows: its CRDs are installed and its controller and executor run on the node. */
export const ARGO_VERSION = 'v3.7.3';
export const COREDNS_VERSION = 'v1.15.0';
/** The Debian suite of the node's base image (`debootstrap --variant=minbase`). */
export const DEBIAN_SUITE = 'bookworm';

/** Go modules whose published sources carry the upstream CRD manifests we install. */
export const CRD_SOURCES = [
  {
    module: 'github.com/argoproj/argo-workflows/v3',
    version: ARGO_VERSION,
    // The "full" CRDs carry the complete openAPIV3Schema; the minimal ones accept anything.
    files: [
      'manifests/base/crds/full/argoproj.io_workflows.yaml',
      'manifests/base/crds/full/argoproj.io_workflowtemplates.yaml',
      'manifests/base/crds/full/argoproj.io_cronworkflows.yaml',
      'manifests/base/crds/full/argoproj.io_clusterworkflowtemplates.yaml',
      // The executor writes each step's outputs into a WorkflowTaskResult; the controller also
      // watches WorkflowTaskSets.
      'manifests/base/crds/full/argoproj.io_workflowtaskresults.yaml',
      'manifests/base/crds/full/argoproj.io_workflowtasksets.yaml',
      // The controller's informers wait for these too: without them no Workflow is processed.
      'manifests/base/crds/full/argoproj.io_workflowartifactgctasks.yaml',
      'manifests/base/crds/full/argoproj.io_workfloweventbindings.yaml',
    ],
  },
  {
    module: 'istio.io/api',
    version: 'v1.31.4',
    files: ['kubernetes/customresourcedefinitions.gen.yaml'],
  },
  {
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    files: [
      'example/prometheus-operator-crd-full/monitoring.coreos.com_servicemonitors.yaml',
      'example/prometheus-operator-crd-full/monitoring.coreos.com_podmonitors.yaml',
      'example/prometheus-operator-crd-full/monitoring.coreos.com_prometheusrules.yaml',
    ],
  },
  {
    module: 'github.com/argoproj/argo-cd/v3',
    version: 'v3.5.7',
    files: ['manifests/crds/application-crd.yaml', 'manifests/crds/appproject-crd.yaml'],
  },
] as const;

/** Root of everything cached outside the repository (binaries, virtualenvs, Node). */
export function cacheRoot(): string {
  return (
    process.env.INQUIRY_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'inquiry-platform')
  );
}

/** Versioned directory for the test bed's built artifacts: a new pin means a new directory. */
export function buildDir(): string {
  return path.join(
    cacheRoot(),
    'testbed',
    `k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_mlflow-${MLFLOW_VERSION}`,
  );
}
