/**
 * The deployment manifests checked by real tools: the chart through `helm lint`, `helm template`
 * (values schema included) and `helm package`, then every rendered object (the platform chart
 * and the Argo CD chart in argocd/) and every file of istio/, deploy/ and crds/examples/
 * through a server-side dry run on the test bed's API server, where the upstream Argo CD, Argo Workflows, Istio and Prometheus Operator CRDs
 * check each field. The operator's RBAC is exercised in operator-rbac.test.ts.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { WORKFLOW_CLUSTER_ROLE } from '../../operator/src/names.js';
import { KUBERNETES_VERSION } from '../../scripts/testbed/versions.js';
import { installPlatformCrds, testbed } from './testbed.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = path.join(ROOT, 'charts/inquiry-platform');
const FULL_VALUES = path.join(CHART, 'ci/full-values.yaml');
const GITOPS_CHART = path.join(ROOT, 'argocd');
const REPO_URL = 'https://git.example.com/team/inquiry-platform.git';
const RELEASE = 'inquiry-platform';
const RELEASE_NAMESPACE = 'inquiry-system';
const FIELD_MANAGER = 'deploy-test';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers: Container[];
  initContainers?: Container[];
}

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

async function helm(...args: string[]): Promise<string> {
  const { stdout } = await run(testbed.helm, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** helm's complaint when it refuses; fails the test when helm accepts. */
async function helmRefusal(...args: string[]): Promise<string> {
  try {
    await helm(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`helm ${args.join(' ')} succeeded; it should have failed`);
}

const templateArgs = (...extra: string[]): string[] => [
  'template',
  RELEASE,
  CHART,
  '--namespace',
  RELEASE_NAMESPACE,
  // A helm built from its Go module defaults to Kubernetes v1.20; the chart wants >= 1.29.
  '--kube-version',
  KUBERNETES_VERSION,
  ...extra,
];

const manifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJSON() as Manifest | null)
    .filter((object): object is Manifest => object !== null);

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

async function filesIn(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir)).catch(() => [] as string[]);
  return entries.filter((name) => pattern.test(name)).sort();
}

const podSpecOf = (object: Manifest): PodSpec | undefined =>
  (object.spec?.template as { spec?: PodSpec } | undefined)?.spec;

describe('deployment manifests', () => {
  const kc = testbed.kubeConfig();
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let defaults: Manifest[];
  let full: Manifest[];
  let defaultsText: string;
  let fullText: string;

  beforeAll(async () => {
    [defaultsText, fullText] = await Promise.all([
      helm(...templateArgs('--include-crds')),
      helm(...templateArgs('--include-crds', '-f', FULL_VALUES)),
    ]);
    defaults = manifests(defaultsText);
    full = manifests(fullText);
  });

  describe('the Helm chart', () => {
    it('passes helm lint --strict with the default and with the full values', async () => {
      for (const values of [[], ['-f', FULL_VALUES]]) {
        const out = await helm(
          'lint',
          '--strict',
          '--kube-version',
          KUBERNETES_VERSION,
          CHART,
          ...values,
        );
        expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
      }
    });

    it('renders the operator, its RBAC and monitors; the full values add the samples', () => {
      const kinds = (list: Manifest[]) => [...new Set(list.map((o) => o.kind))].sort();
      const always = [
        'ClusterRole',
        'ClusterRoleBinding',
        'ClusterWorkflowTemplate',
        'CustomResourceDefinition',
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PodMonitor',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ];
      expect(kinds(defaults)).toEqual(expect.arrayContaining(always));
      expect(kinds(defaults)).not.toContain('InquiryPipeline');
      expect(kinds(full)).toEqual(
        expect.arrayContaining([...always, 'InquiryPipeline', 'RoutingPolicy']),
      );
      const deployment = full.find((o) => o.kind === 'Deployment')!;
      expect(deployment.spec?.replicas).toBe(3);
      expect(defaults.find((o) => o.kind === 'Deployment')!.spec?.replicas).toBe(2);
    });

    it('refuses wrong values through values.schema.json', async () => {
      const refusals = await Promise.all([
        helmRefusal(...templateArgs('--set', 'operator.replicaCount=two')),
        helmRefusal(...templateArgs('--set', 'operator.image.pullPolicy=Sometimes')),
        helmRefusal(
          ...templateArgs('--set', 'operator.securityContext.readOnlyRootFilesystem=false'),
        ),
        helmRefusal(...templateArgs('--set', 'operator.leaderElection.enabled=false')),
        helmRefusal(...templateArgs('--set', 'operator.replicaz=2')),
      ]);
      expect(refusals[0]).toMatch(/replicaCount.*want integer/);
      expect(refusals[1]).toMatch(/pullPolicy/);
      expect(refusals[2]).toMatch(/readOnlyRootFilesystem/);
      // Two replicas without leader election would both reconcile.
      expect(refusals[3]).toMatch(/leaderElection\/enabled/);
      expect(refusals[4]).toMatch(/replicaz/);
      // One replica may run without leader election.
      await helm(
        ...templateArgs('--set', 'operator.replicaCount=1,operator.leaderElection.enabled=false'),
      );
    });

    it('puts the security contexts on every pod and container', () => {
      for (const rendered of [defaults, full]) {
        const pods = rendered.map(podSpecOf).filter((spec): spec is PodSpec => !!spec);
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) {
          expect(pod.securityContext).toMatchObject({
            runAsNonRoot: true,
            seccompProfile: { type: 'RuntimeDefault' },
          });
          for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
            expect(container.securityContext).toMatchObject({
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
            });
            expect(container.securityContext?.capabilities?.drop).toContain('ALL');
          }
        }
      }
    });

    it('gives the operator every variable it reads, leader election and the downward API', async () => {
      const sources = [
        ...(await readdir(path.join(ROOT, 'operator/src'), { recursive: true }))
          .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
          .map((file) => path.join('operator/src', file)),
        'lib/logger.ts',
      ];
      const read = new Set<string>();
      for (const file of sources) {
        const text = await readFile(path.join(ROOT, file), 'utf8');
        for (const match of text.matchAll(/process\.env\.([A-Z0-9_]+)/g)) read.add(match[1]!);
      }
      expect([...read]).toEqual(expect.arrayContaining(['OPERATOR_PORT', 'PROMETHEUS_URL']));
      const operator = full.find((o) => o.kind === 'Deployment')!;
      const container = podSpecOf(operator)!.containers[0]!;
      const env = new Map(container.env!.map((variable) => [variable.name, variable]));
      expect([...env.keys()]).toEqual(expect.arrayContaining([...read]));
      expect(env.get('LEADER_ELECTION')?.value).toBe('true');
      // The heap limit the fleet benchmark measured RSS with (bench/RESULTS.md), and an override.
      expect(env.get('NODE_OPTIONS')?.value).toBe(
        '--max-old-space-size=256 --max-semi-space-size=8',
      );
      const byDefault = podSpecOf(defaults.find((o) => o.kind === 'Deployment')!)!.containers[0]!;
      expect(byDefault.env!.find((v) => v.name === 'NODE_OPTIONS')?.value).toBe(
        '--max-old-space-size=160 --max-semi-space-size=4',
      );
      expect(env.get('OPERATOR_PORT')?.value).toBe('8081');
      expect(env.get('POD_NAMESPACE')?.valueFrom).toEqual({
        fieldRef: { fieldPath: 'metadata.namespace' },
      });
      expect(env.get('POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      // Credentials come from Secrets by reference, never as literal values.
      for (const variable of env.values()) {
        if (/TOKEN|PASSWORD|SECRET|PROXY|KEY/.test(variable.name))
          expect(variable.valueFrom?.secretKeyRef).toBeDefined();
      }
    });

    it('grants the operator and the Workflow pods no wildcard and no Secret', () => {
      const roles = defaults.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
      expect(roles).toHaveLength(3);
      // The Workflow pods' role, bound per pipeline namespace by the operator under this name.
      const workflow = roles.find((role) => role.metadata.name === WORKFLOW_CLUSTER_ROLE)!;
      expect(workflow.rules).toEqual([
        {
          apiGroups: ['argoproj.io'],
          resources: ['workflowtaskresults'],
          verbs: ['create', 'patch'],
        },
        { apiGroups: ['inquiries.mlops.io'], resources: ['modelversions'], verbs: ['create'] },
      ]);
      for (const role of roles) {
        for (const rule of role.rules as Record<string, string[]>[]) {
          for (const field of ['apiGroups', 'resources', 'verbs']) {
            expect(rule[field]).not.toContain('*');
          }
          expect(rule.resources).not.toContain('secrets');
        }
      }
    });

    it('installs the repository CRDs themselves: chart crds/ are symlinks into crds/', async () => {
      const repoCrds = await filesIn('crds', /\.yaml$/);
      expect(await filesIn('charts/inquiry-platform/crds', /\.yaml$/)).toEqual(repoCrds);
      for (const file of repoCrds) {
        const link = path.join(CHART, 'crds', file);
        expect((await lstat(link)).isSymbolicLink()).toBe(true);
        expect(path.resolve(path.dirname(link), await readlink(link))).toBe(
          path.join(ROOT, 'crds', file),
        );
      }
      const rendered = defaults.filter((o) => o.kind === 'CustomResourceDefinition');
      expect(rendered.map((crd) => crd.metadata.name).sort()).toEqual(
        repoCrds.map((file) => `${file.replace(/\.yaml$/, '')}.inquiries.mlops.io`).sort(),
      );
    });

    it('builds the PrometheusRule and the dashboard ConfigMaps from monitoring/', async () => {
      const ruleFiles = await filesIn('monitoring/rules', /\.rules\.ya?ml$/);
      const groups: unknown[] = [];
      for (const file of ruleFiles) {
        const text = await readFile(path.join(ROOT, 'monitoring/rules', file), 'utf8');
        groups.push(...(parse(text) as { groups: unknown[] }).groups);
      }
      const rule = defaults.find((o) => o.kind === 'PrometheusRule');
      if (groups.length === 0) expect(rule).toBeUndefined();
      else expect(rule?.spec?.groups).toEqual(groups);

      const dashboards = await filesIn('monitoring/dashboards', /\.json$/);
      const maps = defaults.filter(
        (o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1',
      );
      expect(maps).toHaveLength(dashboards.length);
      for (const file of dashboards) {
        const map = maps.find((m) => m.data?.[file] !== undefined);
        expect(map).toBeDefined();
        const text = await readFile(path.join(ROOT, 'monitoring/dashboards', file), 'utf8');
        expect(JSON.parse(map!.data![file]!)).toEqual(JSON.parse(text));
      }
    });

    it("meets the alert rules' scrape contract (job names, pipeline label, honored namespace)", () => {
      const podMonitor = defaults.find((o) => o.kind === 'PodMonitor')!;
      // Prometheus Operator names a PodMonitor's job `<namespace>/<name>`.
      expect(`${podMonitor.metadata.namespace}/${podMonitor.metadata.name}`).toMatch(
        /.+-inference$/,
      );
      const endpoint = (podMonitor.spec!.podMetricsEndpoints as Record<string, unknown>[])[0]!;
      expect(endpoint.relabelings).toEqual(
        expect.arrayContaining([expect.objectContaining({ targetLabel: 'pipeline' })]),
      );
      const serviceMonitor = defaults.find((o) => o.kind === 'ServiceMonitor')!;
      // Its job is the Service's name.
      const service = defaults.find(
        (o) =>
          o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/component'] === 'operator',
      )!;
      expect(service.metadata.name).toMatch(/^.*inquiry.*operator.*$/);
      expect((serviceMonitor.spec!.endpoints as Record<string, unknown>[])[0]!.honorLabels).toBe(
        true,
      );
    });

    it("scrapes the inference pods through Istio's merged metrics under the shipped STRICT mTLS", async () => {
      const peer = manifests(
        await readFile(path.join(ROOT, 'istio/peer-authentication.yaml'), 'utf8'),
      );
      expect(peer.find((o) => o.kind === 'PeerAuthentication')?.spec?.mtls).toEqual({
        mode: 'STRICT',
      });
      // A plain-HTTP scrape of the app port would be refused by the sidecar: the default goes to
      // the sidecar agent (port from the rewritten prometheus.io/port, plain HTTP, /stats/prometheus).
      const endpoint = (
        defaults.find((o) => o.kind === 'PodMonitor')!.spec!.podMetricsEndpoints as Record<
          string,
          unknown
        >[]
      )[0]!;
      expect(endpoint).toMatchObject({ path: '/stats/prometheus', scheme: 'http' });
      expect(endpoint).not.toHaveProperty('port');
      const relabelings = endpoint.relabelings as Record<string, unknown>[];
      expect(relabelings.slice(0, 2)).toEqual([
        expect.objectContaining({ regex: 'istio-proxy', action: 'keep' }),
        expect.objectContaining({
          sourceLabels: ['__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape'],
          action: 'keep',
        }),
      ]);
      expect(relabelings.filter((r) => r.targetLabel === '__address__')).toHaveLength(2);
      // The annotations those relabelings read are on the pods the operator creates.
      const { buildInferenceDeployment } = await import('../../operator/src/builders/serving.js');
      const { withDefaults } = await import('../../operator/src/builders/defaults.js');
      const pod = buildInferenceDeployment(
        {
          apiVersion: 'inquiries.mlops.io/v1alpha1',
          kind: 'InquiryPipeline',
          metadata: { name: 'p', namespace: 'inquiries', uid: 'u' },
        },
        withDefaults({ databaseSecretRef: { name: 'db' }, mlflow: { trackingUri: 'http://m' } }),
        { name: 'p-v1', artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle', subset: 'stable' },
      ).spec!.template;
      expect(pod.metadata!.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '8080',
        'prometheus.io/path': '/metrics',
      });
      expect(pod.metadata!.labels!['sidecar.istio.io/inject']).toBe('true');
      // A direct scrape stays possible (full values: https with mesh certificates), and a
      // contradictory setting is refused.
      const direct = (
        full.find((o) => o.kind === 'PodMonitor')!.spec!.podMetricsEndpoints as Record<
          string,
          unknown
        >[]
      )[0]!;
      expect(direct).toMatchObject({ port: 'http', path: '/metrics', scheme: 'https' });
      expect(
        await helmRefusal(...templateArgs('--set', 'monitoring.podMonitor.scheme=https')),
      ).toMatch(/istioMetricsMerging: false/);
    });

    it('packages the linked CRDs and monitoring files as regular files', async () => {
      const out = await mkdtemp(path.join(tmpdir(), 'chart-package-'));
      try {
        await helm('package', CHART, '--destination', out);
        const archive = path.join(out, (await readdir(out))[0]!);
        const { stdout } = await run('tar', ['-tvzf', archive]);
        for (const file of await filesIn('crds', /\.yaml$/)) {
          expect(stdout).toMatch(new RegExp(`^-\\S+ .* inquiry-platform/crds/${file}$`, 'm'));
        }
        for (const file of await filesIn('monitoring/rules', /\.rules\.ya?ml$/)) {
          expect(stdout).toContain(`inquiry-platform/monitoring/rules/${file}`);
        }
        expect(stdout).not.toMatch(/^l/m);
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    });
  });

  describe('Argo CD', () => {
    let applications: Manifest[];

    let bootstrap: Manifest[];

    beforeAll(async () => {
      bootstrap = manifests(
        await helm('template', 'gitops', GITOPS_CHART, '--set', `repoURL=${REPO_URL}`),
      );
      // What the root Application renders: the children.
      const children = manifests(
        await helm(
          'template',
          'gitops',
          GITOPS_CHART,
          '--set',
          `repoURL=${REPO_URL}`,
          '--set',
          'bootstrap=false',
        ),
      );
      applications = [...bootstrap, ...children].filter((o) => o.kind === 'Application');
    });

    it('refuses to render without the repository, and says what to set', async () => {
      expect(await helmRefusal('template', 'gitops', GITOPS_CHART)).toMatch(
        /repoURL is required: the Git repository Argo CD syncs the platform from, e\.g\. .*--set repoURL=/,
      );
      await helm('lint', '--strict', GITOPS_CHART, '--set', `repoURL=${REPO_URL}`);
    });

    it('syncs the CRDs, then the chart, then the custom resources, from one repository', () => {
      const wave = (o: Manifest) =>
        (o.metadata as { annotations?: Record<string, string> }).annotations?.[
          'argocd.argoproj.io/sync-wave'
        ];
      const source = (o: Manifest) => o.spec!.source as Record<string, unknown>;
      const sync = (o: Manifest) =>
        o.spec!.syncPolicy as {
          automated?: { prune?: boolean; selfHeal?: boolean };
          syncOptions?: string[];
          retry?: { backoff?: object };
        };
      const byPath = new Map(applications.map((o) => [source(o).path, o]));
      const root = byPath.get('argocd')!;
      expect(source(root).helm).toEqual({
        valuesObject: { repoURL: REPO_URL, targetRevision: 'main', bootstrap: false },
      });
      const crds = byPath.get('crds')!;
      const chart = byPath.get('charts/inquiry-platform')!;
      const platform = byPath.get('deploy/platform')!;
      expect([wave(crds), wave(chart), wave(platform)]).toEqual(['-2', '-1', '0']);
      expect(sync(crds).syncOptions).toContain('ServerSideApply=true');
      expect((source(chart).helm as { skipCrds?: boolean }).skipCrds).toBe(true);
      for (const child of [crds, chart, platform]) {
        expect(sync(child).automated?.selfHeal).toBe(true);
        expect(sync(child).syncOptions).toContain('CreateNamespace=true');
        expect(sync(child).retry?.backoff).toBeDefined();
      }
      expect(sync(chart).automated?.prune).toBe(true);
      expect(sync(platform).automated?.prune).toBe(true);
      const project = bootstrap.find((o) => o.kind === 'AppProject')!;
      const repos = new Set([
        ...(project.spec!.sourceRepos as string[]),
        ...applications.map((o) => source(o).repoURL),
      ]);
      expect([...repos]).toEqual([REPO_URL]);
    });

    it('ignores differences only in the VirtualService route weights', () => {
      const withIgnores = applications.filter((o) => o.spec!.ignoreDifferences);
      expect(withIgnores.length).toBeGreaterThan(0);
      for (const application of withIgnores) {
        for (const ignore of application.spec!.ignoreDifferences as Record<string, unknown>[]) {
          expect(ignore).toMatchObject({ group: 'networking.istio.io', kind: 'VirtualService' });
          const paths = [
            ...((ignore.jqPathExpressions as string[] | undefined) ?? []),
            ...((ignore.jsonPointers as string[] | undefined) ?? []),
          ];
          expect(paths.length).toBeGreaterThan(0);
          for (const p of paths) expect(p).toMatch(/^(\.spec\.http\[\]|\/spec\/http\/).*weight$/);
          expect(ignore).not.toHaveProperty('managedFieldsManagers');
        }
        const options = (application.spec!.syncPolicy as { syncOptions: string[] }).syncOptions;
        expect(options).toContain('RespectIgnoreDifferences=true');
      }
    });
  });

  describe('against the API server (server-side dry run)', () => {
    const refusedBy = async (object: k8s.KubernetesObject): Promise<string | undefined> => {
      try {
        await objects.patch(
          object,
          undefined,
          'All',
          FIELD_MANAGER,
          true,
          k8s.PatchStrategy.ServerSideApply,
        );
        return undefined;
      } catch (error) {
        return String((error as k8s.ApiException<unknown>).body ?? error);
      }
    };

    beforeAll(async () => {
      await installPlatformCrds();
    });

    it('accepts every rendered object (platform and Argo CD charts) and every file of istio/, deploy/, crds/examples/', async () => {
      const sources: [string, string][] = [
        ['helm template (default values)', defaultsText],
        ['helm template (ci/full-values.yaml)', fullText],
      ];
      sources.push([
        'helm template argocd',
        await helm('template', 'gitops', GITOPS_CHART, '--set', `repoURL=${REPO_URL}`),
      ]);
      for (const dir of ['istio', 'deploy', 'crds/examples']) {
        for (const file of await yamlFilesUnder(dir)) {
          sources.push([file, await readFile(path.join(ROOT, file), 'utf8')]);
        }
      }
      // Through the client's models (loadAllYaml), which keep `x-kubernetes-*` keys on the wire.
      const all = sources.flatMap(([source, text]) =>
        k8s
          .loadAllYaml(text)
          .filter(Boolean)
          .map((object) => ({
            source,
            object: object as k8s.KubernetesObject,
          })),
      );
      const namespaces = new Set(
        all.map(({ object }) => object.metadata?.namespace).filter((ns): ns is string => !!ns),
      );
      for (const name of namespaces) {
        await core.createNamespace({ body: { metadata: { name } } }).catch((error: unknown) => {
          if ((error as k8s.ApiException<unknown>).code !== 409) throw error;
        });
      }
      const refused: string[] = [];
      for (const { source, object } of all) {
        const why = await refusedBy(object);
        if (why) refused.push(`${source}: ${object.kind} ${object.metadata?.name}: ${why}`);
      }
      expect(refused).toEqual([]);
      const kinds = new Set(all.map(({ object }) => object.kind));
      for (const kind of [
        'AppProject',
        'Application',
        'Gateway',
        'PeerAuthentication',
        'DestinationRule',
        'AuthorizationPolicy',
        'PodMonitor',
        'ServiceMonitor',
        'InquiryPipeline',
        'RoutingPolicy',
        'ModelVersion',
      ]) {
        expect(kinds).toContain(kind);
      }
    });

    it('is refused when a field is wrong (the check can fail)', async () => {
      const monitor = k8s
        .loadAllYaml(defaultsText)
        .find((o) => (o as k8s.KubernetesObject).kind === 'PodMonitor') as {
        spec: { podMetricsEndpoints: { interval: unknown }[] };
      } & k8s.KubernetesObject;
      monitor.spec.podMetricsEndpoints[0]!.interval = 15;
      expect(await refusedBy(monitor)).toMatch(/interval/);
      const application = k8s.loadYaml<k8s.KubernetesObject & { spec: { syncPolicy: object } }>(
        await helm(
          'template',
          'gitops',
          GITOPS_CHART,
          '--set',
          `repoURL=${REPO_URL}`,
          '--show-only',
          'templates/app-platform.yaml',
        ),
      );
      application.spec.syncPolicy = { automated: { prune: 'yes' } };
      expect(await refusedBy(application)).toMatch(/prune/);
    });
  });
});
