/**
 * The chart's ServiceMonitors and PodMonitors as a plain Prometheus configuration: the scrape
 * jobs the Prometheus Operator (v0.85, pkg/prometheus/promcfg.go) generates for them, so a
 * Prometheus without the operator scrapes the pods the way the chart says. Per endpoint: Kubernetes
 * service discovery (role pod, or endpoints for a ServiceMonitor) in the monitor's namespaces,
 * relabelling that keeps the selected pods or services and the endpoint's port, the target labels
 * the operator adds (namespace, pod, container, service, job, endpoint), then the endpoint's own
 * relabelings. Left out: the operator's sharding relabelling (one Prometheus keeps every target)
 * and credentials from Secrets (an endpoint that needs them is refused with its name).
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** A Prometheus Operator RelabelConfig (camelCase), as in a monitor. */
export interface MonitorRelabeling {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: string;
}

interface MonitorEndpoint {
  port?: string;
  portNumber?: number;
  path?: string;
  scheme?: string;
  interval?: string;
  scrapeTimeout?: string;
  honorLabels?: boolean;
  honorTimestamps?: boolean;
  params?: Record<string, string[]>;
  filterRunning?: boolean;
  relabelings?: MonitorRelabeling[];
  metricRelabelings?: MonitorRelabeling[];
  [unsupported: string]: unknown;
}

interface MonitorMetadata {
  name: string;
  namespace: string;
}

interface MonitorSpecCommon {
  selector: LabelSelector;
  namespaceSelector?: { any?: boolean; matchNames?: string[] };
  jobLabel?: string;
  podTargetLabels?: string[];
}

export interface PodMonitor {
  apiVersion: string;
  kind: 'PodMonitor';
  metadata: MonitorMetadata;
  spec: MonitorSpecCommon & { podMetricsEndpoints: MonitorEndpoint[] };
}

export interface ServiceMonitor {
  apiVersion: string;
  kind: 'ServiceMonitor';
  metadata: MonitorMetadata;
  spec: MonitorSpecCommon & { endpoints: MonitorEndpoint[]; targetLabels?: string[] };
}

export type Monitor = PodMonitor | ServiceMonitor;

/** A Prometheus relabel_config. */
export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  target_label?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: string;
}

export interface ScrapeConfig {
  job_name: string;
  honor_labels: boolean;
  honor_timestamps?: boolean;
  kubernetes_sd_configs?: Record<string, unknown>[];
  static_configs?: { targets: string[]; labels: Record<string, string> }[];
  scrape_interval?: string;
  scrape_timeout?: string;
  metrics_path?: string;
  params?: Record<string, string[]>;
  scheme?: string;
  relabel_configs: RelabelConfig[];
  metric_relabel_configs?: RelabelConfig[];
}

/**
 * How Prometheus reaches the API server for discovery: fields of a kubernetes_sd_config, e.g.
 * `{ kubeconfig_file }` from outside the cluster; empty inside it (the pod's service account).
 */
export type KubernetesSdAccess = Record<string, unknown>;

export interface TranslateOptions {
  kubernetesSd?: KubernetesSdAccess;
  /** The role a ServiceMonitor discovers with: the operator's default is `endpoints`. */
  serviceRole?: 'endpoints' | 'endpointslice';
}

/** The endpoint fields this translation carries; any other is refused rather than dropped. */
const TRANSLATED = new Set([
  'port',
  'portNumber',
  'path',
  'scheme',
  'interval',
  'scrapeTimeout',
  'honorLabels',
  'honorTimestamps',
  'params',
  'filterRunning',
  'relabelings',
  'metricRelabelings',
]);

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** The monitors among rendered manifests (e.g. `helm template` output). */
export function monitorsIn(objects: unknown[]): Monitor[] {
  return objects.filter(
    (object): object is Monitor =>
      typeof object === 'object' &&
      object !== null &&
      (object as { apiVersion?: string }).apiVersion?.startsWith('monitoring.coreos.com/') ===
        true &&
      ['PodMonitor', 'ServiceMonitor'].includes((object as { kind?: string }).kind ?? ''),
  );
}

function selectorRelabelings(selector: LabelSelector, meta: 'pod' | 'service'): RelabelConfig[] {
  const label = (key: string) => `__meta_kubernetes_${meta}_label_${sanitize(key)}`;
  const present = (key: string) => `__meta_kubernetes_${meta}_labelpresent_${sanitize(key)}`;
  const relabelings: RelabelConfig[] = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((key) => ({
      action: 'keep',
      source_labels: [label(key), present(key)],
      regex: `(${selector.matchLabels![key]});true`,
    }));
  for (const expression of selector.matchExpressions ?? []) {
    const values = `(${(expression.values ?? []).join('|')});true`;
    const { key } = expression;
    switch (expression.operator) {
      case 'In':
        relabelings.push({
          action: 'keep',
          source_labels: [label(key), present(key)],
          regex: values,
        });
        break;
      case 'NotIn':
        relabelings.push({
          action: 'drop',
          source_labels: [label(key), present(key)],
          regex: values,
        });
        break;
      case 'Exists':
        relabelings.push({ action: 'keep', source_labels: [present(key)], regex: 'true' });
        break;
      case 'DoesNotExist':
        relabelings.push({ action: 'drop', source_labels: [present(key)], regex: 'true' });
        break;
      default:
        throw new Error(
          `label selector operator ${String(expression.operator)} is not one of In, NotIn, Exists, DoesNotExist`,
        );
    }
  }
  return relabelings;
}

function relabelConfigsOf(relabelings: MonitorRelabeling[] = []): RelabelConfig[] {
  return relabelings.map((r) => ({
    ...(r.sourceLabels?.length ? { source_labels: r.sourceLabels } : {}),
    ...(r.separator !== undefined ? { separator: r.separator } : {}),
    ...(r.targetLabel ? { target_label: r.targetLabel } : {}),
    ...(r.regex ? { regex: r.regex } : {}),
    ...(r.modulus ? { modulus: r.modulus } : {}),
    ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
    ...(r.action ? { action: r.action.toLowerCase() } : {}),
  }));
}

const RUNNING_FILTER: RelabelConfig = {
  action: 'drop',
  source_labels: ['__meta_kubernetes_pod_phase'],
  regex: '(Failed|Succeeded)',
};

function namespacesOf(monitor: Monitor): string[] {
  const selector = monitor.spec.namespaceSelector;
  if (selector?.any) return [];
  if (!selector?.matchNames?.length) return [monitor.metadata.namespace];
  return selector.matchNames;
}

function commonFields(
  monitor: Monitor,
  endpoint: MonitorEndpoint,
  index: number,
  role: string,
  options: TranslateOptions,
) {
  const where = `${monitor.kind} ${monitor.metadata.namespace}/${monitor.metadata.name} endpoint ${index}`;
  const unsupported = Object.keys(endpoint).filter((key) => !TRANSLATED.has(key));
  if (unsupported.length > 0) {
    throw new Error(
      `${where}: ${unsupported.join(', ')} not translated (credentials and TLS come from Secrets the Prometheus Operator reads): configure that scrape by hand`,
    );
  }
  const namespaces = namespacesOf(monitor);
  const prefix = monitor.kind === 'PodMonitor' ? 'podMonitor' : 'serviceMonitor';
  return {
    job_name: `${prefix}/${monitor.metadata.namespace}/${monitor.metadata.name}/${index}`,
    honor_labels: endpoint.honorLabels ?? false,
    ...(endpoint.honorTimestamps !== undefined
      ? { honor_timestamps: endpoint.honorTimestamps }
      : {}),
    kubernetes_sd_configs: [
      {
        role,
        ...(namespaces.length ? { namespaces: { names: namespaces } } : {}),
        ...options.kubernetesSd,
      },
    ],
    ...(endpoint.interval ? { scrape_interval: endpoint.interval } : {}),
    ...(endpoint.scrapeTimeout ? { scrape_timeout: endpoint.scrapeTimeout } : {}),
    ...(endpoint.path ? { metrics_path: endpoint.path } : {}),
    ...(endpoint.params ? { params: endpoint.params } : {}),
    ...(endpoint.scheme ? { scheme: endpoint.scheme } : {}),
  };
}

function podMonitorConfig(
  monitor: PodMonitor,
  endpoint: MonitorEndpoint,
  index: number,
  options: TranslateOptions,
): ScrapeConfig {
  const relabel: RelabelConfig[] = [
    { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
  ];
  if (endpoint.filterRunning ?? true) relabel.push(RUNNING_FILTER);
  relabel.push(...selectorRelabelings(monitor.spec.selector, 'pod'));
  if (endpoint.port) {
    relabel.push({
      action: 'keep',
      source_labels: ['__meta_kubernetes_pod_container_port_name'],
      regex: endpoint.port,
    });
  } else if (endpoint.portNumber) {
    relabel.push({
      action: 'keep',
      source_labels: ['__meta_kubernetes_pod_container_port_number'],
      regex: String(endpoint.portNumber),
    });
  }
  relabel.push(
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  );
  for (const label of monitor.spec.podTargetLabels ?? []) {
    relabel.push({
      source_labels: [`__meta_kubernetes_pod_label_${sanitize(label)}`],
      target_label: sanitize(label),
      regex: '(.+)',
      replacement: '${1}',
    });
  }
  relabel.push({
    target_label: 'job',
    replacement: `${monitor.metadata.namespace}/${monitor.metadata.name}`,
  });
  if (monitor.spec.jobLabel) {
    relabel.push({
      source_labels: [`__meta_kubernetes_pod_label_${sanitize(monitor.spec.jobLabel)}`],
      target_label: 'job',
      regex: '(.+)',
      replacement: '${1}',
    });
  }
  if (endpoint.port) relabel.push({ target_label: 'endpoint', replacement: endpoint.port });
  relabel.push(...relabelConfigsOf(endpoint.relabelings));
  return withMetricRelabelings(
    { ...commonFields(monitor, endpoint, index, 'pod', options), relabel_configs: relabel },
    endpoint,
  );
}

function serviceMonitorConfig(
  monitor: ServiceMonitor,
  endpoint: MonitorEndpoint,
  index: number,
  options: TranslateOptions,
): ScrapeConfig {
  const role = options.serviceRole ?? 'endpoints';
  const meta =
    role === 'endpointslice' ? '__meta_kubernetes_endpointslice' : '__meta_kubernetes_endpoint';
  const target = [`${meta}_address_target_kind`, `${meta}_address_target_name`];
  const relabel: RelabelConfig[] = [
    { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
  ];
  relabel.push(...selectorRelabelings(monitor.spec.selector, 'service'));
  if (endpoint.port) {
    relabel.push({ action: 'keep', source_labels: [`${meta}_port_name`], regex: endpoint.port });
  } else if (endpoint.portNumber) {
    throw new Error(
      `ServiceMonitor ${monitor.metadata.namespace}/${monitor.metadata.name}: an endpoint selects its port by name (port)`,
    );
  }
  relabel.push(
    {
      source_labels: target,
      separator: ';',
      regex: 'Node;(.*)',
      replacement: '${1}',
      target_label: 'node',
    },
    {
      source_labels: target,
      separator: ';',
      regex: 'Pod;(.*)',
      replacement: '${1}',
      target_label: 'pod',
    },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
  );
  if (endpoint.filterRunning ?? true) relabel.push(RUNNING_FILTER);
  for (const label of monitor.spec.targetLabels ?? []) {
    relabel.push({
      source_labels: [`__meta_kubernetes_service_label_${sanitize(label)}`],
      target_label: sanitize(label),
      regex: '(.+)',
      replacement: '${1}',
    });
  }
  for (const label of monitor.spec.podTargetLabels ?? []) {
    relabel.push({
      source_labels: [`__meta_kubernetes_pod_label_${sanitize(label)}`],
      target_label: sanitize(label),
      regex: '(.+)',
      replacement: '${1}',
    });
  }
  relabel.push({
    source_labels: ['__meta_kubernetes_service_name'],
    target_label: 'job',
    replacement: '${1}',
  });
  if (monitor.spec.jobLabel) {
    relabel.push({
      source_labels: [`__meta_kubernetes_service_label_${sanitize(monitor.spec.jobLabel)}`],
      target_label: 'job',
      regex: '(.+)',
      replacement: '${1}',
    });
  }
  if (endpoint.port) relabel.push({ target_label: 'endpoint', replacement: endpoint.port });
  relabel.push(...relabelConfigsOf(endpoint.relabelings));
  return withMetricRelabelings(
    { ...commonFields(monitor, endpoint, index, role, options), relabel_configs: relabel },
    endpoint,
  );
}

function withMetricRelabelings(config: ScrapeConfig, endpoint: MonitorEndpoint): ScrapeConfig {
  return endpoint.metricRelabelings?.length
    ? { ...config, metric_relabel_configs: relabelConfigsOf(endpoint.metricRelabelings) }
    : config;
}

/** One scrape job per endpoint of each monitor, as the Prometheus Operator generates it. */
export function scrapeConfigsFor(
  monitors: Monitor[],
  options: TranslateOptions = {},
): ScrapeConfig[] {
  return monitors.flatMap((monitor) =>
    monitor.kind === 'PodMonitor'
      ? monitor.spec.podMetricsEndpoints.map((endpoint, i) =>
          podMonitorConfig(monitor, endpoint, i, options),
        )
      : monitor.spec.endpoints.map((endpoint, i) =>
          serviceMonitorConfig(monitor, endpoint, i, options),
        ),
  );
}

export interface PrometheusConfigOptions {
  scrapeConfigs: ScrapeConfig[];
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
}

/** A whole prometheus.yml. */
export function prometheusConfig(options: PrometheusConfigOptions): Record<string, unknown> {
  return {
    global: {
      scrape_interval: options.scrapeInterval ?? '30s',
      evaluation_interval: options.evaluationInterval ?? '30s',
    },
    ...(options.ruleFiles?.length ? { rule_files: options.ruleFiles } : {}),
    scrape_configs: options.scrapeConfigs,
  };
}

/** The parts of a Pod that Prometheus' pod discovery reads. */
export interface DiscoveredPod {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    containers: {
      name: string;
      ports?: { name?: string; containerPort: number; protocol?: string }[];
    }[];
  };
  status: { podIP: string; phase: string; ready: boolean };
}

export interface StaticTarget {
  address: string;
  labels: Record<string, string>;
}

/**
 * The targets Prometheus' Kubernetes pod discovery (role pod) yields for a pod: one per declared
 * container port, with the `__meta_kubernetes_*` labels its relabelling reads. For a scrape
 * without a cluster (`withStaticTargets`); with one, Prometheus discovers them itself.
 */
export function podDiscoveryTargets(pod: DiscoveredPod): StaticTarget[] {
  const base: Record<string, string> = {
    __meta_kubernetes_namespace: pod.metadata.namespace,
    __meta_kubernetes_pod_name: pod.metadata.name,
    __meta_kubernetes_pod_ip: pod.status.podIP,
    __meta_kubernetes_pod_phase: pod.status.phase,
    __meta_kubernetes_pod_ready: String(pod.status.ready),
  };
  for (const [key, value] of Object.entries(pod.metadata.labels ?? {})) {
    base[`__meta_kubernetes_pod_label_${sanitize(key)}`] = value;
    base[`__meta_kubernetes_pod_labelpresent_${sanitize(key)}`] = 'true';
  }
  for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
    base[`__meta_kubernetes_pod_annotation_${sanitize(key)}`] = value;
    base[`__meta_kubernetes_pod_annotationpresent_${sanitize(key)}`] = 'true';
  }
  return pod.spec.containers.flatMap((container) =>
    (container.ports ?? []).map((port) => ({
      address: `${pod.status.podIP}:${port.containerPort}`,
      labels: {
        ...base,
        __meta_kubernetes_pod_container_name: container.name,
        __meta_kubernetes_pod_container_port_name: port.name ?? '',
        __meta_kubernetes_pod_container_port_number: String(port.containerPort),
        __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
      },
    })),
  );
}

/** The parts of a Service that Prometheus' endpoints discovery reads. */
export interface DiscoveredService {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    ports: { name?: string; port: number; targetPort?: string | number; protocol?: string }[];
  };
}

/**
 * The targets Prometheus' Kubernetes endpoints discovery (role endpoints) yields for a Service
 * with one ready pod behind it: one per Service port, at the pod's port it targets, with the
 * endpoint's, the Service's and the pod's `__meta_kubernetes_*` labels.
 */
export function endpointsDiscoveryTargets(
  service: DiscoveredService,
  pod: DiscoveredPod,
): StaticTarget[] {
  const serviceLabels: Record<string, string> = {
    __meta_kubernetes_service_name: service.metadata.name,
    __meta_kubernetes_endpoints_name: service.metadata.name,
  };
  for (const [key, value] of Object.entries(service.metadata.labels ?? {})) {
    serviceLabels[`__meta_kubernetes_service_label_${sanitize(key)}`] = value;
    serviceLabels[`__meta_kubernetes_service_labelpresent_${sanitize(key)}`] = 'true';
  }
  const podTargets = podDiscoveryTargets(pod);
  return service.spec.ports.flatMap((port) => {
    const targetPort = port.targetPort ?? port.port;
    const podTarget = podTargets.find((t) =>
      typeof targetPort === 'number'
        ? t.labels.__meta_kubernetes_pod_container_port_number === String(targetPort)
        : t.labels.__meta_kubernetes_pod_container_port_name === targetPort,
    );
    if (!podTarget) return [];
    return [
      {
        address: podTarget.address,
        labels: {
          ...podTarget.labels,
          ...serviceLabels,
          __meta_kubernetes_namespace: service.metadata.namespace,
          __meta_kubernetes_endpoint_port_name: port.name ?? '',
          __meta_kubernetes_endpoint_port_protocol: port.protocol ?? 'TCP',
          __meta_kubernetes_endpoint_ready: String(pod.status.ready),
          __meta_kubernetes_endpoint_address_target_kind: 'Pod',
          __meta_kubernetes_endpoint_address_target_name: pod.metadata.name,
        },
      },
    ];
  });
}

/** The scrape job with its discovery replaced by fixed targets (their meta labels included). */
export function withStaticTargets(config: ScrapeConfig, targets: StaticTarget[]): ScrapeConfig {
  const rest = { ...config };
  delete rest.kubernetes_sd_configs;
  return {
    ...rest,
    static_configs: targets.map((target) => ({ targets: [target.address], labels: target.labels })),
  };
}
