import {
  endpointsDiscoveryTargets,
  monitorsIn,
  podDiscoveryTargets,
  prometheusConfig,
  scrapeConfigsFor,
  withStaticTargets,
  type PodMonitor,
  type ServiceMonitor,
} from './scrape-config.js';

const podMonitor: PodMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PodMonitor',
  metadata: { name: 'platform-inference', namespace: 'inquiry-system' },
  spec: {
    selector: {
      matchLabels: { 'app.kubernetes.io/part-of': 'inquiry' },
      matchExpressions: [
        { key: 'inquiries.mlops.io/track', operator: 'In', values: ['stable', 'canary'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    },
    namespaceSelector: { any: true },
    podMetricsEndpoints: [
      {
        port: 'http',
        path: '/metrics',
        interval: '15s',
        scheme: 'http',
        relabelings: [
          {
            sourceLabels: ['__meta_kubernetes_pod_label_inquiries_mlops_io_track'],
            targetLabel: 'subset',
          },
          {
            sourceLabels: ['__meta_kubernetes_pod_label_app'],
            regex: '(.+)-inference',
            targetLabel: 'pipeline',
            action: 'Replace',
          },
        ],
      },
    ],
  },
};

const serviceMonitor: ServiceMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'platform-operator', namespace: 'inquiry-system' },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'inquiry-operator' } },
    namespaceSelector: { matchNames: ['inquiry-system'] },
    endpoints: [{ port: 'metrics', path: '/metrics', honorLabels: true, interval: '30s' }],
  },
};

describe('monitors to scrape configs', () => {
  it('finds the monitors among rendered manifests', () => {
    expect(
      monitorsIn([{ apiVersion: 'v1', kind: 'Service' }, podMonitor, null, serviceMonitor]),
    ).toEqual([podMonitor, serviceMonitor]);
  });

  it("keeps a PodMonitor's pods, port and labels as the Prometheus Operator does", () => {
    const [config] = scrapeConfigsFor([podMonitor], { kubernetesSd: { kubeconfig_file: '/k' } });
    expect(config).toMatchObject({
      job_name: 'podMonitor/inquiry-system/platform-inference/0',
      honor_labels: false,
      kubernetes_sd_configs: [{ role: 'pod', kubeconfig_file: '/k' }],
      scrape_interval: '15s',
      metrics_path: '/metrics',
      scheme: 'http',
    });
    expect(config!.kubernetes_sd_configs![0]).not.toHaveProperty('namespaces');
    expect(config!.relabel_configs).toEqual([
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      {
        action: 'drop',
        source_labels: ['__meta_kubernetes_pod_phase'],
        regex: '(Failed|Succeeded)',
      },
      {
        action: 'keep',
        source_labels: [
          '__meta_kubernetes_pod_label_app_kubernetes_io_part_of',
          '__meta_kubernetes_pod_labelpresent_app_kubernetes_io_part_of',
        ],
        regex: '(inquiry);true',
      },
      {
        action: 'keep',
        source_labels: [
          '__meta_kubernetes_pod_label_inquiries_mlops_io_track',
          '__meta_kubernetes_pod_labelpresent_inquiries_mlops_io_track',
        ],
        regex: '(stable|canary);true',
      },
      {
        action: 'drop',
        source_labels: ['__meta_kubernetes_pod_labelpresent_legacy'],
        regex: 'true',
      },
      {
        action: 'keep',
        source_labels: ['__meta_kubernetes_pod_container_port_name'],
        regex: 'http',
      },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { target_label: 'job', replacement: 'inquiry-system/platform-inference' },
      { target_label: 'endpoint', replacement: 'http' },
      {
        source_labels: ['__meta_kubernetes_pod_label_inquiries_mlops_io_track'],
        target_label: 'subset',
      },
      {
        source_labels: ['__meta_kubernetes_pod_label_app'],
        regex: '(.+)-inference',
        target_label: 'pipeline',
        action: 'replace',
      },
    ]);
  });

  it("selects a ServiceMonitor's services in its namespaces, with service, pod and job labels", () => {
    const [config] = scrapeConfigsFor([serviceMonitor]);
    expect(config).toMatchObject({
      job_name: 'serviceMonitor/inquiry-system/platform-operator/0',
      honor_labels: true,
      kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: ['inquiry-system'] } }],
    });
    const relabel = config!.relabel_configs;
    expect(relabel).toContainEqual({
      action: 'keep',
      source_labels: [
        '__meta_kubernetes_service_label_app_kubernetes_io_name',
        '__meta_kubernetes_service_labelpresent_app_kubernetes_io_name',
      ],
      regex: '(inquiry-operator);true',
    });
    expect(relabel).toContainEqual({
      action: 'keep',
      source_labels: ['__meta_kubernetes_endpoint_port_name'],
      regex: 'metrics',
    });
    expect(relabel).toContainEqual({
      source_labels: ['__meta_kubernetes_service_name'],
      target_label: 'service',
    });
    expect(relabel.at(-2)).toEqual({
      source_labels: ['__meta_kubernetes_service_name'],
      target_label: 'job',
      replacement: '${1}',
    });
    expect(relabel.at(-1)).toEqual({ target_label: 'endpoint', replacement: 'metrics' });
    const [slices] = scrapeConfigsFor([serviceMonitor], { serviceRole: 'endpointslice' });
    expect(slices!.relabel_configs).toContainEqual({
      action: 'keep',
      source_labels: ['__meta_kubernetes_endpointslice_port_name'],
      regex: 'metrics',
    });
  });

  it("uses the monitor's own namespace when it names none, and refuses what it cannot carry", () => {
    const local = { ...serviceMonitor, spec: { ...serviceMonitor.spec, namespaceSelector: {} } };
    expect(scrapeConfigsFor([local])[0]!.kubernetes_sd_configs![0]).toMatchObject({
      namespaces: { names: ['inquiry-system'] },
    });
    const withTls = structuredClone(podMonitor);
    withTls.spec.podMetricsEndpoints[0]!.tlsConfig = {
      ca: { secret: { name: 'ca', key: 'ca.crt' } },
    };
    expect(() => scrapeConfigsFor([withTls])).toThrow(
      /PodMonitor inquiry-system\/platform-inference endpoint 0: tlsConfig not translated/,
    );
  });

  it('gives the targets pod discovery would, for a scrape without a cluster', () => {
    const targets = podDiscoveryTargets({
      metadata: {
        name: 'p-1',
        namespace: 'team-a',
        labels: { 'inquiries.mlops.io/track': 'stable' },
        annotations: { 'prometheus.io/port': '8080' },
      },
      spec: {
        containers: [
          { name: 'inference', ports: [{ name: 'http', containerPort: 8080 }] },
          { name: 'side' },
        ],
      },
      status: { podIP: '127.0.0.1', phase: 'Running', ready: true },
    });
    expect(targets.map((t) => t.address)).toEqual(['127.0.0.1:8080']);
    expect(targets[0]!.labels).toEqual(
      expect.objectContaining({
        __meta_kubernetes_namespace: 'team-a',
        __meta_kubernetes_pod_name: 'p-1',
        __meta_kubernetes_pod_label_inquiries_mlops_io_track: 'stable',
        __meta_kubernetes_pod_labelpresent_inquiries_mlops_io_track: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_port: '8080',
        __meta_kubernetes_pod_container_name: 'inference',
        __meta_kubernetes_pod_container_port_name: 'http',
      }),
    );
    const [config] = scrapeConfigsFor([podMonitor]);
    const fixed = withStaticTargets(config!, targets);
    expect(fixed).not.toHaveProperty('kubernetes_sd_configs');
    expect(fixed.static_configs).toEqual([
      { targets: ['127.0.0.1:8080'], labels: targets[0]!.labels },
    ]);
    expect(
      prometheusConfig({ scrapeConfigs: [fixed], ruleFiles: ['/r.yaml'], scrapeInterval: '1s' }),
    ).toEqual({
      global: { scrape_interval: '1s', evaluation_interval: '30s' },
      rule_files: ['/r.yaml'],
      scrape_configs: [fixed],
    });
  });

  it("gives the targets endpoints discovery would for a Service's pod, at the port it targets", () => {
    const pod = {
      metadata: { name: 'op-1', namespace: 'inquiry-system', labels: { app: 'op' } },
      spec: {
        containers: [{ name: 'operator', ports: [{ name: 'metrics', containerPort: 8081 }] }],
      },
      status: { podIP: '10.0.0.5', phase: 'Running', ready: true },
    };
    const service = {
      metadata: {
        name: 'op-metrics',
        namespace: 'inquiry-system',
        labels: { 'app.kubernetes.io/name': 'inquiry-operator' },
      },
      spec: {
        ports: [
          { name: 'metrics', port: 80, targetPort: 'metrics' },
          { name: 'other', port: 81, targetPort: 9999 },
        ],
      },
    };
    const targets = endpointsDiscoveryTargets(service, pod);
    expect(targets.map((t) => t.address)).toEqual(['10.0.0.5:8081']);
    expect(targets[0]!.labels).toMatchObject({
      __meta_kubernetes_namespace: 'inquiry-system',
      __meta_kubernetes_service_name: 'op-metrics',
      __meta_kubernetes_service_label_app_kubernetes_io_name: 'inquiry-operator',
      __meta_kubernetes_endpoint_port_name: 'metrics',
      __meta_kubernetes_endpoint_address_target_kind: 'Pod',
      __meta_kubernetes_endpoint_address_target_name: 'op-1',
      __meta_kubernetes_pod_container_name: 'operator',
    });
  });
});
